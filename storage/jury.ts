// The jury's records: one vote document per juror and dossier (its _id is the pair,
// backed by a unique index), private notes, where each dossier was posted in the
// jury room, and decisions whose corrections are kept inside the decision.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { checkInput, dateSchema, type DocumentKind, nonEmpty, readDocument } from './documents.ts';
import { CONSTRAINTS, ConflictError, DuplicateError, NotFoundError, RecusedError } from './errors.ts';
import type { DocCollection, Filter, IndexSpec, Update } from './port.ts';
import { findIn, readProjected } from './util.ts';

const VOTES = 'jury_votes';
const NOTES = 'jury_notes';
const DOSSIERS = 'jury_dossiers';
const DECISIONS = 'jury_decisions';
/** Event ids remembered per vote document for de-duplication. */
const VOTE_EVENT_IDS = 50;

// ---- votes ----------------------------------------------------------------------

export const VOTE_STATUSES = ['voted', 'abstained', 'recused'] as const;
export type VoteStatus = (typeof VOTE_STATUSES)[number];

const voteHistorySchema = z.object({
  status: z.enum(VOTE_STATUSES),
  level: z.string().nullable(),
  at: dateSchema,
  eventId: z.string().nullable(),
});
const voteDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  candidacyId: nonEmpty,
  juror: nonEmpty,
  status: z.enum(VOTE_STATUSES),
  /** The level id voted (null when abstaining or recused). */
  level: z.string().nullable(),
  /** Why the juror recused, if they said. */
  reason: z.string().nullable().default(null),
  at: dateSchema,
  /** Absent until a vote carries an event id. */
  eventIds: z.array(z.string()).default([]),
  history: z.array(voteHistorySchema),
});
type VoteDoc = z.infer<typeof voteDocSchema>;
export const voteKind: DocumentKind<VoteDoc> = {
  collection: VOTES,
  current: 1,
  migrations: [],
  schema: voteDocSchema,
};

export interface JuryVote {
  candidacyId: string;
  juror: string;
  status: VoteStatus;
  level: string | null;
  reason: string | null;
  at: Date;
  /** Every vote, change, abstention or recusal, oldest first. */
  history: z.infer<typeof voteHistorySchema>[];
  recentEventIds: readonly string[];
}

export type VoteOutcome = { outcome: 'applied' | 'duplicate'; vote: JuryVote };

// ---- notes ------------------------------------------------------------------------

export const NOTE_KINDS = ['note', 'question', 'reply', 'mention'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

const noteDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  candidacyId: nonEmpty,
  /** note: private to the jury; question: asked to the candidate; reply: the candidate's answer; mention: a proposed special mention. */
  kind: z.enum(NOTE_KINDS),
  author: nonEmpty,
  text: z.string(),
  at: dateSchema,
  eventId: z.string().nullable(),
  /** The event that relays this note elsewhere (e.g. the question posted in the candidacy room). */
  relayEventId: z.string().optional(),
});
type NoteDoc = z.infer<typeof noteDocSchema>;
export const noteKind: DocumentKind<NoteDoc> = {
  collection: NOTES,
  current: 1,
  migrations: [],
  schema: noteDocSchema,
};

export interface JuryNote {
  id: string;
  candidacyId: string;
  kind: NoteKind;
  author: string;
  text: string;
  at: Date;
  eventId: string | null;
  relayEventId: string | null;
}

// ---- dossiers in the jury room -------------------------------------------------------

const dossierDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  campaignId: nonEmpty,
  roomId: nonEmpty,
  /** The root message of the dossier's thread. */
  rootEventId: nonEmpty,
  postedAt: dateSchema,
  /** The candidacy version the thread shows. */
  postedVersion: z.number().int(),
  updates: z.array(z.object({ at: dateSchema, version: z.number().int(), eventId: z.string().nullable() })),
});
type DossierDoc = z.infer<typeof dossierDocSchema>;
export const dossierKind: DocumentKind<DossierDoc> = {
  collection: DOSSIERS,
  current: 1,
  migrations: [],
  schema: dossierDocSchema,
};

