// The jury's record of each dossier: one document per candidacy holding its number,
// where it was posted, the ballots, notes, questions and replies, the decision, the
// Matrix events applied and the replies to the last one (flows/jury/record.ts says
// what each field means). Every change is one conditional replace on `version`, so a
// command is applied exactly once, its event id recorded with its effect.
import { z } from 'zod';
import { type JuryDecision, type JuryRecord, newRecord } from '../flows/jury/record.ts';
import {
  checkInput,
  dateSchema,
  type DocumentKind,
  jsonValueSchema,
  nonEmpty,
  readDocument,
} from './documents.ts';
import { CONSTRAINTS, ConflictError, DuplicateError, NotFoundError } from './errors.ts';
import type { DocCollection, Filter, IndexSpec, RawDoc } from './port.ts';

export type { JuryRecord } from '../flows/jury/record.ts';

const DOSSIERS = 'jury_dossiers';

const ballotEntrySchema = z.object({
  status: z.enum(['voted', 'abstained', 'recused']),
  level: z.string().nullable(),
  at: dateSchema,
  eventId: z.string().nullable(),
});
const ballotSchema = ballotEntrySchema.extend({
  juror: nonEmpty,
  reason: z.string().nullable(),
  history: z.array(ballotEntrySchema),
});
const noteSchema = z.object({
  id: nonEmpty,
  kind: z.enum(['note', 'mention']),
  author: nonEmpty,
  text: z.string(),
  at: dateSchema,
});
const questionSchema = z.object({
  id: nonEmpty,
  number: z.number().int().positive(),
  author: nonEmpty,
  text: z.string(),
  at: dateSchema,
  relayedAt: dateSchema.nullable(),
  reply: z
    .object({
      author: nonEmpty,
      text: z.string(),
      at: dateSchema,
      eventId: nonEmpty,
      postedAt: dateSchema.nullable(),
    })
    .nullable(),
});
const decisionContentSchema = z.object({
  level: nonEmpty,
  reason: z.string().nullable(),
  mentions: z.array(z.string()),
  message: z.string(),
  decidedBy: nonEmpty,
  decidedAt: dateSchema,
});
const decisionSchema = decisionContentSchema.extend({
  version: z.number().int().positive(),
  eventId: z.string().nullable(),
  publishedAt: dateSchema.nullable(),
  postedVersion: z.number().int().nonnegative(),
  corrections: z.array(
    z.object({ previous: decisionContentSchema, reason: nonEmpty, by: nonEmpty, at: dateSchema }),
  ),
});
const postSchema = z.object({
  roomId: nonEmpty,
  rootEventId: z.string().nullable(),
  postedVersion: z.number().int().nullable(),
  postedAt: dateSchema.nullable(),
  updates: z.array(z.object({ at: dateSchema, version: z.number().int(), eventId: z.string().nullable() })),
  votingOpenedAt: dateSchema.nullable(),
  withdrawnNoticeAt: dateSchema.nullable(),
});
const recordDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(2),
  campaignId: nonEmpty,
  number: z.number().int().positive(),
  version: z.number().int().positive(),
  /** The thread root again, set only once posted: what the unique thread index covers. */
  threadRoot: z.string().optional(),
  post: postSchema,
  ballots: z.array(ballotSchema),
  notes: z.array(noteSchema),
  questions: z.array(questionSchema),
  decision: decisionSchema.nullable(),
  eventIds: z.array(z.string()),
  outbox: z.object({ eventId: nonEmpty, replies: z.array(jsonValueSchema) }).nullable(),
  createdAt: dateSchema,
});
type RecordDoc = z.infer<typeof recordDocSchema>;

export const juryRecordKind: DocumentKind<RecordDoc> = {
  collection: DOSSIERS,
  current: 2,
  // Version 1 kept only where a dossier was posted; votes, notes and decisions lived in
  // collections of their own and the numbers in the generic key/value store. Those
  // records are folded into version 2 at start-up (storage/jury-legacy.ts), not here.
  migrations: [],
  schema: recordDocSchema,
};

export const juryIndexes: Record<string, IndexSpec[]> = {
  [DOSSIERS]: [
    { name: CONSTRAINTS.dossierNumber, keys: { campaignId: 1, number: 1 }, unique: true },
    { name: CONSTRAINTS.dossierThread, keys: { threadRoot: 1 }, unique: true, onlyWhereExists: 'threadRoot' },
  ],
};

/** A decision with the dossier it belongs to (exports, publication, dashboard). */
export interface Decision extends JuryDecision {
  readonly candidacyId: string;
  readonly campaignId: string;
}

export interface JuryRepository {
  /**
   * The dossier's record, created on first call with the next number of its campaign
   * (#1, #2... in order of arrival); later calls return it unchanged.
   */
  open(input: { candidacyId: string; campaignId: string; roomId: string; at?: Date }): Promise<JuryRecord>;
  get(candidacyId: string): Promise<JuryRecord | null>;
  findByNumber(campaignId: string, number: number): Promise<JuryRecord | null>;
  findByThread(rootEventId: string): Promise<JuryRecord | null>;
  /**
   * Writes `next` (version `expectedVersion + 1`) if the stored record is still at
   * `expectedVersion`; ConflictError otherwise. One command.
   */
  save(next: JuryRecord, expectedVersion: number): Promise<JuryRecord>;
  /** A campaign's records, in number order. */
  listByCampaign(campaignId: string): Promise<JuryRecord[]>;
  getDecision(candidacyId: string): Promise<Decision | null>;
  /** A campaign's decisions, oldest first. */
  listDecisions(campaignId: string): Promise<Decision[]>;
  /** Sets the decision's publishedAt once; true only for the call that published. */
  markPublished(candidacyId: string, at?: Date): Promise<boolean>;
}

