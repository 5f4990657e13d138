// The jury's views over several dossiers: one juror's ballots (what waits for their
// vote), the ranking where it may be seen, and whom to remind. Pure.
import {
  type DossierSnapshot,
  type JurySettings,
  phaseOfDossier,
  secrecyFacts,
  statusOf,
} from './snapshot.ts';
import { type Aggregate, rank, type Ranked } from './majority.ts';
import { ballotOf } from './record.ts';
import { jurorsOf } from './rules.ts';
import { levelIndex } from './scale.ts';
import { type JuryPlace, mayShow, type Reader } from './secrecy.ts';

export type BallotState =
  | 'toCast'
  | 'voted'
  | 'abstained'
  /** Voted or abstained, shown where the juror's own choice may not be (the shared room). */
  | 'cast'
  | 'recused'
  | 'provisional'
  | 'decided'
  | 'withdrawn';

export interface BallotLine {
  readonly number: number;
  readonly name: string;
  readonly state: BallotState;
  /** The juror's own level (index), when voted: shown only in their ballot room. */
  readonly level: number | null;
  /** Ballots cast / eligible jurors. */
  readonly done: number;
  readonly total: number;
}

export interface BallotOverview {
  readonly lines: readonly BallotLine[];
  readonly toCast: number;
  readonly cast: number;
  /** Dossiers still provisional (readable, not yet open to votes). */
  readonly provisional: number;
}

/** One juror's ballots over the dossiers, in number order. */
export function ballotOverview(
  juror: string,
  dossiers: readonly DossierSnapshot[],
  jury: JurySettings,
): BallotOverview {
  const lines: BallotLine[] = [];
  for (const dossier of [...dossiers].sort((a, b) => a.record.number - b.record.number)) {
    const phase = phaseOfDossier(dossier, jury.now);
    const status = statusOf(dossier.record, dossier.scale, jury.roster, jury.policy);
    const ballot = ballotOf(dossier.record, juror);
    let state: BallotState;
    if (phase === 'withdrawn') state = 'withdrawn';
    else if (ballot?.status === 'recused') state = 'recused';
    else if (phase === 'decided') state = 'decided';
    else if (ballot?.status === 'voted') state = 'voted';
    else if (ballot?.status === 'abstained') state = 'abstained';
    else if (phase === 'provisional') state = 'provisional';
    else state = 'toCast';
    const level = state === 'voted' && ballot?.level ? levelIndex(dossier.scale, ballot.level) : null;
    lines.push({
      number: dossier.record.number,
      name: dossier.name,
      state,
      level,
      done: status.quorum.participating,
      total: status.eligible.length,
    });
  }
  return {
    lines,
    toCast: lines.filter((l) => l.state === 'toCast').length,
    cast: lines.filter((l) => l.state === 'voted' || l.state === 'abstained').length,
    provisional: lines.filter((l) => l.state === 'provisional').length,
  };
}

/** The same overview without the juror's own choices: for a place others read too. */
export function withoutOwnLevels(overview: BallotOverview): BallotOverview {
  return {
    ...overview,
    lines: overview.lines.map((l) =>
      l.state === 'voted' || l.state === 'abstained' ? { ...l, state: 'cast' as const, level: null } : l,
    ),
  };
}

export interface RankingItem {
  readonly number: number;
  readonly name: string;
}

export interface Ranking {
  /** Dossiers whose distribution every reader of the place may see, ranked. */
  readonly ranked: ReadonlyArray<Ranked<RankingItem>>;
  /** The others: votes still secret here (or no vote yet). */
  readonly hidden: ReadonlyArray<RankingItem & { done: number; total: number }>;
}

/** The majority-judgment ranking, limited to what the place's readers may see. */
export function ranking(
  dossiers: readonly DossierSnapshot[],
  readers: readonly Reader[],
  place: JuryPlace,
  jury: JurySettings,
): Ranking {
  const visible: Array<{ item: RankingItem; result: Aggregate }> = [];
  const hidden: Array<RankingItem & { done: number; total: number }> = [];
  for (const dossier of dossiers) {
    if (phaseOfDossier(dossier, jury.now) === 'withdrawn') continue;
    const status = statusOf(dossier.record, dossier.scale, jury.roster, jury.policy);
    const facts = secrecyFacts(status, dossier.record, dossier.openVotes);
    const item = { number: dossier.record.number, name: dossier.name };
    if (mayShow(readers, 'distribution', place, facts)) visible.push({ item, result: status.result });
    else hidden.push({ ...item, done: status.quorum.participating, total: status.eligible.length });
  }
  return { ranked: rank(visible), hidden: hidden.sort((a, b) => a.number - b.number) };
}

/** Jurors with no ballot on final, undecided dossiers, each with those dossiers' numbers. */
export function ballotsAwaited(
  dossiers: readonly DossierSnapshot[],
  jury: JurySettings,
): Array<{ juror: string; dossiers: number[] }> {
  const pending = new Map<string, number[]>();
  for (const dossier of dossiers) {
    if (phaseOfDossier(dossier, jury.now) !== 'final') continue;
    const status = statusOf(dossier.record, dossier.scale, jury.roster, jury.policy);
    for (const juror of status.missing)
      pending.set(juror, [...(pending.get(juror) ?? []), dossier.record.number]);
  }
  return jurorsOf(jury.roster)
    .filter((juror) => pending.has(juror))
    .map((juror) => ({ juror, dossiers: (pending.get(juror) ?? []).sort((a, b) => a - b) }));
}

/** Automatic reminders to jurors, this long before the jury deadline. */
export const JURY_REMINDER_OFFSETS_MS = [3 * 86_400_000, 86_400_000] as const;

/** The scheduled reminder due now before `deadline` (the nearest one after downtime), as a stable key part. */
export function dueReminder(deadline: Date | null, now: Date): string | null {
  if (!deadline || now.getTime() >= deadline.getTime()) return null;
  const due = JURY_REMINDER_OFFSETS_MS.filter((offset) => now.getTime() >= deadline.getTime() - offset);
  if (due.length === 0) return null;
  return `${Math.round(Math.min(...due) / 3_600_000)}h`;
}
