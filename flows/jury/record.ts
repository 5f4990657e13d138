// One dossier as the jury holds it: everything the jury knows and has done about one
// candidacy, in one record (storage keeps it as one document, written with one
// conditional update). Pure data and pure updates: no Matrix, no database.
//
//   const next = applyChange(record, change, { at, eventId });   // flows decide `change`
//   await storage.jury.save(next, record.version);                // one conditional write
//
// Level values are the scale's level ids (a campaign's scale may be 1-5 or named grades).

export type BallotStatus = 'voted' | 'abstained' | 'recused';

export interface BallotEntry {
  readonly status: BallotStatus;
  /** The level id voted; null when abstaining or recused. */
  readonly level: string | null;
  readonly at: Date;
  readonly eventId: string | null;
}

export interface JurorBallot extends BallotEntry {
  readonly juror: string;
  /** Why the juror recused, if they said. */
  readonly reason: string | null;
  /** Every vote, change, abstention or recusal, oldest first. */
  readonly history: readonly BallotEntry[];
}

export type NoteKind = 'note' | 'mention';

/** A private note of the jury, or a proposed special mention. */
export interface JuryNote {
  /** The Matrix event that made it (or a generated id). */
  readonly id: string;
  readonly kind: NoteKind;
  readonly author: string;
  readonly text: string;
  readonly at: Date;
}

export interface CandidateReply {
  readonly author: string;
  readonly text: string;
  readonly at: Date;
  /** The candidate's message in their room. */
  readonly eventId: string;
  /** When the reply reached the dossier's thread (null: not yet). */
  readonly postedAt: Date | null;
}

/** A juror's question to the candidate (Q1, Q2... per dossier). */
export interface JuryQuestion {
  readonly id: string;
  readonly number: number;
  readonly author: string;
  readonly text: string;
  readonly at: Date;
  /** When the question reached the candidacy room (null: not yet). */
  readonly relayedAt: Date | null;
  readonly reply: CandidateReply | null;
}

export interface DecisionContent {
  /** Level id. */
  readonly level: string;
  /** Required when the level differs from the proposed one. */
  readonly reason: string | null;
  readonly mentions: readonly string[];
  /** The jury's message to the candidate ('' for none). */
  readonly message: string;
  readonly decidedBy: string;
  readonly decidedAt: Date;
}

export interface JuryDecision extends DecisionContent {
  /** 1, then +1 per correction. */
  readonly version: number;
  readonly eventId: string | null;
  readonly publishedAt: Date | null;
  /** The decision version last posted in the dossier's thread (0: none yet). */
  readonly postedVersion: number;
  /** Each correction keeps what it replaced, why, who and when. */
  readonly corrections: ReadonlyArray<{
    readonly previous: DecisionContent;
    readonly reason: string;
    readonly by: string;
    readonly at: Date;
  }>;
}

/** Where and how far the dossier was posted in the jury room. */
export interface DossierPost {
  readonly roomId: string;
  /** The root message of the dossier's thread (null until it is sent). */
  readonly rootEventId: string | null;
  /** The candidacy version the thread shows in full (null until the whole dossier is posted). */
  readonly postedVersion: number | null;
  readonly postedAt: Date | null;
  readonly updates: ReadonlyArray<{
    readonly at: Date;
    readonly version: number;
    readonly eventId: string | null;
  }>;
  /** When the thread was told that voting is open (the dossier became final). */
  readonly votingOpenedAt: Date | null;
  /** When the thread was told the candidacy was withdrawn. */
  readonly withdrawnNoticeAt: Date | null;
}

export interface JuryRecord {
  readonly candidacyId: string;
  readonly campaignId: string;
  /** The dossier's number in its campaign (#1, #2...), in order of arrival. */
  readonly number: number;
  /** Optimistic concurrency: +1 per write. */
  readonly version: number;
  readonly post: DossierPost;
  /** One entry per juror who voted, abstained or recused (in order of first ballot). */
  readonly ballots: readonly JurorBallot[];
  readonly notes: readonly JuryNote[];
  readonly questions: readonly JuryQuestion[];
  readonly decision: JuryDecision | null;
  /** The latest Matrix events applied to this record (exactly once). */
  readonly eventIds: readonly string[];
  /**
   * The replies to the last command applied, saved with its change: if the bot dies
   * before sending them, the redelivered event sends them (same transaction ids).
   */
  readonly outbox: { readonly eventId: string; readonly replies: readonly unknown[] } | null;
  readonly createdAt: Date;
}

