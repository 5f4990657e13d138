// Between storage's records and the organisers' logic: campaigns as flows/campaign sees
// them (the few fields storage has no column for live in `settings.organisers`), the
// stage of a candidacy and the name organisers know it by. (Pending confirmations and
// the notices posted live in their own records: storage/organisers.ts.)
import type { Campaign, CampaignStatus } from '../../flows/campaign/model.ts';
import type { CandidacyStage } from '../../flows/campaign/deadlines.ts';
import type { Refusal, Transition } from '../../flows/campaign/lifecycle.ts';
import { DAY } from '../../flows/campaign/time.ts';
import {
  type Campaign as StoredCampaign,
  type CampaignPatch,
  type Candidacy,
  CONSTRAINTS,
  ConflictError,
  DuplicateError,
  type JsonValue,
  type Storage,
} from '../../storage/index.ts';
import { EARLY_FINAL_SETTING, earlyFinalAllowed } from '../../flows/jury/phase.ts';

/** Extra campaign fields kept in the stored campaign's `settings`. */
interface OrganiserSettings {
  deadlineSetAt?: string;
  resultsAt?: string | null;
  openedAt?: string | null;
  closedAt?: string | null;
  createdBy?: string;
}

const SETTINGS_KEY = 'organisers';

function dateOrNull(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

function settingsOf(stored: StoredCampaign): OrganiserSettings {
  const raw = stored.settings[SETTINGS_KEY];
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as OrganiserSettings) : {};
}

export function campaignFromStored(stored: StoredCampaign): Campaign {
  const extra = settingsOf(stored);
  const status: CampaignStatus =
    stored.status === 'closed' && stored.publishedAt ? 'published' : (stored.status as CampaignStatus);
  return {
    id: stored.id,
    year: stored.year,
    name: stored.name,
    questionnaireId: stored.questionnaire,
    levels: stored.levels.map((l) => ({ id: l.id, labels: l.labels })),
    timeZone: stored.timeZone,
    opensAt: stored.opensAt,
    closesAt: stored.closesAt,
    juryDeadline: stored.juryDeadline,
    reminderOffsetsMs: [...stored.reminderDaysBefore].map((d) => Math.round(d * DAY)).sort((a, b) => b - a),
    earlyFinal: earlyFinalAllowed(stored.settings),
    status,
    deadlineSetAt: dateOrNull(extra.deadlineSetAt) ?? stored.createdAt,
    resultsAt: dateOrNull(extra.resultsAt),
    createdAt: stored.createdAt,
    createdBy: extra.createdBy ?? stored.history[0]?.by ?? 'unknown',
    openedAt: dateOrNull(extra.openedAt),
    closedAt: dateOrNull(extra.closedAt),
    publishedAt: stored.publishedAt,
  };
}

function settingsFor(c: Campaign): Record<string, JsonValue> {
  const extra: OrganiserSettings = {
    deadlineSetAt: c.deadlineSetAt.toISOString(),
    resultsAt: c.resultsAt?.toISOString() ?? null,
    openedAt: c.openedAt?.toISOString() ?? null,
    closedAt: c.closedAt?.toISOString() ?? null,
    createdBy: c.createdBy,
  };
  return { [SETTINGS_KEY]: extra as unknown as JsonValue, [EARLY_FINAL_SETTING]: c.earlyFinal === true };
}

function storedStatus(status: CampaignStatus): StoredCampaign['status'] {
  return status === 'published' ? 'closed' : status;
}

/** The stored fields a transition changed, for one conditional update. */
export function patchFor(stored: StoredCampaign, next: Campaign, by: string, at: Date): CampaignPatch | null {
  const before = campaignFromStored(stored);
  const patch: CampaignPatch = { by, at };
  let changed = false;
  const set = <K extends keyof CampaignPatch>(key: K, value: CampaignPatch[K]) => {
    patch[key] = value;
    changed = true;
  };
  if (before.status !== next.status) set('status', storedStatus(next.status));
  if (before.closesAt.getTime() !== next.closesAt.getTime()) set('closesAt', next.closesAt);
  if (before.opensAt.getTime() !== next.opensAt.getTime()) set('opensAt', next.opensAt);
  if ((before.juryDeadline?.getTime() ?? null) !== (next.juryDeadline?.getTime() ?? null))
    set('juryDeadline', next.juryDeadline);
  if ((before.publishedAt?.getTime() ?? null) !== (next.publishedAt?.getTime() ?? null))
    set('publishedAt', next.publishedAt);
  const settings = { ...stored.settings, ...settingsFor(next) };
  if (JSON.stringify(settingsFor(before)) !== JSON.stringify(settingsFor(next))) set('settings', settings);
  return changed ? patch : null;
}

