// Candidacies: one document per candidacy, written only by single atomic updates
// conditioned on the version that was read (optimistic concurrency). The Matrix
// event that caused a change, the change itself and its audit entries are written
// in that same update, so an event is applied exactly once and never without its
// audit trail (see storage/README.md).
//
// Why this file is long: the candidacy document, its schema and migrations, and the one atomic
// write with its audit trail belong together.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  checkInput,
  checkStorableKeys,
  dateSchema,
  type DocumentKind,
  type JsonValue,
  jsonValueSchema,
  type Migration,
  nonEmpty,
  readDocument,
} from './documents.ts';
import {
  CONSTRAINTS,
  ConflictError,
  CorruptDocumentError,
  DuplicateError,
  InvalidInputError,
  NotFoundError,
} from './errors.ts';
import type { DocCollection, Filter, IndexSpec, Projection, PushSpec, RawDoc, Update } from './port.ts';
import { deepEqual, diffUpdate, readProjected, type RetryOptions, retryOnConflict } from './util.ts';

export const CANDIDACY_STATUSES = ['draft', 'submitted', 'under_review', 'decided', 'withdrawn'] as const;
export type CandidacyStatus = (typeof CANDIDACY_STATUSES)[number];

/** How many recent event ids a candidacy remembers for de-duplication. */
export const RECENT_EVENT_IDS = 500;

const statusSchema = z.enum(CANDIDACY_STATUSES);
const personSchema = z.object({ userId: nonEmpty, name: z.string().optional() });
const peopleSchema = z.object({
  eluReferent: personSchema.optional(),
  lead: personSchema,
  coEditors: z.array(personSchema),
});
const collectiviteSchema = z.object({ name: nonEmpty, kind: nonEmpty, officialCode: nonEmpty.optional() });
const conversationSchema = z.object({ machineVersion: z.number().int().nonnegative(), state: z.unknown() });
const answerSchema = z.object({
  value: jsonValueSchema,
  by: nonEmpty,
  at: dateSchema,
  itemsBy: z.array(nonEmpty).optional(),
});

export type Person = z.infer<typeof personSchema>;
export type People = z.infer<typeof peopleSchema>;
export type Collectivite = z.infer<typeof collectiviteSchema>;
/** The persisted XState snapshot, opaque to storage; `machineVersion` lets flows migrate it. */
export interface Conversation {
  machineVersion: number;
  state: unknown;
}
export interface Answer {
  value: JsonValue;
  /** Matrix user id of the person who gave it. */
  by: string;
  at: Date;
  /** A list answer built by several people: who typed each entry, in order. */
  itemsBy?: string[];
}

export interface Candidacy {
  id: string;
  campaignId: string;
  /** Null until the conversation has asked for it. */
  collectivite: Collectivite | null;
  people: People;
  answers: Readonly<Record<string, Answer>>;
  conversation: Conversation | null;
  status: CandidacyStatus;
  roomId: string | null;
  language: string;
  createdAt: Date;
  updatedAt: Date;
  /** First time the status became `submitted`. */
  submittedAt: Date | null;
  /** Incremented by every write; updates are conditioned on it. */
  version: number;
  /** Schema version the document had in the database (older ones are upgraded on read). */
  schemaVersion: number;
  /** Event ids recently applied to this candidacy, oldest first (bounded). */
  recentEventIds: readonly string[];
  /** The Matrix event that started this candidacy, if any (creating twice from it is a no-op). */
  originEventId: string | null;
}

export type AuditEntry =
  | {
      kind: 'answer';
      candidacyId: string;
      questionId: string;
      action: 'set' | 'cleared';
      /** The new value (absent when cleared). */
      value?: JsonValue;
      /** A list answer: who typed each entry of the new value, in order. */
      itemsBy?: string[];
      previous: Answer | null;
      by: string;
      at: Date;
      eventId: string | null;
      /** The candidacy version this change produced. */
      version: number;
    }
  | {
      kind: 'status';
      candidacyId: string;
      from: CandidacyStatus;
      to: CandidacyStatus;
      by: string;
      at: Date;
      eventId: string | null;
      version: number;
    };

