// Reading a dossier for the jury (one snapshot: its jury record, candidacy and
// campaign) and writing one change to it: the only place bot/jury touches the
// dossier's storage. A change is one conditional write of the whole record, with the
// Matrix event id that caused it; under the per-dossier lock, a conflict with another
// process is retried on a fresh read.
import type { DossierSnapshot } from '../../flows/jury/snapshot.ts';
import { applyChange, type JuryChange, type JuryRecord } from '../../flows/jury/record.ts';
import { DEFAULT_SCALE, type LevelScale } from '../../flows/jury/scale.ts';
import { type Questionnaire, resolveQuestionnaire } from '../../flows/questionnaire.ts';
import { ConflictError } from '../../storage/errors.ts';
import type { Campaign, Candidacy, Storage } from '../../storage/index.ts';
import { dossierHeader } from '../render/dossier.ts';

/** A dossier as the bot handles it: the flows' snapshot plus what posting and relaying need. */
export interface LoadedDossier extends DossierSnapshot {
  readonly candidacy: Candidacy;
  readonly campaign: Campaign;
  readonly questionnaire: Questionnaire;
}

export interface DossierReads {
  campaign(id: string): Promise<Campaign>;
}

export function scaleOf(campaign: Pick<Campaign, 'levels'>): LevelScale {
  return campaign.levels.length > 0
    ? { levels: campaign.levels.map((l) => ({ id: l.id, labels: l.labels })) }
    : DEFAULT_SCALE;
}

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

export class JuryDossiers {
  readonly lock = new KeyedLock();
  private readonly storage: Storage;
  private readonly reads: DossierReads;
  private readonly lang: string;
  private readonly openVotesByDefault: boolean;
  private readonly now: () => Date;

  constructor(
    storage: Storage,
    reads: DossierReads,
    options: { lang: string; openVotes: boolean; now: () => Date },
  ) {
    this.storage = storage;
    this.reads = reads;
    this.lang = options.lang;
    this.openVotesByDefault = options.openVotes;
    this.now = options.now;
  }

  /** The snapshot of a dossier from its record (one read of the candidacy; the campaign is cached). */
  async snapshot(record: JuryRecord): Promise<LoadedDossier | null> {
    const candidacy = await this.storage.candidacies.get(record.candidacyId);
    if (!candidacy) return null;
    return this.assemble(record, candidacy);
  }

  async assemble(record: JuryRecord, candidacy: Candidacy): Promise<LoadedDossier> {
    const campaign = await this.reads.campaign(candidacy.campaignId);
    const questionnaire = resolveQuestionnaire(campaign.questionnaire);
    return {
      record,
      candidacy,
      campaign,
      questionnaire,
      name: dossierHeader(candidacy, questionnaire, this.lang).name,
      candidacyStatus: candidacy.status,
      closesAt: campaign.closesAt,
      openVotes: campaign.votesOpen || this.openVotesByDefault,
      scale: scaleOf(campaign),
    };
  }

  /** Every dossier of a campaign with the jury, in number order (two streamed reads). */
  async ofCampaign(campaignId: string): Promise<LoadedDossier[]> {
    const records = await this.storage.jury.listByCampaign(campaignId);
    if (records.length === 0) return [];
    const candidacies = new Map<string, Candidacy>();
    for await (const c of this.storage.candidacies.listByCampaign(campaignId)) candidacies.set(c.id, c);
    const out: LoadedDossier[] = [];
    for (const record of records) {
      const candidacy = candidacies.get(record.candidacyId);
      if (candidacy) out.push(await this.assemble(record, candidacy));
    }
    return out;
  }

  async byCandidacy(candidacyId: string): Promise<LoadedDossier | null> {
    const record = await this.storage.jury.get(candidacyId);
    return record ? this.snapshot(record) : null;
  }

  /**
   * Applies `change` to the stored record in one conditional write, recording `eventId`
   * with it (and the replies to send, if given). Returns the record as stored.
   */
  async write(
    record: JuryRecord,
    change: JuryChange,
    options: { eventId?: string | null; outbox?: readonly unknown[]; retry?: boolean } = {},
  ): Promise<JuryRecord> {
    let current = record;
    // Bookkeeping changes (posted, relayed) apply to any later version; a command's change
    // was decided on this snapshot, so its caller decides again instead (retry: false).
    const attempts = options.retry === false ? 1 : 5;
    for (let attempt = 1; ; attempt += 1) {
      const next = applyChange(current, change, { at: this.now(), eventId: options.eventId ?? null });
      const withOutbox =
        options.outbox && options.eventId
          ? { ...next, outbox: { eventId: options.eventId, replies: options.outbox } }
          : next;
      try {
        return await this.storage.jury.save(withOutbox, current.version);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
        const fresh = await this.storage.jury.get(record.candidacyId);
        if (!fresh) throw error;
        current = fresh;
      }
    }
  }
}