/** Where a candidacy stands; a draft of a closed campaign is frozen (the campaign's state says so). */
export function stageOf(candidacy: Candidacy, campaign: Pick<Campaign, 'status'>): CandidacyStage {
  switch (candidacy.status) {
    case 'draft':
      return campaign.status === 'closed' || campaign.status === 'published' ? 'frozen' : 'draft';
    case 'submitted':
      return 'submitted';
    case 'under_review':
      return 'review';
    case 'decided':
      return 'decided';
    case 'withdrawn':
      return 'withdrawn';
  }
}

/**
 * What organisers call a candidacy: the collectivité's name, else (a draft that has not
 * answered that question yet) its lead, whom organisers can recognise and contact.
 */
export function candidacyName(candidacy: Candidacy): string {
  if (candidacy.collectivite) return candidacy.collectivite.name;
  const { lead } = candidacy.people;
  return lead.name ? `${lead.name} (${lead.userId})` : lead.userId;
}

/** The last time anyone touched the candidacy. */
export function lastActivity(candidacy: Candidacy): Date {
  return candidacy.updatedAt;
}

export type TransitionOutcome =
  { ok: true; campaign: Campaign; changed: boolean } | { ok: false; refusal: Refusal };

export class OrganiserStore {
  readonly storage: Storage;
  readonly #changed: () => void;

  /** `changed` is called after every campaign write (so caches elsewhere can be refreshed). */
  constructor(storage: Storage, changed: () => void = () => {}) {
    this.storage = storage;
    this.#changed = changed;
  }

  async campaigns(): Promise<Campaign[]> {
    return (await this.storage.campaigns.list()).map(campaignFromStored);
  }

  async campaign(id: string): Promise<Campaign | null> {
    const stored = await this.storage.campaigns.get(id);
    return stored ? campaignFromStored(stored) : null;
  }

  /** Stores a new campaign; false if one with its id exists already. */
  async createCampaign(c: Campaign, defaults: { quorum: number; votesOpen: boolean }): Promise<boolean> {
    try {
      await this.storage.campaigns.create({
        id: c.id,
        year: c.year,
        name: c.name,
        questionnaire: c.questionnaireId,
        levels: c.levels.map((l) => ({ id: l.id, labels: { ...l.labels } })),
        timeZone: c.timeZone,
        opensAt: c.opensAt,
        closesAt: c.closesAt,
        juryDeadline: c.juryDeadline,
        status: storedStatus(c.status),
        quorum: defaults.quorum,
        votesOpen: defaults.votesOpen,
        reminderDaysBefore: c.reminderOffsetsMs.map((ms) => ms / DAY),
        settings: settingsFor(c),
        by: c.createdBy,
        at: c.createdAt,
      });
      this.#changed();
      return true;
    } catch (error) {
      if (error instanceof DuplicateError && error.constraint === CONSTRAINTS.id) return false;
      throw error;
    }
  }

  /**
   * Applies a lifecycle transition to the stored campaign, conditioned on the version
   * read (re-reading and deciding again after a concurrent change).
   */
  async transition(
    id: string,
    by: string,
    at: Date,
    decide: (current: Campaign, all: Campaign[]) => Transition,
  ): Promise<TransitionOutcome | null> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.storage.campaigns.get(id);
      if (!stored) return null;
      const all = await this.campaigns();
      const result = decide(campaignFromStored(stored), all);
      if (!result.ok) return result;
      const patch = patchFor(stored, result.campaign, by, at);
      if (!patch) return { ok: true, campaign: result.campaign, changed: false };
      try {
        const saved = await this.storage.campaigns.update(stored, patch);
        this.#changed();
        return { ok: true, campaign: campaignFromStored(saved), changed: true };
      } catch (error) {
        if (error instanceof DuplicateError && error.constraint === CONSTRAINTS.openCampaign) {
          const other = all.find((c) => c.status === 'open' && c.id !== id);
          return { ok: false, refusal: { code: 'anotherOpen', id: other?.id ?? '?' } };
        }
        if (!(error instanceof ConflictError) || attempt >= 10) throw error;
      }
    }
  }

  async candidacies(campaignId: string): Promise<Candidacy[]> {
    const out: Candidacy[] = [];
    for await (const c of this.storage.candidacies.listByCampaign(campaignId)) out.push(c);
    return out;
  }
}
