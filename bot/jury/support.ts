// Small pieces the jury service builds on: a per-key lock, a log of sends that must
// happen once (cross-room posts), the dossiers' jury numbers, and the campaign's scale
// and questionnaire. State lives in storage (bot_state values) so it survives restarts.
import { type LevelScale } from '../../flows/jury/scale.ts';
import { loadQuestionnaire, loadQuestionnaireById, type Questionnaire } from '../../flows/questionnaire.ts';
import type { Campaign, JsonValue, Storage } from '../../storage/index.ts';
import type { Messenger, OutgoingMessage } from '../types.ts';

/** Runs tasks with the same key one after the other (in this process). */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const SENT_PREFIX = 'jury:sent:';

/**
 * Sends that must happen exactly once even across restarts and long outages (the
 * homeserver only remembers transaction ids for a while): the event ids are stored
 * after the send, and the send itself carries a stable idempotency key, so a crash in
 * between repeats it harmlessly.
 */
export class SentLog {
  private readonly storage: Storage;
  private readonly messenger: Messenger;

  constructor(storage: Storage, messenger: Messenger) {
    this.storage = storage;
    this.messenger = messenger;
  }

  async sent(key: string): Promise<string[] | null> {
    const value = await this.storage.botState.getValue(SENT_PREFIX + key);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null;
  }

  /** Which of these keys are logged as sent, in a few round trips (for catch-ups over many dossiers). */
  async sentKeys(keys: readonly string[]): Promise<Set<string>> {
    const values = await this.storage.botState.getValues(keys.map((key) => SENT_PREFIX + key));
    return new Set(keys.filter((key) => Array.isArray(values.get(SENT_PREFIX + key))));
  }

  async mark(key: string, eventIds: string[]): Promise<void> {
    await this.storage.botState.setValue(SENT_PREFIX + key, eventIds);
  }

  /** Sends unless already sent; returns the event ids either way. */
  async send(key: string, roomId: string, message: OutgoingMessage): Promise<string[]> {
    const previous = await this.sent(key);
    if (previous) return previous;
    const ids = await this.messenger.send(roomId, message, { idempotencyKey: `jury:${key}` });
    await this.mark(key, ids);
    return ids;
  }
}

interface NumberTable {
  next: number;
  byCandidacy: Record<string, number>;
}

function readTable(value: JsonValue | null): NumberTable {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const next = value.next;
    const by = value.byCandidacy;
    if (typeof next === 'number' && by && typeof by === 'object' && !Array.isArray(by)) {
      const byCandidacy: Record<string, number> = {};
      for (const [id, n] of Object.entries(by)) if (typeof n === 'number') byCandidacy[id] = n;
      return { next, byCandidacy };
    }
  }
  return { next: 1, byCandidacy: {} };
}

/**
 * Dossier numbers (#1, #2...) per campaign, in order of arrival in the jury. Kept in
 * one bot_state value per campaign; assignments go through a lock (one bot process).
 */
export class DossierNumbers {
  private readonly storage: Storage;
  private readonly lock: KeyedLock;

  constructor(storage: Storage, lock: KeyedLock) {
    this.storage = storage;
    this.lock = lock;
  }

  private key(campaignId: string): string {
    return `jury:numbers:${campaignId}`;
  }

  async table(campaignId: string): Promise<Map<string, number>> {
    const table = readTable(await this.storage.botState.getValue(this.key(campaignId)));
    return new Map(Object.entries(table.byCandidacy));
  }

  async assign(campaignId: string, candidacyId: string): Promise<number> {
    return this.lock.run(this.key(campaignId), async () => {
      const table = readTable(await this.storage.botState.getValue(this.key(campaignId)));
      const existing = table.byCandidacy[candidacyId];
      if (existing !== undefined) return existing;
      const number = table.next;
      await this.storage.botState.setValue(this.key(campaignId), {
        next: number + 1,
        byCandidacy: { ...table.byCandidacy, [candidacyId]: number },
      });
      return number;
    });
  }
}

export function scaleOf(campaign: Pick<Campaign, 'levels'>): LevelScale {
  return { levels: campaign.levels.map((l) => ({ id: l.id, labels: l.labels })) };
}

const questionnaires = new Map<string, Questionnaire>();

/** The campaign's questionnaire: an id under questionnaires/ or a path to a YAML file. */
export function questionnaireOf(campaign: Pick<Campaign, 'questionnaire'>): Questionnaire {
  const ref = campaign.questionnaire;
  let q = questionnaires.get(ref);
  if (!q) {
    q = /^[a-z0-9][a-z0-9-]*$/.test(ref) ? loadQuestionnaireById(ref) : loadQuestionnaire(ref);
    questionnaires.set(ref, q);
  }
  return q;
}
