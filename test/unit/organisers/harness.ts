// The organisers' side in memory: the real handler and service over createMemoryStorage(),
// a manual clock, and the shared recording Messenger double, which here can also "crash".
import { pino } from 'pino';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext } from '../../../bot/context.ts';
import { createMetrics } from '../../../bot/health.ts';
import { createOrganisers, type Organisers } from '../../../bot/organisers/index.ts';
import type { OutgoingMessage, RawEvent, SendOptions } from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { parseQuestionnaire } from '../../../flows/questionnaire.ts';
import {
  type Candidacy,
  type CandidacyStatus,
  createMemoryStorage,
  type MemoryStorage,
} from '../../../storage/index.ts';
import { questionnaireYaml } from '../../doubles/questionnaire.ts';
import { RecordingMessenger } from '../../doubles/recording-messenger.ts';

export const ORG_ROOM = '!organisers:test';
export const PUBLIC_ROOM = '!public:test';
export const ORGANISER = '@orga:test';
export const OTHER_ORGANISER = '@orgb:test';
export const JURORS = ['@j1:test', '@j2:test', '@j3:test'];

// What the organisers' tests need beyond the shared questionnaire: a multiple choice and
// an optional question.
export const QUESTIONNAIRE = parseQuestionnaire(
  questionnaireYaml(
    'orga-fixture',
    `
- id: tools
  type: multiple_choice
  text: { fr: Outils ?, en: Tools? }
  choices:
    - { id: libreoffice, label: { fr: LibreOffice, en: LibreOffice } }
    - { id: firefox, label: { fr: Firefox, en: Firefox } }
- id: comment
  type: long_text
  required: false
  text: { fr: Un commentaire ?, en: A comment? }
`,
  ),
);

/**
 * The shared recording double, plus a crash: after `crashAfter` more sends, the next one
 * reaches the homeserver but the process "dies" before hearing back: that send and every
 * later one never return (and the later ones never reach the homeserver), as when the
 * bot is killed mid-broadcast.
 */