export type AnswerEffect =
  | { kind: 'set'; questionId: string; value: JsonValue; itemsBy?: string[] }
  | { kind: 'clear'; questionId: string };

export interface CandidacyChange {
  /** Who caused the change: a Matrix user id, or a system actor such as "system:clock". */
  by: string;
  at?: Date;
  /** The Matrix event this change applies; recorded in the same atomic update. */
  eventId?: string;
  effects?: readonly AnswerEffect[];
  conversation?: Conversation | null;
  status?: CandidacyStatus;
  collectivite?: Collectivite | null;
  people?: People;
  roomId?: string | null;
  language?: string;
}

export type CandidacyUpdate =
  | { outcome: 'applied'; candidacy: Candidacy; audit: AuditEntry[] }
  /** The event was already applied: nothing changed. */
  | { outcome: 'duplicate'; candidacy: Candidacy }
  /** The decide function asked for no change. */
  | { outcome: 'unchanged'; candidacy: Candidacy };

export interface NewCandidacy {
  /** Defaults to a random UUID. */
  id?: string;
  campaignId: string;
  collectivite?: Collectivite | null;
  people: People;
  roomId?: string | null;
  language: string;
  status?: CandidacyStatus;
  conversation?: Conversation | null;
  /** The Matrix event that asked for this candidacy: a second create from it returns the first. */
  originEventId?: string;
  at?: Date;
}

/** What set-wide checks need of a candidacy, read without the rest of the document. */
export interface CandidacyVersion {
  id: string;
  status: CandidacyStatus;
  version: number;
}

export interface UpdateWithRetryOptions extends RetryOptions {
  /** If the candidacy already applied this event, return `duplicate` without calling `decide`. */
  eventId?: string;
}

export interface CandidacyRepository {
  /** DuplicateError(one_active_candidacy_per_collectivite | one_candidacy_per_room) if taken. */
  create(input: NewCandidacy): Promise<{ candidacy: Candidacy; created: boolean }>;
  get(id: string): Promise<Candidacy | null>;
  /** Like get, but NotFoundError when missing. */
  require(id: string): Promise<Candidacy>;
  findByRoom(roomId: string): Promise<Candidacy | null>;
  /** The non-withdrawn candidacy of this collectivité in this campaign. */
  findActive(campaignId: string, collectivite: Collectivite): Promise<Candidacy | null>;
  /** Candidacies where this person is lead, élu référent or co-editor. */
  listByMember(userId: string): Promise<Candidacy[]>;
  /** In creation order, streamed (for exports and the clock). */
  listByCampaign(
    campaignId: string,
    options?: { statuses?: readonly CandidacyStatus[] },
  ): AsyncIterable<Candidacy>;
  /**
   * Like listByCampaign, but only each candidacy's id, status and version (a few dozen
   * bytes each): for catch-ups that compare versions before loading anything in full.
   */
  listVersions(
    campaignId: string,
    options?: { statuses?: readonly CandidacyStatus[] },
  ): AsyncIterable<CandidacyVersion>;
  /**
   * One atomic write conditioned on `current.version`: ConflictError if someone
   * wrote in between, `duplicate` if `change.eventId` was already applied.
   */
  update(current: Candidacy, change: CandidacyChange): Promise<CandidacyUpdate>;
  /** Reads, asks `decide` for the change, writes; re-reads and retries on conflict. */
  updateWithRetry(
    id: string,
    decide: (current: Candidacy) => CandidacyChange | null | Promise<CandidacyChange | null>,
    options?: UpdateWithRetryOptions,
  ): Promise<CandidacyUpdate>;
  /** Every answer and status change of a candidacy, oldest first. */
  listAudit(id: string): Promise<AuditEntry[]>;
  /** The audit trails of a campaign's candidacies, for export. */
  auditByCampaign(campaignId: string): AsyncIterable<AuditEntry>;
}