/** Matrix events remembered per record: far more than one dossier sees between two restarts. */
export const REMEMBERED_EVENTS = 200;

/** One change of a jury record: what a command or a relay decided to store. */
export type JuryChange =
  | { readonly kind: 'ballot'; readonly juror: string; readonly level: string | null }
  | { readonly kind: 'recusal'; readonly juror: string; readonly reason: string | null }
  | { readonly kind: 'note'; readonly noteKind: NoteKind; readonly author: string; readonly text: string }
  | { readonly kind: 'question'; readonly author: string; readonly text: string }
  | { readonly kind: 'questionRelayed'; readonly questionId: string }
  | {
      readonly kind: 'reply';
      readonly questionId: string;
      readonly author: string;
      readonly text: string;
      readonly eventId: string;
    }
  | { readonly kind: 'replyPosted'; readonly questionId: string }
  | {
      readonly kind: 'decision';
      readonly level: string;
      readonly reason: string | null;
      readonly mentions: readonly string[];
      readonly message: string;
      readonly by: string;
    }
  | {
      readonly kind: 'correction';
      readonly level: string;
      readonly mentions: readonly string[];
      readonly message: string;
      readonly reason: string;
      readonly by: string;
    }
  | { readonly kind: 'decisionPosted'; readonly version: number }
  | { readonly kind: 'published' }
  | { readonly kind: 'rootPosted'; readonly rootEventId: string }
  | { readonly kind: 'dossierPosted'; readonly version: number; readonly eventId: string | null }
  | { readonly kind: 'votingOpened' }
  | { readonly kind: 'withdrawnNoticed' };

export interface ChangeContext {
  readonly at: Date;
  /** The Matrix event that caused the change, recorded with it (exactly once). */
  readonly eventId?: string | null;
}

/** Whether this Matrix event was already applied to the record. */
export function hasApplied(record: JuryRecord, eventId: string | null | undefined): boolean {
  return !!eventId && record.eventIds.includes(eventId);
}

export function ballotOf(record: JuryRecord, juror: string): JurorBallot | null {
  return record.ballots.find((b) => b.juror === juror) ?? null;
}

/** The record after `change`: a new object, the input untouched. Version +1. */
export function applyChange(record: JuryRecord, change: JuryChange, context: ChangeContext): JuryRecord {
  const { at } = context;
  const eventId = context.eventId ?? null;
  const next = { ...record, ...changed(record, change, at, eventId), version: record.version + 1 };
  if (!eventId || record.eventIds.includes(eventId)) return next;
  return { ...next, eventIds: [...record.eventIds, eventId].slice(-REMEMBERED_EVENTS) };
}