export interface JuryDossier {
  candidacyId: string;
  campaignId: string;
  roomId: string;
  rootEventId: string;
  postedAt: Date;
  postedVersion: number;
  updates: { at: Date; version: number; eventId: string | null }[];
}

/** A dossier without its update history: what set-wide checks need. */
export type DossierSummary = Pick<
  JuryDossier,
  'candidacyId' | 'campaignId' | 'rootEventId' | 'postedVersion'
>;

const dossierSummarySchema = dossierDocSchema.pick({
  _id: true,
  campaignId: true,
  rootEventId: true,
  postedVersion: true,
});

// ---- decisions --------------------------------------------------------------------------

const decisionContentSchema = z.object({
  level: nonEmpty,
  /** Required by flows when the level differs from the proposed one. */
  reason: z.string().nullable(),
  mentions: z.array(z.string()),
  /** The jury's message to the candidate. */
  message: z.string(),
  decidedBy: nonEmpty,
  decidedAt: dateSchema,
});
const decisionDocSchema = decisionContentSchema.extend({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  campaignId: nonEmpty,
  version: z.number().int().positive(),
  eventId: z.string().nullable(),
  publishedAt: dateSchema.nullable(),
  corrections: z.array(
    z.object({ previous: decisionContentSchema, reason: nonEmpty, by: nonEmpty, at: dateSchema }),
  ),
});
type DecisionDoc = z.infer<typeof decisionDocSchema>;
export const decisionKind: DocumentKind<DecisionDoc> = {
  collection: DECISIONS,
  current: 1,
  migrations: [],
  schema: decisionDocSchema,
};

export type DecisionContent = z.infer<typeof decisionContentSchema>;
export interface Decision extends DecisionContent {
  candidacyId: string;
  campaignId: string;
  version: number;
  eventId: string | null;
  publishedAt: Date | null;
  /** Each correction keeps what it replaced, why, who and when. */
  corrections: { previous: DecisionContent; reason: string; by: string; at: Date }[];
}

export interface NewDecision {
  candidacyId: string;
  campaignId: string;
  level: string;
  reason?: string | null;
  mentions?: string[];
  message: string;
  by: string;
  at?: Date;
  eventId?: string;
}

export interface DecisionCorrection {
  level?: string;
  mentions?: string[];
  message?: string;
  /** Why the decision is corrected (required). */
  reason: string;
  by: string;
  at?: Date;
}

export const juryIndexes: Record<string, IndexSpec[]> = {
  [VOTES]: [{ name: CONSTRAINTS.juryVote, keys: { candidacyId: 1, juror: 1 }, unique: true }],
  [NOTES]: [
    { name: 'by_candidacy', keys: { candidacyId: 1, at: 1 } },
    { name: 'by_relay_event', keys: { relayEventId: 1 }, onlyWhereExists: 'relayEventId' },
  ],
  [DOSSIERS]: [
    { name: CONSTRAINTS.dossierThread, keys: { rootEventId: 1 }, unique: true },
    { name: 'by_campaign', keys: { campaignId: 1 } },
  ],
  [DECISIONS]: [{ name: 'by_campaign', keys: { campaignId: 1 } }],
};

export interface JuryRepository {
  /** `level` null means abstaining. RecusedError if the juror recused on this dossier. */
  castVote(input: {
    candidacyId: string;
    juror: string;
    level: string | null;
    at?: Date;
    eventId?: string;
  }): Promise<VoteOutcome>;
  /** Declares a conflict of interest: the juror's vote is excluded from now on. */
  recuse(input: {
    candidacyId: string;
    juror: string;
    reason?: string | null;
    at?: Date;
    eventId?: string;
  }): Promise<VoteOutcome>;
  getVote(candidacyId: string, juror: string): Promise<JuryVote | null>;
  /** Sorted by juror. */
  listVotes(candidacyId: string): Promise<JuryVote[]>;

