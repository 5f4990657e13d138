// The clock's decisions: given the time, a stored campaign and its candidacies, what
// must happen now. The scheduler calls this at start-up, periodically and after a
// clock jump, and carries out what it returns; every action is idempotent, so deciding
// twice (or after a crash half-way through) never does anything twice.
import type { Campaign } from './model.ts';
import { formatDuration } from './time.ts';

/** Where a candidacy stands, as the organisers' logic needs it. */
export const CANDIDACY_STAGES = ['draft', 'submitted', 'review', 'frozen', 'decided', 'withdrawn'] as const;
export type CandidacyStage = (typeof CANDIDACY_STAGES)[number];

export interface CandidacyClockView {
  readonly id: string;
  readonly stage: CandidacyStage;
  readonly createdAt: Date;
}

export type ClockAction =
  /** Close the campaign (if still open), freeze its drafts, move submitted dossiers to review. */
  | {
      kind: 'close';
      campaignId: string;
      markClosed: boolean;
      freeze: string[];
      review: string[];
    }
  /** Send an automatic reminder to these unfinished candidacies (once: `key` is stored). */
  | { kind: 'remind'; campaignId: string; key: string; offsetMs: number; dueAt: Date; targets: string[] }
  /** Publish the results (scheduled time reached). */
  | { kind: 'publish'; campaignId: string };

/** One automatic reminder of one closing date: extending the date starts a new series. */
export function reminderKey(campaign: Pick<Campaign, 'id' | 'closesAt'>, offsetMs: number): string {
  return `reminder:${campaign.id}:${campaign.closesAt.toISOString()}:${formatDuration(offsetMs)}`;
}

/**
 * The automatic reminder due now, if any: the latest one whose time has come. When
 * the bot was down through several reminder times, only the latest is sent (one
 * message saying "2 days left", not two in a row).
 */
export function dueReminder(
  campaign: Campaign,
  now: Date,
): { key: string; offsetMs: number; dueAt: Date } | undefined {
  if (campaign.status !== 'open' || now < campaign.opensAt || now >= campaign.closesAt) return undefined;
  let due: { key: string; offsetMs: number; dueAt: Date } | undefined;
  for (const offsetMs of campaign.reminderOffsetsMs) {
    const dueAt = new Date(campaign.closesAt.getTime() - offsetMs);
    // Reminder times that had passed when the closing date was set are not sent late.
    if (dueAt > now || dueAt <= campaign.deadlineSetAt) continue;
    if (!due || dueAt > due.dueAt) due = { key: reminderKey(campaign, offsetMs), offsetMs, dueAt };
  }
  return due;
}

export interface ClockInput {
  now: Date;
  campaign: Campaign;
  candidacies: readonly CandidacyClockView[];
  /** Keys of automatic reminders already started. */
  remindersDone: ReadonlySet<string>;
}

export function decide(input: ClockInput): ClockAction[] {
  const { now, campaign, candidacies } = input;
  const actions: ClockAction[] = [];
  const closingTime = campaign.status === 'open' && now >= campaign.closesAt;
  const closedAlready = campaign.status === 'closed' || campaign.status === 'published';
  if (closingTime || closedAlready) {
    // Once closed, nothing may stay a draft or a submitted dossier: this also repairs a closing cut short by a crash.
    const freeze = candidacies.filter((c) => c.stage === 'draft').map((c) => c.id);
    const review = candidacies.filter((c) => c.stage === 'submitted').map((c) => c.id);
    if (closingTime || freeze.length > 0 || review.length > 0) {
      actions.push({ kind: 'close', campaignId: campaign.id, markClosed: closingTime, freeze, review });
    }
  }
  const reminder = dueReminder(campaign, now);
  if (reminder && !input.remindersDone.has(reminder.key)) {
    const targets = candidacies
      .filter((c) => c.stage === 'draft' && c.createdAt < reminder.dueAt)
      .map((c) => c.id);
    actions.push({ kind: 'remind', campaignId: campaign.id, ...reminder, targets });
  }
  const publishing = campaign.status === 'closed' || closingTime;
  if (publishing && campaign.resultsAt && now >= campaign.resultsAt) {
    actions.push({ kind: 'publish', campaignId: campaign.id });
  }
  return actions;
}

/** When the scheduler must look again at the latest (it also looks periodically). */
export function nextDeadline(campaign: Campaign, now: Date): Date | undefined {
  const times: Date[] = [];
  if (campaign.status === 'open') {
    times.push(campaign.closesAt);
    for (const offset of campaign.reminderOffsetsMs)
      times.push(new Date(campaign.closesAt.getTime() - offset));
    if (campaign.opensAt > now) times.push(campaign.opensAt);
  }
  if ((campaign.status === 'open' || campaign.status === 'closed') && campaign.resultsAt)
    times.push(campaign.resultsAt);
  return times.filter((t) => t > now).sort((a, b) => a.getTime() - b.getTime())[0];
}