function changed(
  record: JuryRecord,
  change: JuryChange,
  at: Date,
  eventId: string | null,
): Partial<JuryRecord> {
  switch (change.kind) {
    case 'ballot':
    case 'recusal': {
      const status: BallotStatus =
        change.kind === 'recusal' ? 'recused' : change.level === null ? 'abstained' : 'voted';
      const level = change.kind === 'ballot' ? change.level : null;
      const entry: BallotEntry = { status, level, at, eventId };
      const previous = ballotOf(record, change.juror);
      const ballot: JurorBallot = {
        juror: change.juror,
        ...entry,
        reason: change.kind === 'recusal' ? change.reason : (previous?.reason ?? null),
        history: [...(previous?.history ?? []), entry],
      };
      return {
        ballots: previous
          ? record.ballots.map((b) => (b.juror === change.juror ? ballot : b))
          : [...record.ballots, ballot],
      };
    }
    case 'note':
      return {
        notes: [
          ...record.notes,
          {
            id: eventId ?? `${record.candidacyId}:${record.version + 1}`,
            kind: change.noteKind,
            author: change.author,
            text: change.text,
            at,
          },
        ],
      };
    case 'question':
      return {
        questions: [
          ...record.questions,
          {
            id: eventId ?? `${record.candidacyId}:q${record.questions.length + 1}`,
            number: record.questions.length + 1,
            author: change.author,
            text: change.text,
            at,
            relayedAt: null,
            reply: null,
          },
        ],
      };
    case 'questionRelayed':
      return {
        questions: mapQuestion(record, change.questionId, (q) => ({ ...q, relayedAt: q.relayedAt ?? at })),
      };
    case 'reply':
      return {
        questions: mapQuestion(record, change.questionId, (q) => ({
          ...q,
          reply: { author: change.author, text: change.text, at, eventId: change.eventId, postedAt: null },
        })),
      };
    case 'replyPosted':
      return {
        questions: mapQuestion(record, change.questionId, (q) =>
          q.reply ? { ...q, reply: { ...q.reply, postedAt: q.reply.postedAt ?? at } } : q,
        ),
      };
    case 'decision':
      return {
        decision: {
          level: change.level,
          reason: change.reason,
          mentions: [...change.mentions],
          message: change.message,
          decidedBy: change.by,
          decidedAt: at,
          version: 1,
          eventId,
          publishedAt: null,
          postedVersion: 0,
          corrections: [],
        },
      };
    case 'correction': {
      const current = record.decision;
      if (!current) return {};
      const previous: DecisionContent = {
        level: current.level,
        reason: current.reason,
        mentions: current.mentions,
        message: current.message,
        decidedBy: current.decidedBy,
        decidedAt: current.decidedAt,
      };
      return {
        decision: {
          ...current,
          level: change.level,
          mentions: [...change.mentions],
          message: change.message,
          reason: change.reason,
          decidedBy: change.by,
          decidedAt: at,
          version: current.version + 1,
          corrections: [...current.corrections, { previous, reason: change.reason, by: change.by, at }],
        },
      };
    }
    case 'decisionPosted':
      return record.decision
        ? {
            decision: {
              ...record.decision,
              postedVersion: Math.max(record.decision.postedVersion, change.version),
            },
          }
        : {};
    case 'published':
      return record.decision
        ? { decision: { ...record.decision, publishedAt: record.decision.publishedAt ?? at } }
        : {};
    case 'rootPosted':
      return { post: { ...record.post, rootEventId: record.post.rootEventId ?? change.rootEventId } };
    case 'dossierPosted': {
      const first = record.post.postedVersion === null;
      if (!first && (record.post.postedVersion ?? 0) >= change.version) return {};
      return {
        post: {
          ...record.post,
          postedVersion: change.version,
          postedAt: record.post.postedAt ?? at,
          updates: first
            ? record.post.updates
            : [...record.post.updates, { at, version: change.version, eventId: change.eventId }],
        },
      };
    }
    case 'votingOpened':
      return { post: { ...record.post, votingOpenedAt: record.post.votingOpenedAt ?? at } };
    case 'withdrawnNoticed':
      return { post: { ...record.post, withdrawnNoticeAt: record.post.withdrawnNoticeAt ?? at } };
  }
}

function mapQuestion(
  record: JuryRecord,
  questionId: string,
  update: (q: JuryQuestion) => JuryQuestion,
): JuryQuestion[] {
  return record.questions.map((q) => (q.id === questionId ? update(q) : q));
}

/** A new record for a dossier that reaches the jury (nothing posted yet). */
export function newRecord(input: {
  candidacyId: string;
  campaignId: string;
  number: number;
  roomId: string;
  at: Date;
}): JuryRecord {
  return {
    candidacyId: input.candidacyId,
    campaignId: input.campaignId,
    number: input.number,
    version: 1,
    post: {
      roomId: input.roomId,
      rootEventId: null,
      postedVersion: null,
      postedAt: null,
      updates: [],
      votingOpenedAt: null,
      withdrawnNoticeAt: null,
    },
    ballots: [],
    notes: [],
    questions: [],
    decision: null,
    eventIds: [],
    outbox: null,
    createdAt: input.at,
  };
}
