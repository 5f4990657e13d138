// The jury's decision function, on the candidate side's shape: a parsed command, the
// person's roles, the place, a typed dossier snapshot in; one storage change (or none)
// and the reply intents out. No Matrix, no database: bot/jury/ loads the snapshot,
// writes the change in one conditional update with the Matrix event id, then renders
// and sends the replies.
//
//   const outcome = decideCommand({ command, actor, place, dossier, jury, readers });
//   if (outcome.change) record = applyChange(record, outcome.change, { at, eventId });
//
// What a person may see is asked of secrecy.ts, never decided here by hand.
import type { DraftFields, JuryCommand } from './commands.ts';
import type { Phase } from './phase.ts';
import { ballotOf, type JuryChange, type JuryRecord } from './record.ts';
import type { Destination, JuryMessage, JuryReply } from './replies.ts';
import { checkContribution, correct, decide, type JuryStatus } from './rules.ts';
import { levelIndex } from './scale.ts';
import { type JuryPlace, maySee, mayShow, type Reader, type SecrecyFacts } from './secrecy.ts';
import {
  type DossierSnapshot,
  type JurySettings,
  phaseOfDossier,
  type RoomReaders,
  secrecyFacts,
  statusOf,
} from './snapshot.ts';

type Params = Record<string, string | number>;

export interface Outcome {
  readonly change: JuryChange | null;
  readonly replies: readonly JuryReply[];
}

export interface CommandInput {
  readonly command: Exclude<JuryCommand, { name: 'help' | 'remind' }>;
  readonly actor: Reader;
  readonly place: Exclude<JuryPlace, 'organisers'>;
  readonly dossier: DossierSnapshot;
  readonly jury: JurySettings;
  readonly readers: RoomReaders;
}

const say = (to: Destination, key: string, params: Params = {}, replyKey = 'reply'): JuryReply => ({
  to,
  message: { kind: 'say', key, params },
  key: replyKey,
});

export function decideCommand(input: CommandInput): Outcome {
  const { command, actor, place, dossier, jury } = input;
  const { record } = dossier;
  const status = statusOf(record, dossier.scale, jury.roster, jury.policy);
  const facts = secrecyFacts(status, record, dossier.openVotes);
  const phase = phaseOfDossier(dossier, jury.now);
  const recused = status.recused.includes(actor.userId);
  const base = { number: record.number, name: dossier.name };
  const refuse = (key: string, params: Params = {}): Outcome => ({
    change: null,
    replies: [say('here', key, { ...base, ...params })],
  });
  const closing = { date: dossier.closesAt.toISOString() };

  switch (command.name) {
    case 'vote':
    case 'abstain': {
      if (!actor.roles.juror) return refuse('refusal.notJuror');
      if (place !== 'ballot') return refuse('refusal.secretBallot');
      if (recused) return refuse('refusal.recused');
      if (phase === 'decided') return refuse('refusal.decided', { level: decidedLevel(dossier) });
      if (phase === 'withdrawn') return refuse('refusal.withdrawn');
      if (phase === 'provisional') return refuse('refusal.provisional', closing);
      const level = command.name === 'vote' ? (dossier.scale.levels[command.level]?.id ?? null) : null;
      const previous = ballotOf(record, actor.userId);
      const before =
        previous?.status === 'voted' && previous.level ? levelIndex(dossier.scale, previous.level) : null;
      const index = command.name === 'vote' ? command.level : null;
      const change: JuryChange = { kind: 'ballot', juror: actor.userId, level };
      const replies: JuryReply[] = [
        { to: 'here', message: { kind: 'voteRecorded', level: index, before }, key: 'reply' },
      ];
      return { change, replies: [...replies, ...completeTally(dossier, input, change)] };
    }
    case 'recuse': {
      if (!actor.roles.juror) return refuse('refusal.notJuror');
      if (recused) return refuse('refusal.alreadyRecused');
      if (phase === 'decided') return refuse('refusal.decided', { level: decidedLevel(dossier) });
      const change: JuryChange = { kind: 'recusal', juror: actor.userId, reason: command.text || null };
      return {
        change,
        replies: [
          say('here', 'recusal.recorded', base),
          say('thread', 'recusal.announced', { ...base, juror: actor.userId }, 'announce'),
          ...completeTally(dossier, input, change),
        ],
      };
    }
    case 'note': {
      if (!checkContribution(actor.roles, recused).ok) return refuse('refusal.recused');
      return {
        change: { kind: 'note', noteKind: 'note', author: actor.userId, text: command.text },
        replies: [say('here', 'note.recorded', base)],
      };
    }
    case 'notes': {
      if (!checkContribution(actor.roles, recused).ok) return refuse('refusal.recused');
      if (mayShow(input.readers.here, 'notes', place, facts))
        return { change: null, replies: [{ to: 'here', message: { kind: 'notes' }, key: 'reply' }] };
      // The shared room is read by a juror recused on this dossier: privately instead.
      return privately(actor, { kind: 'notes' }, 'note.sentPrivately', base, input.readers, facts, 'notes');
    }
    case 'mention': {
      if (!checkContribution(actor.roles, recused).ok) return refuse('refusal.recused');
      return {
        change: { kind: 'note', noteKind: 'mention', author: actor.userId, text: command.text },
        replies: published(
          say('thread', 'mention.proposed', { ...base, author: actor.userId, mention: command.text }),
        ),
      };
    }
    case 'question': {
      if (!checkContribution(actor.roles, recused).ok) return refuse('refusal.recused');
      const number = record.questions.length + 1;
      return {
        change: { kind: 'question', author: actor.userId, text: command.text },
        replies: published(say('thread', 'question.sent', { ...base, question: number, text: command.text })),
      };
    }
    case 'tally':
      return tally(input, status, facts);
    case 'decide':
      return decision(input, status, facts, phase, command.draft);
    case 'correct':
      return correction(input, status, command.draft);
  }
}

