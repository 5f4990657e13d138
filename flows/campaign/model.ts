// What a campaign is, as the organisers' logic sees it. Storage keeps the same fields;
// the bot maps between the two (bot/organisers/store.ts), so nothing here depends on
// how or where campaigns are kept.
import { makeScale } from '../jury/scale.ts';
import type { LocalizedText } from '../questionnaire.ts';
import { DAY } from './time.ts';

/** draft -> open -> closed -> published. Only `open` accepts candidacies (between opensAt and closesAt). */
export const CAMPAIGN_STATUSES = ['draft', 'open', 'closed', 'published'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** One step of the level scale, lowest first. `id` is what votes and decisions store. */
export interface Level {
  readonly id: string;
  readonly labels: LocalizedText;
}

export interface Campaign {
  readonly id: string;
  readonly year: number;
  readonly name: string;
  readonly questionnaireId: string;
  readonly levels: readonly Level[];
  readonly timeZone: string;
  readonly opensAt: Date;
  readonly closesAt: Date;
  readonly juryDeadline: Date | null;
  /** Automatic reminders, as durations before closesAt (largest first). */
  readonly reminderOffsetsMs: readonly number[];
  /** A candidate may make a submitted dossier final before closing (the jury then votes on it). */
  readonly earlyFinal?: boolean;
  readonly status: CampaignStatus;
  /** When closesAt was last set (creation or extension): reminders due before that are not sent. */
  readonly deadlineSetAt: Date;
  /** Results are published at this time (when the campaign is closed). */
  readonly resultsAt: Date | null;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly openedAt: Date | null;
  readonly closedAt: Date | null;
  readonly publishedAt: Date | null;
}

export const DEFAULT_REMINDER_OFFSETS_MS: readonly number[] = [7 * DAY, 2 * DAY];

/** Levels 1 to 5, the scale used until 2024. */
export function numericLevels(count = 5): Level[] {
  return Array.from({ length: count }, (_, i) => ({
    id: String(i + 1),
    labels: { fr: `niveau ${i + 1}`, en: `level ${i + 1}` },
  }));
}

/**
 * "1-5" (numbers), "3" (1 to 3), or named grades in order: "badge,bronze,argent,or".
 * Named grades keep the typed name as their label in every language; ids follow the jury's scale rules.
 */
export function parseLevels(text: string): Level[] | undefined {
  const t = text.trim();
  const range = /^(?:1\s*-\s*)?(\d{1,2})$/.exec(t);
  if (range) {
    const n = Number(range[1]);
    return n >= 2 && n <= 20 ? numericLevels(n) : undefined;
  }
  const names = t
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length < 2) return undefined;
  try {
    // The jury's scale rules make the ids, so votes and decisions agree with them.
    return makeScale(names).levels.map((level) => ({
      id: level.id,
      labels: { fr: level.labels.fr ?? level.id, en: level.labels.fr ?? level.id },
    }));
  } catch {
    return undefined;
  }
}

/** Where a campaign stands at a given time, finer than its stored status. */
export type CampaignPhase =
  | 'draft'
  | 'scheduled' // open, before opensAt
  | 'accepting'
  | 'closing_due' // open, closesAt passed, not yet closed by the scheduler
  | 'closed'
  | 'published';

export function phaseOf(campaign: Campaign, now: Date): CampaignPhase {
  switch (campaign.status) {
    case 'draft':
      return 'draft';
    case 'open':
      if (now < campaign.opensAt) return 'scheduled';
      return now < campaign.closesAt ? 'accepting' : 'closing_due';
    case 'closed':
      return 'closed';
    case 'published':
      return 'published';
  }
}

export function acceptsCandidacies(campaign: Campaign, now: Date): boolean {
  return phaseOf(campaign, now) === 'accepting';
}

/** The campaign organisers mean when they name none: the open one, else the latest created. */
export function currentCampaign(campaigns: readonly Campaign[]): Campaign | undefined {
  const open = campaigns.find((c) => c.status === 'open');
  if (open) return open;
  return [...campaigns].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.year - a.year)[0];
}

/**
 * What `!publier` without an id means: the closed campaign that closed last; when every
 * closed one is published, the last published (so that the answer is "already published").
 */
export function campaignToPublish(campaigns: readonly Campaign[]): Campaign | undefined {
  const latest = (status: CampaignStatus, at: (c: Campaign) => Date) =>
    campaigns.filter((c) => c.status === status).sort((a, b) => at(b).getTime() - at(a).getTime())[0];
  return (
    latest('closed', (c) => c.closedAt ?? c.closesAt) ??
    latest('published', (c) => c.publishedAt ?? c.closesAt)
  );
}

/** A campaign id from its year and name when none is given: "tnl-2026". */
export function defaultCampaignId(year: number, taken: readonly string[]): string {
  const base = `tnl-${year}`;
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n++) if (!taken.includes(`${base}-${n}`)) return `${base}-${n}`;
}

export function levelLabel(campaign: Pick<Campaign, 'levels'>, id: string, lang: string): string {
  const level = campaign.levels.find((l) => l.id === id);
  if (!level) return id;
  return level.labels[lang] ?? level.labels.fr ?? Object.values(level.labels)[0] ?? id;
}