/** Whether the candidacy already applied this event (decidable from the document alone). */
export function hasApplied(candidacy: Candidacy, eventId: string): boolean {
  return candidacy.recentEventIds.includes(eventId);
}

/** Case, accents, punctuation and spacing do not make two collectivités different. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Identity of a collectivité: its official code when given, else its kind and normalised name. */
export function collectiviteKey(collectivite: Collectivite): string {
  if (collectivite.officialCode) return `code:${collectivite.officialCode.replace(/\s+/g, '').toUpperCase()}`;
  return `name:${normaliseName(collectivite.kind)}:${normaliseName(collectivite.name)}`;
}

// ---- stored shape -------------------------------------------------------------

const COLLECTION = 'candidacies';
const CURRENT_SCHEMA = 2;

const storedAnswerSchema = answerSchema.extend({ questionId: nonEmpty });
const storedAuditSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('answer'),
    questionId: nonEmpty,
    action: z.enum(['set', 'cleared']),
    value: jsonValueSchema.optional(),
    itemsBy: z.array(nonEmpty).optional(),
    previous: answerSchema.nullable(),
    by: nonEmpty,
    at: dateSchema,
    eventId: z.string().nullable(),
    version: z.number().int(),
  }),
  z.object({
    kind: z.literal('status'),
    from: statusSchema,
    to: statusSchema,
    by: nonEmpty,
    at: dateSchema,
    eventId: z.string().nullable(),
    version: z.number().int(),
  }),
]);
type StoredAudit = z.infer<typeof storedAuditSchema>;

const candidacyDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(CURRENT_SCHEMA),
  campaignId: nonEmpty,
  collectivite: collectiviteSchema.nullable(),
  people: peopleSchema,
  /** Derived: every person of the candidacy, for listByMember. */
  memberIds: z.array(z.string()),
  /** Kept as a list so question ids need no escaping as field names. */
  answers: z.array(storedAnswerSchema),
  /** The snapshot as JSON text: opaque, and free of key names the database would refuse. */
  conversation: z
    .object({ machineVersion: z.number().int().nonnegative(), stateJson: z.string() })
    .nullable(),
  status: statusSchema,
  roomId: nonEmpty.optional(),
  language: nonEmpty,
  createdAt: dateSchema,
  updatedAt: dateSchema,
  submittedAt: dateSchema.nullable(),
  version: z.number().int().positive(),
  recentEventIds: z.array(z.string()),
  originEventId: nonEmpty.optional(),
  /** Derived: campaign and collectivité while not withdrawn; absent otherwise (unique, partial). */
  activeKey: z.string().optional(),
  /** Absent when a read leaves it out (it is only needed for listAudit). */
  audit: z.array(storedAuditSchema).optional(),
});
type CandidacyDoc = z.infer<typeof candidacyDocSchema>;

/**
 * Version 1 is the shape before a candidacy kept its language, its member list and
 * its recent event ids; documents of that shape are upgraded on read.
 */
const migrations: Migration[] = [
  {
    from: 1,
    describe: 'add language (fr), memberIds (from people) and recentEventIds ([])',
    up(doc) {
      const people = doc.people as { eluReferent?: Person; lead?: Person; coEditors?: Person[] } | undefined;
      return {
        ...doc,
        language: typeof doc.language === 'string' ? doc.language : 'fr',
        memberIds: people ? memberIdsOf(people) : [],
        recentEventIds: Array.isArray(doc.recentEventIds) ? doc.recentEventIds : [],
      };
    },
  },
];

export const candidacyKind: DocumentKind<CandidacyDoc> = {
  collection: COLLECTION,
  current: CURRENT_SCHEMA,
  migrations,
  schema: candidacyDocSchema,
};