/** A message for the thread, echoed where the command was typed (the bot skips the echo when that is the thread). */
function published(reply: JuryReply): JuryReply[] {
  return [reply, { ...reply, to: 'here', key: 'echo' }];
}

/** Once a ballot or recusal makes the jury complete, the tally goes to the thread for all. */
function completeTally(dossier: DossierSnapshot, input: CommandInput, change: JuryChange): JuryReply[] {
  const { jury, readers } = input;
  const after = { ...dossier.record, ballots: withBallot(dossier.record, change) };
  const status = statusOf(after, dossier.scale, jury.roster, jury.policy);
  if (!status.allVoted || after.decision) return [];
  const facts = secrecyFacts(status, after, dossier.openVotes);
  // Someone outside the jury reads the jury room: members ask for it privately instead.
  if (!mayShow(readers.jury, 'distribution', 'jury', facts)) return [];
  // The signature makes each distinct complete tally one send (a changed vote posts it again).
  const signature = after.ballots.map((b) => `${b.juror}=${b.status}:${b.level ?? ''}`).join(',');
  return [
    {
      to: 'thread',
      message: { kind: 'tally', complete: true, ballots: mayShow(readers.jury, 'ballots', 'jury', facts) },
      key: `tally:${hash(signature)}`,
    },
  ];
}

function withBallot(record: JuryRecord, change: JuryChange): JuryRecord['ballots'] {
  if (change.kind !== 'ballot' && change.kind !== 'recusal') return record.ballots;
  const status = change.kind === 'recusal' ? 'recused' : change.level === null ? 'abstained' : 'voted';
  const level = change.kind === 'ballot' ? change.level : null;
  const others = record.ballots.filter((b) => b.juror !== change.juror);
  return [
    ...others,
    { juror: change.juror, status, level, reason: null, at: new Date(0), eventId: null, history: [] },
  ];
}

/** A short, stable hash (FNV-1a) for idempotency keys: not for security. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/** A reply the place may not show: to the actor's ballot room (a juror) or the organisers' room. */
function privately(
  actor: Reader,
  message: JuryMessage,
  ackKey: string,
  params: Params,
  readers: RoomReaders,
  facts: SecrecyFacts,
  info: 'notes' | 'distribution',
): Outcome {
  if (
    actor.roles.juror &&
    readers.ownBallot !== null &&
    readers.ownBallot.length > 0 &&
    mayShow(readers.ownBallot, info, 'ballot', facts)
  ) {
    return {
      change: null,
      replies: [{ to: 'ownBallot', message, key: 'private' }, say('here', `${ackKey}.ballot`, params)],
    };
  }
  if (actor.roles.organiser && mayShow(readers.organisers, info, 'organisers', facts)) {
    return {
      change: null,
      replies: [{ to: 'organisers', message, key: 'private' }, say('here', `${ackKey}.organisers`, params)],
    };
  }
  // Nowhere to show it: every room it could go to is read by someone not entitled to it.
  return { change: null, replies: [say('here', `${ackKey.split('.')[0]}.nowhere`, params)] };
}