const openInput = z.object({
  candidacyId: nonEmpty,
  campaignId: nonEmpty,
  roomId: nonEmpty,
  at: dateSchema.optional(),
});

function recordFrom(doc: RecordDoc): JuryRecord {
  const { _id, schemaVersion: _v, threadRoot: _t, ...rest } = doc;
  return { ...rest, candidacyId: _id };
}

function docFrom(record: JuryRecord): RawDoc {
  const { candidacyId, ...rest } = record;
  const doc: RecordDoc = {
    ...rest,
    _id: candidacyId,
    schemaVersion: 2,
    ...(record.post.rootEventId ? { threadRoot: record.post.rootEventId } : {}),
  } as RecordDoc;
  // JSON-safe copy with Dates kept: the stored document is exactly what reads give back.
  return checkInput(recordDocSchema, doc, 'jury record') as RawDoc;
}

function decisionOf(record: JuryRecord): Decision | null {
  return record.decision
    ? { ...record.decision, candidacyId: record.candidacyId, campaignId: record.campaignId }
    : null;
}

export class JuryStore implements JuryRepository {
  readonly #dossiers: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#dossiers = collection(DOSSIERS);
    this.#now = now;
  }

  async #read(filter: Filter): Promise<JuryRecord | null> {
    const raw = await this.#dossiers.findOne(filter);
    return raw ? recordFrom(readDocument(juryRecordKind, raw).value) : null;
  }

  async open(input: {
    candidacyId: string;
    campaignId: string;
    roomId: string;
    at?: Date;
  }): Promise<JuryRecord> {
    const v = checkInput(openInput, input, 'jury dossier');
    const existing = await this.get(v.candidacyId);
    if (existing) return existing;
    const at = v.at ?? this.#now();
    for (let attempt = 0; ; attempt += 1) {
      const last = await this.#lastNumber(v.campaignId);
      const record = newRecord({
        candidacyId: v.candidacyId,
        campaignId: v.campaignId,
        number: last + 1,
        roomId: v.roomId,
        at,
      });
      try {
        await this.#dossiers.insertOne(docFrom(record));
        return record;
      } catch (error) {
        if (!(error instanceof DuplicateError)) throw error;
        // Another process opened this dossier, or took the number: read again.
        const now = await this.get(v.candidacyId);
        if (now) return now;
        if (error.constraint !== CONSTRAINTS.dossierNumber || attempt >= 20) throw error;
      }
    }
  }

  async #lastNumber(campaignId: string): Promise<number> {
    for await (const raw of this.#dossiers.find(
      { campaignId },
      { projection: { number: 1 }, sort: { number: -1 }, limit: 1 },
    )) {
      return typeof raw.number === 'number' ? raw.number : 0;
    }
    return 0;
  }

  get(candidacyId: string): Promise<JuryRecord | null> {
    return this.#read({ _id: candidacyId });
  }

  findByNumber(campaignId: string, number: number): Promise<JuryRecord | null> {
    return this.#read({ campaignId, number });
  }

  findByThread(rootEventId: string): Promise<JuryRecord | null> {
    return this.#read({ threadRoot: rootEventId });
  }

  async save(next: JuryRecord, expectedVersion: number): Promise<JuryRecord> {
    const record = { ...next, version: expectedVersion + 1 };
    const matched = await this.#dossiers.replaceOne(
      { _id: next.candidacyId, version: expectedVersion },
      docFrom(record),
    );
    if (matched === 1) return record;
    const now = await this.get(next.candidacyId);
    if (!now) throw new NotFoundError(DOSSIERS, next.candidacyId);
    throw new ConflictError(DOSSIERS, next.candidacyId, expectedVersion, now.version);
  }

  async listByCampaign(campaignId: string): Promise<JuryRecord[]> {
    const out: JuryRecord[] = [];
    for await (const raw of this.#dossiers.find({ campaignId }, { sort: { number: 1 } })) {
      out.push(recordFrom(readDocument(juryRecordKind, raw).value));
    }
    return out;
  }

  async getDecision(candidacyId: string): Promise<Decision | null> {
    const record = await this.get(candidacyId);
    return record ? decisionOf(record) : null;
  }

  async listDecisions(campaignId: string): Promise<Decision[]> {
    const out: Decision[] = [];
    for await (const raw of this.#dossiers.find(
      { campaignId, decision: { $ne: null } },
      { sort: { number: 1 } },
    )) {
      const decision = decisionOf(recordFrom(readDocument(juryRecordKind, raw).value));
      if (decision) out.push(decision);
    }
    return out.sort(
      (a, b) => a.decidedAt.getTime() - b.decidedAt.getTime() || a.candidacyId.localeCompare(b.candidacyId),
    );
  }

  async markPublished(candidacyId: string, at?: Date): Promise<boolean> {
    const result = await this.#dossiers.updateOne(
      { _id: candidacyId, 'decision.publishedAt': null, decision: { $ne: null } },
      { $set: { 'decision.publishedAt': at ?? this.#now() }, $inc: { version: 1 } },
    );
    if (result.matched === 1) return true;
    if (!(await this.getDecision(candidacyId))) throw new NotFoundError(DOSSIERS, candidacyId);
    return false;
  }
}