export class CrashingMessenger extends RecordingMessenger {
  crashAfter: number | null = null;
  #dead = false;
  #died: () => void = () => {};
  /** Resolves when the simulated process died. */
  died: Promise<void> = new Promise((resolve) => (this.#died = resolve));

  /** A new process talking to the same homeserver. */
  revive(): void {
    this.#dead = false;
    this.crashAfter = null;
    this.died = new Promise((resolve) => (this.#died = resolve));
  }

  override send(roomId: string, message: OutgoingMessage, options?: SendOptions): Promise<string[]> {
    if (this.#dead) return new Promise(() => {});
    const before = this.sent.length;
    const result = super.send(roomId, message, options);
    // Only a send that reached the homeserver as a new event counts towards the crash.
    if (this.sent.length === before || this.crashAfter === null) return result;
    if (this.crashAfter === 0) {
      this.#dead = true;
      this.#died();
      return new Promise(() => {});
    }
    this.crashAfter -= 1;
    return result;
  }
}

export interface Harness {
  storage: MemoryStorage;
  messenger: CrashingMessenger;
  clock: ManualClock;
  ctx: BotContext;
  organisers: Organisers;
  synced: string[];
  /** An organiser (or anyone) writes in the organisers' room; resolves once the bot is idle. */
  say(body: string, sender?: string): Promise<string>;
  /** The bot's replies to the organisers' room since the last call. */
  replies(): string[];
  /** A new bot process over the same storage and homeserver (a restart). */
  restart(): Harness;
  idle(): Promise<void>;
}

export interface HarnessOptions {
  now?: string;
  announcements?: string | null;
  campaigns?: unknown[];
  storage?: MemoryStorage;
  messenger?: CrashingMessenger;
  clock?: ManualClock;
}

let eventCounter = 0;

export function createHarness(options: HarnessOptions = {}): Harness {
  const clock = options.clock ?? new ManualClock();
  if (!options.clock) clock.set(options.now ?? '2026-09-01T08:00:00Z');
  const storage = options.storage ?? createMemoryStorage({ now: () => clock.now() });
  const messenger = options.messenger ?? new CrashingMessenger();
  const config = configSchema.parse({
    homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' },
    people: { organisers: [ORGANISER, OTHER_ORGANISER], jurors: JURORS },
    campaigns: options.campaigns ?? [],
  });
  const synced: string[] = [];
  const ctx: BotContext = {
    config,
    logger: pino({ level: 'silent' }),
    messenger,
    storage,
    clock,
    metrics: createMetrics(),
    rooms: {
      jury: '!jury:test',
      organisers: ORG_ROOM,
      lobby: null,
      announcements: options.announcements === undefined ? PUBLIC_ROOM : options.announcements,
    },
  };
  const ports = {
    jury: {
      async syncDossiers() {
        synced.push('sync');
      },
    },
    // The candidacies here have no conversation: closing moves their status by itself.
    candidacy: { sendStoredOutbox: async () => {}, applySystemEvent: async () => null },
  };
  const organisers = createOrganisers(ctx, ports, {
    loadQuestionnaire: () => QUESTIONNAIRE,
    intervalMs: 3_600_000,
  });
  let seen = messenger.in(ORG_ROOM).length;
  const harness: Harness = {
    storage,
    messenger,
    clock,
    ctx,
    organisers,
    synced,
    async say(body, sender = ORGANISER) {
      const event: RawEvent = {
        event_id: `$in${++eventCounter}`,
        type: 'm.room.message',
        sender,
        origin_server_ts: clock.now().getTime(),
        content: { msgtype: 'm.text', body },
      };
      await Promise.race([
        (async () => {
          await organisers.handler.handle({ roomId: ORG_ROOM, kind: 'organisers', event });
          await organisers.organiserService.scheduler.idle();
        })(),
        messenger.died,
      ]);
      return event.event_id;
    },
    replies() {
      const all = messenger.in(ORG_ROOM);
      const fresh = all.slice(seen).map((s) => s.message.plain);
      seen = all.length;
      return fresh;
    },
    restart() {
      organisers.stop();
      messenger.revive();
      return createHarness({ ...options, storage, messenger, clock });
    },
    idle: () => organisers.organiserService.scheduler.idle(),
  };
  return harness;
}

export interface CandidacySpec {
  name: string;
  status?: CandidacyStatus;
  language?: string;
  answers?: Record<string, unknown>;
}

let roomCounter = 0;

/** A candidacy of the campaign with its room and answers, stored as the candidacy flow would. */
export async function addCandidacy(h: Harness, campaignId: string, spec: CandidacySpec): Promise<Candidacy> {
  const roomId = `!cand${++roomCounter}:test`;
  const { candidacy } = await h.storage.candidacies.create({
    campaignId,
    collectivite: { name: spec.name, kind: 'commune' },
    people: { lead: { userId: `@lead${roomCounter}:test` }, coEditors: [] },
    roomId,
    language: spec.language ?? 'fr',
  });
  const answers = spec.answers ?? { name: spec.name, kind: 'commune' };
  const update = await h.storage.candidacies.updateWithRetry(candidacy.id, () => ({
    by: candidacy.people.lead.userId,
    effects: Object.entries(answers).map(([questionId, value]) => ({
      kind: 'set' as const,
      questionId,
      value: value as never,
    })),
    ...(spec.status && spec.status !== 'draft' ? { status: spec.status } : {}),
  }));
  return update.candidacy;
}

export const FULL_ANSWERS = {
  name: 'Plouguerneau',
  kind: 'commune',
  population: 6500,
  uses_linux: true,
  distros: ['Debian', 'Ubuntu'],
  tools: ['libreoffice', 'firefox'],
  strategy: 'Tout en libre, "vraiment" ; même les <script>alert(1)</script>\nsur deux lignes',
};