function tally(input: CommandInput, status: JuryStatus, facts: SecrecyFacts): Outcome {
  const { actor, place, dossier } = input;
  const base = { number: dossier.record.number, name: dossier.name };
  // `count` picks the plural form (i18next).
  const progress = {
    ...base,
    done: status.quorum.participating,
    count: status.quorum.participating,
    total: status.eligible.length,
  };
  const recused = status.recused.includes(actor.userId);
  const message: JuryMessage = {
    kind: 'tally',
    complete: false,
    ballots: mayShow(input.readers.here, 'ballots', place, facts),
  };
  // The person may see it, and so may everyone else who reads this room.
  if (
    maySee(actor, 'distribution', place, facts) &&
    mayShow(input.readers.here, 'distribution', place, facts)
  )
    return { change: null, replies: [{ to: 'here', message, key: 'reply' }] };
  if (actor.roles.juror && recused) return { change: null, replies: [say('here', 'refusal.recused', base)] };
  if (actor.roles.juror && !facts.cast.includes(actor.userId))
    return { change: null, replies: [say('here', 'refusal.notVotedYet', progress)] };
  // Entitled, but not in this place: the shared room before every juror has a ballot, or a
  // room someone outside the jury reads.
  const outsider = maySee(actor, 'distribution', place, facts);
  return privately(
    actor,
    { ...message, ballots: facts.openVotes },
    outsider ? 'tally.outsider' : 'tally.sentPrivately',
    progress,
    input.readers,
    facts,
    'distribution',
  );
}

function decidedLevel(dossier: DossierSnapshot): number {
  const id = dossier.record.decision?.level;
  return id === undefined ? 0 : (levelIndex(dossier.scale, id) ?? 0);
}

function decision(
  input: CommandInput,
  status: JuryStatus,
  facts: SecrecyFacts,
  phase: Phase,
  draft: DraftFields,
): Outcome {
  const { actor, place, dossier } = input;
  const { record, scale } = dossier;
  const base = { number: record.number, name: dossier.name };
  const refuse = (key: string, params: Params = {}): Outcome => ({
    change: null,
    replies: [say('here', key, { ...base, ...params })],
  });
  if (!(actor.roles.organiser || actor.roles.president)) return refuse('decision.refusal.notAllowed');
  if (phase === 'decided') return refuse('decision.refusal.alreadyDecided', { level: decidedLevel(dossier) });
  if (phase === 'withdrawn') return refuse('decision.refusal.withdrawn');
  if (phase === 'provisional')
    return refuse('decision.refusal.provisional', { date: dossier.closesAt.toISOString() });
  if (actor.roles.juror && status.recused.includes(actor.userId)) return refuse('refusal.recused');
  if (actor.roles.juror && !facts.cast.includes(actor.userId)) return refuse('decision.refusal.castFirst');
  const result = decide(actor.roles, status, draft);
  if (!result.ok) {
    const params: Params = {
      done: status.quorum.participating,
      count: status.quorum.participating,
      required: status.quorum.required,
      level: draft.level ?? 0,
    };
    // Saying "differs from the proposed level N" reveals the distribution: only where it may be seen.
    if (result.reason === 'reasonRequired') {
      const proposed = status.result.majorityGrade ?? 0;
      return mayShow(input.readers.here, 'distribution', place, facts)
        ? refuse('decision.refusal.reasonRequired', { ...params, proposed })
        : refuse('decision.refusal.reasonRequiredHidden', params);
    }
    return refuse(`decision.refusal.${result.reason}`, params);
  }
  const { decision: d } = result;
  return {
    change: {
      kind: 'decision',
      level: scale.levels[d.level]?.id ?? String(d.level + 1),
      reason: d.reason,
      mentions: d.mentions,
      message: d.message ?? '',
      by: actor.userId,
    },
    // The thread gets the decision as a follow-up of the stored record (decisionPosted).
    replies: [
      { to: 'here', message: { kind: 'decision', proposed: proposedShown(input, facts) }, key: 'echo' },
    ],
  };
}

function correction(input: CommandInput, status: JuryStatus, draft: DraftFields): Outcome {
  const { actor, dossier } = input;
  const { record, scale } = dossier;
  const base = { number: record.number, name: dossier.name };
  const current = record.decision
    ? {
        level: levelIndex(scale, record.decision.level) ?? 0,
        reason: record.decision.reason,
        mentions: record.decision.mentions,
        message: record.decision.message || null,
      }
    : null;
  const result = correct(actor.roles, current, draft);
  if (!result.ok) {
    const key =
      result.reason === 'reasonRequired'
        ? 'decision.refusal.correctionReason'
        : `decision.refusal.${result.reason}`;
    return { change: null, replies: [say('here', key, base)] };
  }
  const d = result.decision;
  return {
    change: {
      kind: 'correction',
      level: scale.levels[d.level]?.id ?? record.decision?.level ?? '1',
      mentions: d.mentions,
      message: d.message ?? '',
      reason: result.reason,
      by: actor.userId,
    },
    replies: [
      {
        to: 'here',
        message: {
          kind: 'decision',
          proposed: proposedShown(input, secrecyFacts(status, record, dossier.openVotes)),
        },
        key: 'echo',
      },
    ],
  };
}

/** With the decision, the proposed level may be seen by the jury: unless someone else reads the room. */
function proposedShown(input: CommandInput, facts: SecrecyFacts): boolean {
  return mayShow(input.readers.here, 'distribution', input.place, { ...facts, decided: true });
}
