// A dossier as the jury's decisions see it (its record and the few candidacy and
// campaign facts they need), the jury's settings, who reads each room, and what follows
// from them: the status of the ballots, the facts of the secret ballot, the phase. Pure.
import { phaseOf, type Phase } from './phase.ts';
import type { JuryRecord } from './record.ts';
import { type Ballot, type JuryPolicy, type JuryStatus, juryStatus, type Roster } from './rules.ts';
import { type LevelScale, levelIndex } from './scale.ts';
import type { Reader, SecrecyFacts } from './secrecy.ts';

/** A dossier as a command sees it: the jury record and the few candidacy and campaign facts it needs. */
export interface DossierSnapshot {
  readonly record: JuryRecord;
  readonly name: string;
  readonly candidacyStatus: string;
  readonly closesAt: Date;
  readonly openVotes: boolean;
  readonly scale: LevelScale;
}

export interface JurySettings {
  readonly roster: Roster;
  readonly policy: JuryPolicy;
  readonly now: Date;
}

/**
 * Who actually reads each room a command's replies may go to (its members, bot
 * excluded, with their roles): a piece of jury information goes to a room only when
 * every one of them may see it, so someone let in by mistake closes that room to it.
 * `null`: not asked of the homeserver for this command; nothing is shown there.
 */
export interface RoomReaders {
  /** The room the command was typed in. */
  readonly here: readonly Reader[] | null;
  /** The shared jury room (dossier threads included). */
  readonly jury: readonly Reader[] | null;
  /** The actor's own ballot room (empty when they have none). */
  readonly ownBallot: readonly Reader[] | null;
  readonly organisers: readonly Reader[] | null;
}

/** The jury's status of a dossier: eligible jurors, ballots, quorum, the majority judgment. */
export function statusOf(
  record: JuryRecord,
  scale: LevelScale,
  roster: Roster,
  policy: JuryPolicy,
): JuryStatus {
  const ballots = new Map<string, Ballot>();
  const recused = new Set<string>();
  for (const b of record.ballots) {
    if (b.status === 'recused') recused.add(b.juror);
    else if (b.status === 'abstained') ballots.set(b.juror, { kind: 'abstain' });
    else if (b.level !== null) {
      const level = levelIndex(scale, b.level);
      if (level !== null) ballots.set(b.juror, { kind: 'level', level });
    }
  }
  return juryStatus(roster, { ballots, recused }, scale.levels.length, policy);
}

export function secrecyFacts(status: JuryStatus, record: JuryRecord, openVotes: boolean): SecrecyFacts {
  return {
    recused: status.recused,
    cast: [...status.voted, ...status.abstained],
    allCast: status.allVoted,
    decided: record.decision !== null,
    openVotes,
  };
}

export function phaseOfDossier(dossier: DossierSnapshot, now: Date): Phase {
  return phaseOf({
    candidacyStatus: dossier.candidacyStatus,
    closesAt: dossier.closesAt,
    now,
    decided: dossier.record.decision !== null,
  });
}