export const candidacyIndexes: IndexSpec[] = [
  { name: CONSTRAINTS.activeCandidacy, keys: { activeKey: 1 }, unique: true, onlyWhereExists: 'activeKey' },
  { name: CONSTRAINTS.candidacyRoom, keys: { roomId: 1 }, unique: true, onlyWhereExists: 'roomId' },
  {
    name: CONSTRAINTS.candidacyOrigin,
    keys: { originEventId: 1 },
    unique: true,
    onlyWhereExists: 'originEventId',
  },
  { name: 'by_campaign_status', keys: { campaignId: 1, status: 1 } },
  { name: 'by_member', keys: { memberIds: 1 } },
];

function memberIdsOf(people: { eluReferent?: Person; lead?: Person; coEditors?: Person[] }): string[] {
  const ids = [
    people.lead?.userId,
    people.eluReferent?.userId,
    ...(people.coEditors ?? []).map((p) => p.userId),
  ];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
}

function activeKeyOf(c: Pick<Candidacy, 'campaignId' | 'collectivite' | 'status'>): string | undefined {
  if (!c.collectivite || c.status === 'withdrawn') return undefined;
  return `${c.campaignId}|${collectiviteKey(c.collectivite)}`;
}

function fromDoc(doc: CandidacyDoc, storedVersion: number): Candidacy {
  let conversation: Conversation | null = null;
  if (doc.conversation) {
    let state: unknown;
    try {
      state = JSON.parse(doc.conversation.stateJson);
    } catch {
      throw new CorruptDocumentError(COLLECTION, doc._id, 'conversation.stateJson is not JSON');
    }
    conversation = { machineVersion: doc.conversation.machineVersion, state };
  }
  const answers: Record<string, Answer> = {};
  for (const a of doc.answers)
    answers[a.questionId] = {
      value: a.value,
      by: a.by,
      at: a.at,
      ...(a.itemsBy ? { itemsBy: a.itemsBy } : {}),
    };
  return {
    id: doc._id,
    campaignId: doc.campaignId,
    collectivite: doc.collectivite,
    people: doc.people,
    answers,
    conversation,
    status: doc.status,
    roomId: doc.roomId ?? null,
    language: doc.language,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    submittedAt: doc.submittedAt,
    version: doc.version,
    schemaVersion: storedVersion,
    recentEventIds: doc.recentEventIds,
    originEventId: doc.originEventId ?? null,
  };
}

/** The stored document of a candidacy, without its audit array. */
function toDoc(c: Candidacy): RawDoc {
  return {
    _id: c.id,
    schemaVersion: CURRENT_SCHEMA,
    campaignId: c.campaignId,
    collectivite: c.collectivite,
    people: c.people,
    memberIds: memberIdsOf(c.people),
    answers: Object.entries(c.answers).map(([questionId, a]) => ({ questionId, ...a })),
    conversation: c.conversation
      ? {
          machineVersion: c.conversation.machineVersion,
          stateJson: JSON.stringify(c.conversation.state ?? null),
        }
      : null,
    status: c.status,
    roomId: c.roomId ?? undefined,
    language: c.language,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    submittedAt: c.submittedAt,
    version: c.version,
    recentEventIds: [...c.recentEventIds],
    originEventId: c.originEventId ?? undefined,
    activeKey: activeKeyOf(c),
  };
}

function toAuditEntry(candidacyId: string, stored: StoredAudit): AuditEntry {
  if (stored.kind === 'status') return { ...stored, candidacyId };
  const { value, ...rest } = stored;
  return { ...rest, candidacyId, ...(value !== undefined ? { value } : {}) };
}

function toStoredAudit(entry: AuditEntry): StoredAudit {
  const { candidacyId: _candidacyId, ...rest } = entry;
  return rest;
}

// ---- inputs ----------------------------------------------------------------

const answerEffectSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('set'),
    questionId: nonEmpty,
    value: jsonValueSchema,
    itemsBy: z.array(nonEmpty).optional(),
  }),
  z.object({ kind: z.literal('clear'), questionId: nonEmpty }),
]);
const changeSchema = z.object({
  by: nonEmpty,
  at: dateSchema.optional(),
  eventId: nonEmpty.optional(),
  effects: z.array(answerEffectSchema).optional(),
  conversation: conversationSchema.nullable().optional(),
  status: statusSchema.optional(),
  collectivite: collectiviteSchema.nullable().optional(),
  people: peopleSchema.optional(),
  roomId: nonEmpty.nullable().optional(),
  language: nonEmpty.optional(),
});
const newCandidacySchema = z.object({
  id: nonEmpty.optional(),
  campaignId: nonEmpty,
  collectivite: collectiviteSchema.nullable().optional(),
  people: peopleSchema,
  roomId: nonEmpty.nullable().optional(),
  language: nonEmpty,
  status: statusSchema.optional(),
  conversation: conversationSchema.nullable().optional(),
  originEventId: nonEmpty.optional(),
  at: dateSchema.optional(),
});

/** Pure: the candidacy after `change`, and the audit entries that describe it. */
export function applyChange(
  current: Candidacy,
  change: CandidacyChange,
  at: Date,
): { next: Candidacy; audit: AuditEntry[] } {
  const version = current.version + 1;
  const eventId = change.eventId ?? null;
  const answers: Record<string, Answer> = { ...current.answers };
  const audit: AuditEntry[] = [];
  for (const effect of change.effects ?? []) {
    const previous = answers[effect.questionId] ?? null;
    if (effect.kind === 'set') {
      if (previous && deepEqual(previous.value, effect.value)) continue;
      const itemsBy = effect.itemsBy ? { itemsBy: [...effect.itemsBy] } : {};
      answers[effect.questionId] = { value: effect.value, by: change.by, at, ...itemsBy };
      audit.push({
        kind: 'answer',
        candidacyId: current.id,
        questionId: effect.questionId,
        action: 'set',
        value: effect.value,
        ...itemsBy,
        previous,
        by: change.by,
        at,
        eventId,
        version,
      });
    } else {
      if (!previous) continue;
      delete answers[effect.questionId];
      audit.push({
        kind: 'answer',
        candidacyId: current.id,
        questionId: effect.questionId,
        action: 'cleared',
        previous,
        by: change.by,
        at,
        eventId,
        version,
      });
    }
  }
  const status = change.status ?? current.status;
  if (status !== current.status) {
    audit.push({
      kind: 'status',
      candidacyId: current.id,
      from: current.status,
      to: status,
      by: change.by,
      at,
      eventId,
      version,
    });
  }
  const recent = eventId
    ? [...current.recentEventIds, eventId].slice(-RECENT_EVENT_IDS)
    : current.recentEventIds;
  const next: Candidacy = {
    ...current,
    answers,
    status,
    conversation: change.conversation !== undefined ? change.conversation : current.conversation,
    collectivite: change.collectivite !== undefined ? change.collectivite : current.collectivite,
    people: change.people ?? current.people,
    roomId: change.roomId !== undefined ? change.roomId : current.roomId,
    language: change.language ?? current.language,
    submittedAt: status === 'submitted' && !current.submittedAt ? at : current.submittedAt,
    updatedAt: at,
    version,
    schemaVersion: CURRENT_SCHEMA,
    recentEventIds: recent,
  };
  return { next, audit };
}

/** The snapshot is stored as JSON text: it must survive JSON.stringify. */
function checkSerialisable(state: unknown): void {
  try {
    JSON.stringify(state);
  } catch (error) {
    throw new InvalidInputError(`conversation state is not JSON-serialisable: ${String(error)}`);
  }
}

// ---- repository -----------------------------------------------------------------

const WITHOUT_AUDIT = { audit: 0 } as const;
const VERSION_ONLY = { status: 1, version: 1 } as const;
const versionDocSchema = z.object({ _id: nonEmpty, status: statusSchema, version: z.number().int() });

export class CandidacyStore implements CandidacyRepository {
  readonly #collection: DocCollection;
  readonly #now: () => Date;

  constructor(collection: DocCollection, now: () => Date) {
    this.#collection = collection;
    this.#now = now;
  }