  /** With an eventId, a second call for the same event returns the first note (`created: false`). */
  addNote(input: {
    candidacyId: string;
    kind: NoteKind;
    author: string;
    text: string;
    at?: Date;
    eventId?: string;
  }): Promise<{ note: JuryNote; created: boolean }>;
  listNotes(candidacyId: string, options?: { kind?: NoteKind }): Promise<JuryNote[]>;
  /** The notes of several dossiers at once (of these kinds if given), oldest first. */
  listNotesOf(
    candidacyIds: readonly string[],
    options?: { kinds?: readonly NoteKind[] },
  ): Promise<JuryNote[]>;
  setRelayEvent(noteId: string, relayEventId: string): Promise<void>;
  findNoteByRelayEvent(relayEventId: string): Promise<JuryNote | null>;

  /** First post of a dossier; a second call returns the first record (`created: false`). */
  recordDossier(input: {
    candidacyId: string;
    campaignId: string;
    roomId: string;
    rootEventId: string;
    postedVersion: number;
    at?: Date;
  }): Promise<{ dossier: JuryDossier; created: boolean }>;
  /** Records that the thread now shows `version`; ignored if it already shows that or later. */
  recordDossierUpdate(
    candidacyId: string,
    update: { version: number; at?: Date; eventId?: string | null },
  ): Promise<JuryDossier>;
  getDossier(candidacyId: string): Promise<JuryDossier | null>;
  /** A campaign's dossiers, without their update history (which grows with each edit). */
  listDossiers(campaignId: string): Promise<DossierSummary[]>;
  findDossierByThread(rootEventId: string): Promise<JuryDossier | null>;

  /** DuplicateError(_id_) if already decided (correct it instead); same eventId again returns the first. */
  decide(input: NewDecision): Promise<{ decision: Decision; created: boolean }>;
  /** Conditioned on current.version; keeps the replaced content in `corrections`. */
  correctDecision(current: Decision, correction: DecisionCorrection): Promise<Decision>;
  getDecision(candidacyId: string): Promise<Decision | null>;
  listDecisions(campaignId: string): Promise<Decision[]>;
  /** Sets publishedAt once; returns true only for the call that published. */
  markPublished(candidacyId: string, at?: Date): Promise<boolean>;
}

const voteInput = z.object({
  candidacyId: nonEmpty,
  juror: nonEmpty,
  level: z.string().nullable(),
  at: dateSchema.optional(),
  eventId: nonEmpty.optional(),
});
const recuseInput = voteInput.omit({ level: true }).extend({ reason: z.string().nullable().optional() });
const noteInput = z.object({
  candidacyId: nonEmpty,
  kind: z.enum(NOTE_KINDS),
  author: nonEmpty,
  text: z.string(),
  at: dateSchema.optional(),
  eventId: nonEmpty.optional(),
});
const dossierInput = z.object({
  candidacyId: nonEmpty,
  campaignId: nonEmpty,
  roomId: nonEmpty,
  rootEventId: nonEmpty,
  postedVersion: z.number().int(),
  at: dateSchema.optional(),
});
const decisionInput = z.object({
  candidacyId: nonEmpty,
  campaignId: nonEmpty,
  level: nonEmpty,
  reason: z.string().nullable().optional(),
  mentions: z.array(z.string()).optional(),
  message: z.string(),
  by: nonEmpty,
  at: dateSchema.optional(),
  eventId: nonEmpty.optional(),
});
const correctionInput = z.object({
  level: nonEmpty.optional(),
  mentions: z.array(z.string()).optional(),
  message: z.string().optional(),
  reason: nonEmpty,
  by: nonEmpty,
  at: dateSchema.optional(),
});

function voteFrom(doc: VoteDoc): JuryVote {
  return {
    candidacyId: doc.candidacyId,
    juror: doc.juror,
    status: doc.status,
    level: doc.level,
    reason: doc.reason,
    at: doc.at,
    history: doc.history,
    recentEventIds: doc.eventIds,
  };
}

function noteFrom(doc: NoteDoc): JuryNote {
  return {
    id: doc._id,
    candidacyId: doc.candidacyId,
    kind: doc.kind,
    author: doc.author,
    text: doc.text,
    at: doc.at,
    eventId: doc.eventId,
    relayEventId: doc.relayEventId ?? null,
  };
}

function dossierFrom(doc: DossierDoc): JuryDossier {
  const { _id, schemaVersion: _v, ...rest } = doc;
  return { ...rest, candidacyId: _id };
}

