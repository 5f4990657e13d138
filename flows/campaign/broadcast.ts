// Broadcasts: one message to many rooms, with one stored delivery per room. This module
// decides who receives a broadcast, which deliveries are due (first try, resumption
// after a crash, retry after a failure) and what the delivery report says.
import type { Audience } from './commands.ts';
import type { CandidacyStage } from './deadlines.ts';

export const BROADCAST_KINDS = ['announcement', 'reminder', 'closing', 'results'] as const;
export type BroadcastKind = (typeof BROADCAST_KINDS)[number];

/** pending: not tried yet; sending: claimed (a crash here means "send again with the same key"). */
export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryView {
  readonly roomId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly error: string | null;
  readonly nextAttemptAt: Date | null;
}

/** Tries per delivery, the first included; then it stays failed until an organiser retries it. */
export const MAX_ATTEMPTS = 4;

/** Wait before the next try: 1 min, 4 min, 16 min. */
export function retryDelayMs(attempts: number): number {
  return 60_000 * 4 ** Math.max(0, attempts - 1);
}

export function isDue(delivery: DeliveryView, now: Date): boolean {
  if (delivery.status === 'pending' || delivery.status === 'sending') return true;
  return (
    delivery.status === 'failed' &&
    delivery.attempts < MAX_ATTEMPTS &&
    delivery.nextAttemptAt !== null &&
    delivery.nextAttemptAt <= now
  );
}

export interface DeliverySummary {
  total: number;
  sent: number;
  /** Failed, another try scheduled. */
  retrying: number;
  /** Failed for good (until an organiser retries). */
  failed: number;
  /** Not tried yet or being sent. */
  waiting: number;
  /** The most tries any delivery had: a report is posted once per round. */
  round: number;
  /** Nothing is waiting: a report can be posted. */
  settled: boolean;
}

export function summarize(deliveries: readonly DeliveryView[]): DeliverySummary {
  const summary = { total: deliveries.length, sent: 0, retrying: 0, failed: 0, waiting: 0, round: 0 };
  for (const d of deliveries) {
    summary.round = Math.max(summary.round, d.attempts);
    if (d.status === 'sent') summary.sent++;
    else if (d.status === 'failed') {
      if (d.attempts < MAX_ATTEMPTS) summary.retrying++;
      else summary.failed++;
    } else summary.waiting++;
  }
  return { ...summary, settled: summary.waiting === 0 };
}

/** The stable key of one delivery: the same key always gives the same Matrix transaction id. */
export function deliveryKey(broadcastId: string, roomId: string): string {
  return `broadcast:${broadcastId}:${roomId}`;
}

export interface CandidacyTargetView {
  readonly id: string;
  readonly roomId: string;
  readonly stage: CandidacyStage;
  readonly lastActivityAt: Date;
  /** Other names an organiser may use for it in a list (the collectivité's name...). */
  readonly aliases?: readonly string[];
}

export function stageMatches(audience: Audience['candidacies'], stage: CandidacyStage): boolean {
  if (stage === 'withdrawn') return false;
  if (audience === 'all') return true;
  if (audience === 'drafts') return stage === 'draft';
  if (audience === 'submitted') return stage === 'submitted' || stage === 'review' || stage === 'decided';
  return false;
}

/** Which candidacies an audience designates; names in a list that match nothing are returned too. */
export function selectTargets(
  audience: Audience,
  candidacies: readonly CandidacyTargetView[],
  now: Date,
): { targets: CandidacyTargetView[]; unknownRefs: string[] } {
  const wanted = audience.candidacies;
  let targets: CandidacyTargetView[];
  const unknownRefs: string[] = [];
  if (wanted === 'none') targets = [];
  else if (typeof wanted === 'object') {
    const byRef = new Map<string, CandidacyTargetView>();
    for (const c of candidacies) {
      if (c.stage === 'withdrawn') continue;
      for (const ref of [c.id, c.roomId, ...(c.aliases ?? [])]) byRef.set(ref.toLowerCase(), c);
    }
    const chosen = new Map<string, CandidacyTargetView>();
    for (const ref of wanted.refs) {
      const found = byRef.get(ref.toLowerCase());
      if (found) chosen.set(found.id, found);
      else unknownRefs.push(ref);
    }
    targets = [...chosen.values()];
  } else {
    targets = candidacies.filter((c) => stageMatches(wanted, c.stage));
  }
  if (audience.inactiveForMs) {
    const limit = now.getTime() - audience.inactiveForMs;
    targets = targets.filter((c) => c.lastActivityAt.getTime() <= limit);
  }
  return { targets, unknownRefs };
}

/** The version of a text for a language: that language, else the common version, else French, else any. */
export function versionFor(texts: Readonly<Record<string, string>>, lang: string): string {
  return texts[lang] ?? texts['*'] ?? texts.fr ?? Object.values(texts)[0] ?? '';
}