  #read(raw: RawDoc): Candidacy {
    const { value, storedVersion } = readDocument(candidacyKind, raw);
    return fromDoc(value, storedVersion);
  }

  async #findOne(filter: Filter): Promise<Candidacy | null> {
    const raw = await this.#collection.findOne(filter, { projection: WITHOUT_AUDIT });
    return raw ? this.#read(raw) : null;
  }

  async create(input: NewCandidacy): Promise<{ candidacy: Candidacy; created: boolean }> {
    const valid = checkInput(newCandidacySchema, input, 'new candidacy');
    if (valid.conversation) checkSerialisable(valid.conversation.state);
    const at = valid.at ?? this.#now();
    const candidacy: Candidacy = {
      id: valid.id ?? randomUUID(),
      campaignId: valid.campaignId,
      collectivite: valid.collectivite ?? null,
      people: valid.people,
      answers: {},
      conversation: (valid.conversation as Conversation | null | undefined) ?? null,
      status: valid.status ?? 'draft',
      roomId: valid.roomId ?? null,
      language: valid.language,
      createdAt: at,
      updatedAt: at,
      submittedAt: valid.status === 'submitted' ? at : null,
      version: 1,
      schemaVersion: CURRENT_SCHEMA,
      recentEventIds: valid.originEventId ? [valid.originEventId] : [],
      originEventId: valid.originEventId ?? null,
    };
    try {
      await this.#collection.insertOne({ ...toDoc(candidacy), audit: [] });
      return { candidacy, created: true };
    } catch (error) {
      if (!(error instanceof DuplicateError)) throw error;
      if (error.constraint === CONSTRAINTS.candidacyOrigin && valid.originEventId) {
        const existing = await this.#findOne({ originEventId: valid.originEventId });
        if (existing) return { candidacy: existing, created: false };
      }
      if (error.constraint === CONSTRAINTS.id) {
        // A driver retry of our own insert (connection lost after the server applied it)?
        const existing = await this.get(candidacy.id);
        if (existing && deepEqual(toDoc(existing), toDoc(candidacy)))
          return { candidacy: existing, created: true };
      }
      throw error;
    }
  }

  get(id: string): Promise<Candidacy | null> {
    return this.#findOne({ _id: id });
  }

  async require(id: string): Promise<Candidacy> {
    const candidacy = await this.get(id);
    if (!candidacy) throw new NotFoundError(COLLECTION, id);
    return candidacy;
  }

  findByRoom(roomId: string): Promise<Candidacy | null> {
    return this.#findOne({ roomId });
  }

  findActive(campaignId: string, collectivite: Collectivite): Promise<Candidacy | null> {
    return this.#findOne({ activeKey: `${campaignId}|${collectiviteKey(collectivite)}` });
  }

  async listByMember(userId: string): Promise<Candidacy[]> {
    const out: Candidacy[] = [];
    const cursor = this.#collection.find(
      { memberIds: userId },
      { projection: WITHOUT_AUDIT, sort: { createdAt: 1, _id: 1 } },
    );
    for await (const raw of cursor) out.push(this.#read(raw));
    return out;
  }

  async *listByCampaign(
    campaignId: string,
    options?: { statuses?: readonly CandidacyStatus[] },
  ): AsyncIterable<Candidacy> {
    for await (const raw of this.#inCampaign(campaignId, options?.statuses, WITHOUT_AUDIT)) {
      yield this.#read(raw);
    }
  }

  async *listVersions(
    campaignId: string,
    options?: { statuses?: readonly CandidacyStatus[] },
  ): AsyncIterable<CandidacyVersion> {
    for await (const raw of this.#inCampaign(campaignId, options?.statuses, VERSION_ONLY)) {
      const { _id, status, version } = readProjected(versionDocSchema, COLLECTION, raw);
      yield { id: _id, status, version };
    }
  }

  /** A campaign's candidacies (of these statuses if given), in creation order, projected. */
  #inCampaign(
    campaignId: string,
    statuses: readonly CandidacyStatus[] | undefined,
    projection: Projection,
  ): AsyncIterable<RawDoc> {
    const filter: Filter = statuses ? { campaignId, status: { $in: [...statuses] } } : { campaignId };
    return this.#collection.find(filter, { projection, sort: { createdAt: 1, _id: 1 } });
  }

  async update(current: Candidacy, change: CandidacyChange): Promise<CandidacyUpdate> {
    const valid = checkInput(changeSchema, change, 'candidacy change') as CandidacyChange;
    for (const effect of valid.effects ?? []) {
      if (effect.kind === 'set') checkStorableKeys(effect.value, `answer ${effect.questionId}`);
    }
    if (valid.conversation) checkSerialisable(valid.conversation.state);
    if (valid.eventId && hasApplied(current, valid.eventId))
      return { outcome: 'duplicate', candidacy: current };

    const at = valid.at ?? this.#now();
    const { next, audit } = applyChange(current, valid, at);
    // The event id list is appended with $push/$slice rather than rewritten.
    const { recentEventIds: _before, ...before } = toDoc(current);
    const { recentEventIds: _after, ...after } = toDoc(next);
    const push: Record<string, PushSpec> = {};
    if (audit.length > 0) push.audit = { $each: audit.map(toStoredAudit) };
    if (valid.eventId) push.recentEventIds = { $each: [valid.eventId], $slice: -RECENT_EVENT_IDS };
    const update: Update = {
      ...diffUpdate(before as RawDoc, after as RawDoc, current.schemaVersion < CURRENT_SCHEMA),
      ...(Object.keys(push).length > 0 ? { $push: push } : {}),
    };
    const filter: Filter = valid.eventId
      ? { _id: current.id, version: current.version, recentEventIds: { $ne: valid.eventId } }
      : { _id: current.id, version: current.version };
    const raw = await this.#collection.findOneAndUpdate(filter, update, { projection: WITHOUT_AUDIT });
    if (raw) return { outcome: 'applied', candidacy: this.#read(raw), audit };

    // Nothing matched: find out why (one more read, only on this unusual path).
    const now = await this.get(current.id);
    if (!now) throw new NotFoundError(COLLECTION, current.id);
    if (valid.eventId && hasApplied(now, valid.eventId)) return { outcome: 'duplicate', candidacy: now };
    throw new ConflictError(COLLECTION, current.id, current.version, now.version);
  }

  updateWithRetry(
    id: string,
    decide: (current: Candidacy) => CandidacyChange | null | Promise<CandidacyChange | null>,
    options: UpdateWithRetryOptions = {},
  ): Promise<CandidacyUpdate> {
    return retryOnConflict(async () => {
      const current = await this.require(id);
      if (options.eventId && hasApplied(current, options.eventId))
        return { outcome: 'duplicate', candidacy: current };
      const change = await decide(current);
      if (!change) return { outcome: 'unchanged', candidacy: current };
      return this.update(
        current,
        options.eventId && !change.eventId ? { ...change, eventId: options.eventId } : change,
      );
    }, options);
  }

  async listAudit(id: string): Promise<AuditEntry[]> {
    const raw = await this.#collection.findOne({ _id: id }, { projection: { audit: 1 } });
    if (!raw) throw new NotFoundError(COLLECTION, id);
    return this.#parseAudit(raw);
  }

  async *auditByCampaign(campaignId: string): AsyncIterable<AuditEntry> {
    const cursor = this.#collection.find(
      { campaignId },
      { projection: { audit: 1 }, sort: { createdAt: 1, _id: 1 } },
    );
    for await (const raw of cursor) yield* this.#parseAudit(raw);
  }

  #parseAudit(raw: RawDoc): AuditEntry[] {
    const parsed = z.array(storedAuditSchema).safeParse(raw.audit ?? []);
    if (!parsed.success) {
      throw new CorruptDocumentError(
        COLLECTION,
        raw._id,
        `audit: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return parsed.data.map((entry) => toAuditEntry(raw._id, entry));
  }
}