function decisionFrom(doc: DecisionDoc): Decision {
  const { _id, schemaVersion: _v, ...rest } = doc;
  return { ...rest, candidacyId: _id };
}

function contentOf(d: Decision): DecisionContent {
  return {
    level: d.level,
    reason: d.reason,
    mentions: d.mentions,
    message: d.message,
    decidedBy: d.decidedBy,
    decidedAt: d.decidedAt,
  };
}

export class JuryStore implements JuryRepository {
  readonly #votes: DocCollection;
  readonly #notes: DocCollection;
  readonly #dossiers: DocCollection;
  readonly #decisions: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#votes = collection(VOTES);
    this.#notes = collection(NOTES);
    this.#dossiers = collection(DOSSIERS);
    this.#decisions = collection(DECISIONS);
    this.#now = now;
  }

  async #readVote(filter: Filter): Promise<JuryVote | null> {
    const raw = await this.#votes.findOne(filter);
    return raw ? voteFrom(readDocument(voteKind, raw).value) : null;
  }

  /**
   * One upsert per vote. The filter skips recused jurors and events already
   * applied; when it skips, the upsert collides with the existing _id and we read
   * the document to tell which case it was.
   */
  async #writeVote(
    candidacyId: string,
    juror: string,
    status: VoteStatus,
    level: string | null,
    reason: string | null,
    at: Date,
    eventId: string | undefined,
  ): Promise<VoteOutcome> {
    const _id = `${candidacyId}|${juror}`;
    const filter: Filter = {
      _id,
      ...(status === 'recused' ? {} : { status: { $ne: 'recused' } }),
      ...(eventId ? { eventIds: { $ne: eventId } } : {}),
    };
    const update: Update = {
      $set: {
        schemaVersion: 1,
        candidacyId,
        juror,
        status,
        level,
        at,
        ...(status === 'recused' ? { reason } : {}),
      },
      $push: {
        history: { $each: [{ status, level, at, eventId: eventId ?? null }] },
        ...(eventId ? { eventIds: { $each: [eventId], $slice: -VOTE_EVENT_IDS } } : {}),
      },
    };
    for (let attempt = 0; ; attempt += 1) {
      try {
        const raw = await this.#votes.findOneAndUpdate(filter, update, { upsert: true });
        if (!raw) throw new Error('upsert returned nothing');
        return { outcome: 'applied', vote: voteFrom(readDocument(voteKind, raw).value) };
      } catch (error) {
        if (!(error instanceof DuplicateError)) throw error;
        const existing = await this.#readVote({ _id });
        if (existing && eventId && existing.recentEventIds.includes(eventId)) {
          return { outcome: 'duplicate', vote: existing };
        }
        if (existing?.status === 'recused' && status !== 'recused')
          throw new RecusedError(candidacyId, juror);
        // Two first votes raced on the insert: the document exists now, go again.
        if (attempt >= 2) throw error;
      }
    }
  }

  castVote(input: {
    candidacyId: string;
    juror: string;
    level: string | null;
    at?: Date;
    eventId?: string;
  }): Promise<VoteOutcome> {
    const v = checkInput(voteInput, input, 'vote');
    const status = v.level === null ? 'abstained' : 'voted';
    return this.#writeVote(v.candidacyId, v.juror, status, v.level, null, v.at ?? this.#now(), v.eventId);
  }

  recuse(input: {
    candidacyId: string;
    juror: string;
    reason?: string | null;
    at?: Date;
    eventId?: string;
  }): Promise<VoteOutcome> {
    const v = checkInput(recuseInput, input, 'recusal');
    return this.#writeVote(
      v.candidacyId,
      v.juror,
      'recused',
      null,
      v.reason ?? null,
      v.at ?? this.#now(),
      v.eventId,
    );
  }

  getVote(candidacyId: string, juror: string): Promise<JuryVote | null> {
    return this.#readVote({ _id: `${candidacyId}|${juror}` });
  }

  async listVotes(candidacyId: string): Promise<JuryVote[]> {
    const out: JuryVote[] = [];
    for await (const raw of this.#votes.find({ candidacyId }, { sort: { juror: 1 } })) {
      out.push(voteFrom(readDocument(voteKind, raw).value));
    }
    return out;
  }

  async addNote(input: {
    candidacyId: string;
    kind: NoteKind;
    author: string;
    text: string;
    at?: Date;
    eventId?: string;
  }): Promise<{ note: JuryNote; created: boolean }> {
    const v = checkInput(noteInput, input, 'jury note');
    const doc: NoteDoc = {
      _id: v.eventId ?? randomUUID(),
      schemaVersion: 1,
      candidacyId: v.candidacyId,
      kind: v.kind,
      author: v.author,
      text: v.text,
      at: v.at ?? this.#now(),
      eventId: v.eventId ?? null,
    };
    try {
      await this.#notes.insertOne(doc);
      return { note: noteFrom(doc), created: true };
    } catch (error) {
      if (!(error instanceof DuplicateError) || !v.eventId) throw error;
      const existing = await this.#notes.findOne({ _id: v.eventId });
      if (!existing) throw error;
      return { note: noteFrom(readDocument(noteKind, existing).value), created: false };
    }
  }

  async listNotes(candidacyId: string, options?: { kind?: NoteKind }): Promise<JuryNote[]> {
    const out: JuryNote[] = [];
    const filter: Filter = options?.kind ? { candidacyId, kind: options.kind } : { candidacyId };
    for await (const raw of this.#notes.find(filter, { sort: { at: 1, _id: 1 } })) {
      out.push(noteFrom(readDocument(noteKind, raw).value));
    }
    return out;
  }

  async listNotesOf(
    candidacyIds: readonly string[],
    options?: { kinds?: readonly NoteKind[] },
  ): Promise<JuryNote[]> {
    const out: JuryNote[] = [];
    const filter: Filter = options?.kinds ? { kind: { $in: [...options.kinds] } } : {};
    for await (const raw of findIn(this.#notes, 'candidacyId', candidacyIds, filter)) {
      out.push(noteFrom(readDocument(noteKind, raw).value));
    }
    // Sorted here: each chunk is one query, and the order must not depend on the chunking.
    return out.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async setRelayEvent(noteId: string, relayEventId: string): Promise<void> {
    const result = await this.#notes.updateOne({ _id: noteId }, { $set: { relayEventId } });
    if (result.matched === 0) throw new NotFoundError(NOTES, noteId);
  }

  async findNoteByRelayEvent(relayEventId: string): Promise<JuryNote | null> {
    const raw = await this.#notes.findOne({ relayEventId });
    return raw ? noteFrom(readDocument(noteKind, raw).value) : null;
  }

  async recordDossier(input: {
    candidacyId: string;
    campaignId: string;
    roomId: string;
    rootEventId: string;
    postedVersion: number;
    at?: Date;
  }): Promise<{ dossier: JuryDossier; created: boolean }> {
    const v = checkInput(dossierInput, input, 'jury dossier');
    const doc: DossierDoc = {
      _id: v.candidacyId,
      schemaVersion: 1,
      campaignId: v.campaignId,
      roomId: v.roomId,
      rootEventId: v.rootEventId,
      postedAt: v.at ?? this.#now(),
      postedVersion: v.postedVersion,
      updates: [],
    };
    try {
      await this.#dossiers.insertOne(doc);
      return { dossier: dossierFrom(doc), created: true };
    } catch (error) {
      if (!(error instanceof DuplicateError) || error.constraint !== CONSTRAINTS.id) throw error;
      const existing = await this.getDossier(v.candidacyId);
      if (!existing) throw error;
      return { dossier: existing, created: false };
    }
  }

  async recordDossierUpdate(
    candidacyId: string,
    update: { version: number; at?: Date; eventId?: string | null },
  ): Promise<JuryDossier> {
    const at = update.at ?? this.#now();
    const raw = await this.#dossiers.findOneAndUpdate(
      { _id: candidacyId, postedVersion: { $lt: update.version } },
      {
        $set: { postedVersion: update.version },
        $push: { updates: { $each: [{ at, version: update.version, eventId: update.eventId ?? null }] } },
      },
    );
    if (raw) return dossierFrom(readDocument(dossierKind, raw).value);
    const existing = await this.getDossier(candidacyId);
    if (!existing) throw new NotFoundError(DOSSIERS, candidacyId);
    return existing;
  }

  async getDossier(candidacyId: string): Promise<JuryDossier | null> {
    const raw = await this.#dossiers.findOne({ _id: candidacyId });
    return raw ? dossierFrom(readDocument(dossierKind, raw).value) : null;
  }

  async listDossiers(campaignId: string): Promise<DossierSummary[]> {
    const out: DossierSummary[] = [];
    const cursor = this.#dossiers.find(
      { campaignId },
      { projection: { campaignId: 1, rootEventId: 1, postedVersion: 1 }, sort: { _id: 1 } },
    );
    for await (const raw of cursor) {
      const { _id, ...rest } = readProjected(dossierSummarySchema, DOSSIERS, raw);
      out.push({ ...rest, candidacyId: _id });
    }
    return out;
  }

  async findDossierByThread(rootEventId: string): Promise<JuryDossier | null> {
    const raw = await this.#dossiers.findOne({ rootEventId });
    return raw ? dossierFrom(readDocument(dossierKind, raw).value) : null;
  }

  async decide(input: NewDecision): Promise<{ decision: Decision; created: boolean }> {
    const v = checkInput(decisionInput, input, 'decision');
    const doc: DecisionDoc = {
      _id: v.candidacyId,
      schemaVersion: 1,
      campaignId: v.campaignId,
      level: v.level,
      reason: v.reason ?? null,
      mentions: v.mentions ?? [],
      message: v.message,
      decidedBy: v.by,
      decidedAt: v.at ?? this.#now(),
      version: 1,
      eventId: v.eventId ?? null,
      publishedAt: null,
      corrections: [],
    };
    try {
      await this.#decisions.insertOne(doc);
      return { decision: decisionFrom(doc), created: true };
    } catch (error) {
      if (!(error instanceof DuplicateError) || !v.eventId) throw error;
      const existing = await this.getDecision(v.candidacyId);
      if (existing?.eventId !== v.eventId) throw error;
      return { decision: existing, created: false };
    }
  }

  async correctDecision(current: Decision, correction: DecisionCorrection): Promise<Decision> {
    const v = checkInput(correctionInput, correction, 'decision correction');
    const at = v.at ?? this.#now();
    const raw = await this.#decisions.findOneAndUpdate(
      { _id: current.candidacyId, version: current.version },
      {
        $set: {
          level: v.level ?? current.level,
          mentions: v.mentions ?? current.mentions,
          message: v.message ?? current.message,
          reason: v.reason,
          decidedBy: v.by,
          decidedAt: at,
          version: current.version + 1,
        },
        $push: { corrections: { $each: [{ previous: contentOf(current), reason: v.reason, by: v.by, at }] } },
      },
    );
    if (raw) return decisionFrom(readDocument(decisionKind, raw).value);
    const now = await this.getDecision(current.candidacyId);
    if (!now) throw new NotFoundError(DECISIONS, current.candidacyId);
    throw new ConflictError(DECISIONS, current.candidacyId, current.version, now.version);
  }

  async getDecision(candidacyId: string): Promise<Decision | null> {
    const raw = await this.#decisions.findOne({ _id: candidacyId });
    return raw ? decisionFrom(readDocument(decisionKind, raw).value) : null;
  }

  async listDecisions(campaignId: string): Promise<Decision[]> {
    const out: Decision[] = [];
    for await (const raw of this.#decisions.find({ campaignId }, { sort: { decidedAt: 1, _id: 1 } })) {
      out.push(decisionFrom(readDocument(decisionKind, raw).value));
    }
    return out;
  }

  async markPublished(candidacyId: string, at?: Date): Promise<boolean> {
    const result = await this.#decisions.updateOne(
      { _id: candidacyId, publishedAt: null },
      { $set: { publishedAt: at ?? this.#now() } },
    );
    if (result.matched === 1) return true;
    if (!(await this.getDecision(candidacyId))) throw new NotFoundError(DECISIONS, candidacyId);
    return false;
  }
}
