// The status dashboard as data: counts by stage, progress per candidacy, jury progress
// and what is late. The renderer (bot/render/organisers.ts) turns it into a message.
import type { CandidacyStage } from './deadlines.ts';
import { type Campaign, type CampaignPhase, phaseOf } from './model.ts';
import { DAY } from './time.ts';

export interface CandidacyProgressView {
  readonly id: string;
  readonly name: string;
  readonly stage: CandidacyStage;
  readonly answered: number;
  readonly required: number;
  readonly lastActivityAt: Date;
}

export interface JuryProgressView {
  readonly candidacyId: string;
  readonly votes: number;
  /** Jurors who may vote on this dossier (not recused). */
  readonly eligible: number;
  readonly quorumReached: boolean;
  readonly decided: boolean;
}

export type LateItem =
  /** A draft with answers missing while closing is near. */
  | { kind: 'incompleteNearClosing'; id: string; name: string; answered: number; required: number }
  /** A draft nobody touched for a long time. */
  | { kind: 'inactive'; id: string; name: string; sinceMs: number }
  /** A dossier without a decision after the jury deadline (or without quorum near it). */
  | { kind: 'juryOverdue'; id: string; name: string; votes: number; eligible: number }
  | { kind: 'failedDeliveries'; broadcastId: string; count: number };

export interface DashboardData {
  readonly campaign: Campaign;
  readonly phase: CampaignPhase;
  readonly now: Date;
  readonly counts: Readonly<Record<CandidacyStage, number>>;
  readonly candidacies: readonly (CandidacyProgressView & { percent: number })[];
  readonly jury: readonly (JuryProgressView & { name: string })[];
  readonly late: readonly LateItem[];
}

export interface DashboardThresholds {
  /** How long before closing an incomplete draft counts as late. */
  nearClosingMs: number;
  /** How long without activity makes a draft inactive. */
  inactiveMs: number;
  /** How long before the jury deadline a dossier without quorum counts as late. */
  juryWarningMs: number;
}

export const DEFAULT_THRESHOLDS: DashboardThresholds = {
  nearClosingMs: 7 * DAY,
  inactiveMs: 14 * DAY,
  juryWarningMs: 3 * DAY,
};

export function percentOf(answered: number, required: number): number {
  if (required <= 0) return 100;
  return Math.min(100, Math.round((answered / required) * 100));
}

export function computeDashboard(input: {
  campaign: Campaign;
  now: Date;
  candidacies: readonly CandidacyProgressView[];
  jury: readonly JuryProgressView[];
  failedDeliveries: ReadonlyArray<{ broadcastId: string; count: number }>;
  thresholds?: DashboardThresholds;
}): DashboardData {
  const { campaign, now } = input;
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;
  const phase = phaseOf(campaign, now);
  const counts: Record<CandidacyStage, number> = {
    draft: 0,
    submitted: 0,
    review: 0,
    frozen: 0,
    decided: 0,
    withdrawn: 0,
  };
  for (const c of input.candidacies) counts[c.stage] += 1;

  const candidacies = [...input.candidacies]
    .map((c) => ({ ...c, percent: percentOf(c.answered, c.required) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'fr') || a.id.localeCompare(b.id));
  const names = new Map(input.candidacies.map((c) => [c.id, c.name]));
  const jury = input.jury
    .map((j) => ({ ...j, name: names.get(j.candidacyId) ?? j.candidacyId }))
    .sort((a, b) => a.name.localeCompare(b.name, 'fr'));

  const late: LateItem[] = [];
  if (phase === 'accepting') {
    const closingNear = campaign.closesAt.getTime() - now.getTime() <= thresholds.nearClosingMs;
    for (const c of candidacies) {
      if (c.stage !== 'draft') continue;
      if (closingNear && c.answered < c.required) {
        late.push({
          kind: 'incompleteNearClosing',
          id: c.id,
          name: c.name,
          answered: c.answered,
          required: c.required,
        });
      } else if (now.getTime() - c.lastActivityAt.getTime() >= thresholds.inactiveMs) {
        late.push({
          kind: 'inactive',
          id: c.id,
          name: c.name,
          sinceMs: now.getTime() - c.lastActivityAt.getTime(),
        });
      }
    }
  }
  if (campaign.juryDeadline && (phase === 'closed' || phase === 'closing_due')) {
    const warnFrom = campaign.juryDeadline.getTime() - thresholds.juryWarningMs;
    for (const j of jury) {
      if (j.decided) continue;
      const overdue = now >= campaign.juryDeadline;
      if (overdue || (now.getTime() >= warnFrom && !j.quorumReached)) {
        late.push({
          kind: 'juryOverdue',
          id: j.candidacyId,
          name: j.name,
          votes: j.votes,
          eligible: j.eligible,
        });
      }
    }
  }
  for (const f of input.failedDeliveries) if (f.count > 0) late.push({ kind: 'failedDeliveries', ...f });
  return { campaign, phase, now, counts, candidacies, jury, late };
}

/** A text bar: "██████░░░░" for value/max over `width` cells. */
export function textBar(value: number, max: number, width = 20): string {
  const filled = max <= 0 ? 0 : Math.round((Math.max(0, Math.min(value, max)) / max) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}
