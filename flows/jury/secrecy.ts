// The secret ballot, decided in one place: may this reader, in this place, now, see
// this piece of jury information? Every message, reminder, dashboard and export that
// carries jury information asks here first; a place read by several people (the jury
// room, the organisers' room) shows a piece only when every reader may see it.
//
// The rule:
// - Before a juror has voted, abstained or recused on a dossier, nothing shows them
//   another juror's ballot or the distribution (counts per level, proposed level,
//   ranking) — the president included when the president is a juror. A recused juror
//   never sees them before the decision.
// - The shared jury room (and its threads) shows the distribution only once every
//   non-recused juror has a ballot, or with the decision.
// - Organisers who are not jurors may see it privately (the organisers' room, whose
//   readers are the organisers: all of them must be entitled).
// - Who voted what (`jury.openVotes`) follows the same rule, and only when open.
// - One's own ballot is shown only in one's own ballot room.
// - Private notes never go where a recused juror reads them; the discussion of a
//   dossier (questions, replies, mentions) is never brought to a recused juror's
//   ballot room.
import type { Roles } from './rules.ts';

export type JuryInfo =
  /** The reader's own ballot (its level). */
  | 'ownBallot'
  /** Who voted what. */
  | 'ballots'
  /** Counts per level, the proposed level, gauge, spread, rank. */
  | 'distribution'
  /** Private notes of the jury. */
  | 'notes'
  /** Questions to the candidate and replies, proposed mentions. */
  | 'discussion';

/** ballot: the reader's own ballot room; jury: the shared jury room or a thread in it; organisers: their room. */
export type JuryPlace = 'ballot' | 'jury' | 'organisers';

export interface Reader {
  readonly userId: string;
  readonly roles: Roles;
}

/** The facts of one dossier the rule needs. */
export interface SecrecyFacts {
  readonly recused: readonly string[];
  /** Jurors with a ballot (a level or an abstention). */
  readonly cast: readonly string[];
  /** Every non-recused juror has a ballot. */
  readonly allCast: boolean;
  readonly decided: boolean;
  /** The campaign shows who voted what once the distribution may be seen. */
  readonly openVotes: boolean;
}

function isMember(roles: Roles): boolean {
  return roles.juror || roles.organiser;
}

export function maySee(reader: Reader, info: JuryInfo, place: JuryPlace, facts: SecrecyFacts): boolean {
  const { roles, userId } = reader;
  if (!isMember(roles)) return false;
  const recused = roles.juror && facts.recused.includes(userId);
  switch (info) {
    case 'ownBallot':
      return place === 'ballot' && roles.juror;
    case 'ballots':
      return facts.openVotes && maySee(reader, 'distribution', place, facts);
    case 'distribution':
      if (facts.decided) return true;
      if (place === 'jury') return facts.allCast;
      if (place === 'ballot' && !roles.juror) return false;
      // A juror (president included) once they have a ballot; an organiser who is not a juror.
      return roles.juror ? !recused && facts.cast.includes(userId) : roles.organiser;
    case 'notes':
      if (place === 'jury') return facts.recused.length === 0;
      return !recused;
    case 'discussion':
      return place === 'ballot' ? !recused : true;
  }
}

/**
 * Whether every reader of a place may see the piece (a room is read by all its members).
 * `null`: the readers are not known here, so the piece is not shown.
 */
export function mayShow(
  readers: readonly Reader[] | null,
  info: JuryInfo,
  place: JuryPlace,
  facts: SecrecyFacts,
): boolean {
  return readers !== null && readers.every((reader) => maySee(reader, info, place, facts));
}
