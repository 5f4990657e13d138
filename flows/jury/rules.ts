// Who is who in the jury, the status of a dossier's ballots (quorum, majority
// judgment), and the rules of decisions and corrections: pure functions.
import { type Aggregate, aggregate, isLargeSpread } from './majority.ts';

export interface Roster {
  readonly jurors: readonly string[];
  readonly organisers: readonly string[];
  readonly president: string | null;
}

export interface Roles {
  /** Votes (the president is a juror too). */
  readonly juror: boolean;
  readonly organiser: boolean;
  readonly president: boolean;
}

export function rolesOf(roster: Roster, userId: string): Roles {
  return {
    juror: roster.jurors.includes(userId) || roster.president === userId,
    organiser: roster.organisers.includes(userId),
    president: roster.president === userId,
  };
}

/** Jurors in config order, the president included once. */
export function jurorsOf(roster: Roster): string[] {
  const all = [...roster.jurors];
  if (roster.president && !all.includes(roster.president)) all.push(roster.president);
  return all;
}

export function isMember(roles: Roles): boolean {
  return roles.juror || roles.organiser;
}

/** May record and correct decisions (what they may see is secrecy.ts's to say). */
export function isDecider(roles: Roles): boolean {
  return roles.organiser || roles.president;
}

export type Ballot = { readonly kind: 'level'; readonly level: number } | { readonly kind: 'abstain' };

export interface DossierVotes {
  /** Current ballot per juror (last one counts). */
  readonly ballots: ReadonlyMap<string, Ballot>;
  readonly recused: ReadonlySet<string>;
}

export interface Quorum {
  /** Ballots (levels and abstentions) needed. */
  readonly required: number;
  readonly participating: number;
  readonly reached: boolean;
}

export interface JuryStatus {
  /** Configured jurors who did not recuse. */
  readonly eligible: readonly string[];
  readonly recused: readonly string[];
  readonly voted: readonly string[];
  readonly abstained: readonly string[];
  /** Eligible jurors without a ballot. */
  readonly missing: readonly string[];
  readonly allVoted: boolean;
  readonly quorum: Quorum;
  /** Levels of eligible jurors only: ballots of people no longer in the jury are ignored. */
  readonly result: Aggregate;
  readonly largeSpread: boolean;
}

export interface JuryPolicy {
  /** Share of non-recused jurors whose ballot is needed (abstentions count: they took part). */
  readonly quorum: number;
  readonly spreadAlert: number;
}

export function juryStatus(
  roster: Roster,
  votes: DossierVotes,
  levels: number,
  policy: JuryPolicy,
): JuryStatus {
  const jurors = jurorsOf(roster);
  const recused = jurors.filter((j) => votes.recused.has(j));
  const eligible = jurors.filter((j) => !votes.recused.has(j));
  const voted: string[] = [];
  const abstained: string[] = [];
  const grades: number[] = [];
  for (const juror of eligible) {
    const ballot = votes.ballots.get(juror);
    if (ballot?.kind === 'level' && ballot.level >= 0 && ballot.level < levels) {
      voted.push(juror);
      grades.push(ballot.level);
    } else if (ballot?.kind === 'abstain') abstained.push(juror);
  }
  const missing = eligible.filter((j) => !voted.includes(j) && !abstained.includes(j));
  // A tiny epsilon so that 2/3 of 3 jurors is 2, not 3 after floating-point rounding.
  const required = Math.max(1, Math.ceil(policy.quorum * eligible.length - 1e-9));
  const participating = voted.length + abstained.length;
  const result = aggregate(grades, levels);
  return {
    eligible,
    recused,
    voted,
    abstained,
    missing,
    allVoted: eligible.length > 0 && missing.length === 0,
    quorum: {
      required,
      participating,
      reached: eligible.length > 0 && participating >= required && grades.length > 0,
    },
    result,
    largeSpread: isLargeSpread(result, policy.spreadAlert),
  };
}

export type Refusal<R extends string> = { ok: true } | { ok: false; reason: R };
const OK = { ok: true } as const;

export type ContributionRefusal = 'notMember' | 'recused';

/** Notes, questions to the candidate and proposed mentions: members, but not a recused juror. */
export function checkContribution(roles: Roles, recused: boolean): Refusal<ContributionRefusal> {
  if (!isMember(roles)) return { ok: false, reason: 'notMember' };
  if (recused && !roles.organiser) return { ok: false, reason: 'recused' };
  return OK;
}

export interface DecisionRecord {
  readonly level: number;
  readonly reason: string | null;
  readonly mentions: readonly string[];
  readonly message: string | null;
}

export interface DecisionDraft {
  /** null: the proposed level. */
  readonly level: number | null;
  readonly reason: string | null;
  /** null: unchanged (correction) or none (decision). */
  readonly mentions: readonly string[] | null;
  readonly message: string | null;
}

export type DecisionRefusal = 'notAllowed' | 'noQuorum' | 'reasonRequired';

/**
 * A first decision: by an organiser or the president, once the quorum is reached; a
 * level other than the proposed one (the majority grade) needs a written reason. The
 * dossier's phase (final, not decided, not withdrawn) is checked by the caller.
 */
export function decide(
  roles: Roles,
  status: JuryStatus,
  draft: DecisionDraft,
): { ok: true; decision: DecisionRecord; proposed: number } | { ok: false; reason: DecisionRefusal } {
  if (!isDecider(roles)) return { ok: false, reason: 'notAllowed' };
  const proposed = status.result.majorityGrade;
  if (!status.quorum.reached || proposed === null) return { ok: false, reason: 'noQuorum' };
  const level = draft.level ?? proposed;
  const reason = draft.reason?.trim() || null;
  if (level !== proposed && !reason) return { ok: false, reason: 'reasonRequired' };
  return {
    ok: true,
    proposed,
    decision: {
      level,
      reason,
      mentions: dedupe(draft.mentions ?? []),
      message: draft.message?.trim() || null,
    },
  };
}

export type CorrectionRefusal = 'notAllowed' | 'notDecided' | 'reasonRequired' | 'nothingChanged';

/** A correction keeps what the draft does not give, and always needs a reason (it is audited). */
export function correct(
  roles: Roles,
  current: DecisionRecord | null,
  draft: DecisionDraft,
): { ok: true; decision: DecisionRecord; reason: string } | { ok: false; reason: CorrectionRefusal } {
  if (!isDecider(roles)) return { ok: false, reason: 'notAllowed' };
  if (!current) return { ok: false, reason: 'notDecided' };
  const reason = draft.reason?.trim();
  if (!reason) return { ok: false, reason: 'reasonRequired' };
  const next: DecisionRecord = {
    level: draft.level ?? current.level,
    reason: current.reason,
    mentions: draft.mentions ? dedupe(draft.mentions) : current.mentions,
    message: draft.message?.trim() || current.message,
  };
  const same =
    next.level === current.level &&
    next.message === current.message &&
    next.mentions.length === current.mentions.length &&
    next.mentions.every((m, i) => m === current.mentions[i]);
  if (same) return { ok: false, reason: 'nothingChanged' };
  return { ok: true, decision: next, reason };
}

function dedupe(items: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    const key = item.toLowerCase();
    if (item && !seen.has(key)) {
      seen.add(key);
      out.push(item);
    }
  }
  return out;
}
