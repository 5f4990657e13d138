// Campaigns: one document per yearly campaign, versioned like candidacies. A unique
// partial index on a derived `openKey` makes "two campaigns open at once" impossible.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  checkInput,
  checkStorableKeys,
  dateSchema,
  type DocumentKind,
  type JsonValue,
  jsonValueSchema,
  nonEmpty,
  readDocument,
} from './documents.ts';
import { CONSTRAINTS, ConflictError, NotFoundError } from './errors.ts';
import type { DocCollection, Filter, IndexSpec, RawDoc } from './port.ts';
import { diffUpdate, type RetryOptions, retryOnConflict } from './util.ts';

export const CAMPAIGN_STATUSES = ['draft', 'open', 'closed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

const levelSchema = z.object({
  /** Stable id stored in votes and decisions ("1".."5", "bronze"...). */
  id: nonEmpty,
  /** Label per language, e.g. { fr: 'Or', en: 'Gold' }. */
  labels: z.record(z.string(), z.string()),
});
export type Level = z.infer<typeof levelSchema>;

const historySchema = z.object({ by: nonEmpty, at: dateSchema, changed: z.array(z.string()) });
export type CampaignHistoryEntry = z.infer<typeof historySchema>;

const COLLECTION = 'campaigns';
const CURRENT_SCHEMA = 1;

const campaignDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(CURRENT_SCHEMA),
  year: z.number().int(),
  name: nonEmpty,
  /** Path or id of the questionnaire file this campaign uses. */
  questionnaire: nonEmpty,
  /** In order, lowest first. */
  levels: z.array(levelSchema).min(1),
  timeZone: nonEmpty,
  opensAt: dateSchema,
  closesAt: dateSchema,
  juryDeadline: dateSchema.nullable(),
  status: z.enum(CAMPAIGN_STATUSES),
  /** Whether the tally may show who voted what. */
  votesOpen: z.boolean(),
  /** Fraction of non-recused jurors who must vote before a decision, e.g. 2/3. */
  quorum: z.number().min(0).max(1),
  reminderDaysBefore: z.array(z.number().nonnegative()),
  publishedAt: dateSchema.nullable(),
  /** Anything else the organisers keep with the campaign (JSON). */
  settings: z.record(z.string(), jsonValueSchema),
  createdAt: dateSchema,
  updatedAt: dateSchema,
  version: z.number().int().positive(),
  history: z.array(historySchema),
  openKey: z.literal('open').optional(),
});
type CampaignDoc = z.infer<typeof campaignDocSchema>;

export const campaignKind: DocumentKind<CampaignDoc> = {
  collection: COLLECTION,
  current: CURRENT_SCHEMA,
  migrations: [],
  schema: campaignDocSchema,
};

export const campaignIndexes: IndexSpec[] = [
  { name: CONSTRAINTS.openCampaign, keys: { openKey: 1 }, unique: true, onlyWhereExists: 'openKey' },
  { name: 'by_year', keys: { year: 1 } },
];

export interface Campaign {
  id: string;
  year: number;
  name: string;
  questionnaire: string;
  levels: Level[];
  timeZone: string;
  opensAt: Date;
  closesAt: Date;
  juryDeadline: Date | null;
  status: CampaignStatus;
  votesOpen: boolean;
  quorum: number;
  reminderDaysBefore: number[];
  publishedAt: Date | null;
  settings: Record<string, JsonValue>;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  schemaVersion: number;
  /** Who changed what, oldest first. */
  history: CampaignHistoryEntry[];
}

type Editable = Omit<Campaign, 'id' | 'createdAt' | 'updatedAt' | 'version' | 'schemaVersion' | 'history'>;

export interface NewCampaign extends Partial<
  Pick<Editable, 'juryDeadline' | 'status' | 'votesOpen' | 'quorum' | 'reminderDaysBefore'>
> {
  /** Defaults to a random UUID. */
  id?: string;
  year: number;
  name: string;
  questionnaire: string;
  levels: Level[];
  timeZone?: string;
  opensAt: Date;
  closesAt: Date;
  settings?: Record<string, JsonValue>;
  by: string;
  at?: Date;
}

export type CampaignPatch = Partial<Editable> & { by: string; at?: Date };

export interface CampaignRepository {
  /** DuplicateError(_id_ | one_open_campaign). */
  create(input: NewCampaign): Promise<Campaign>;
  get(id: string): Promise<Campaign | null>;
  require(id: string): Promise<Campaign>;
  /** Oldest first. */
  list(): Promise<Campaign[]>;
  /** The campaign whose status is open, if any. */
  getOpen(): Promise<Campaign | null>;
  /** Conditioned on current.version: ConflictError if it changed; DuplicateError if opening a second one. */
  update(current: Campaign, patch: CampaignPatch): Promise<Campaign>;
  updateWithRetry(
    id: string,
    decide: (current: Campaign) => CampaignPatch | null,
    options?: RetryOptions,
  ): Promise<Campaign>;
}

const newCampaignSchema = z.object({
  id: nonEmpty.optional(),
  year: z.number().int(),
  name: nonEmpty,
  questionnaire: nonEmpty,
  levels: z.array(levelSchema).min(1),
  timeZone: nonEmpty.optional(),
  opensAt: dateSchema,
  closesAt: dateSchema,
  juryDeadline: dateSchema.nullable().optional(),
  status: z.enum(CAMPAIGN_STATUSES).optional(),
  votesOpen: z.boolean().optional(),
  quorum: z.number().min(0).max(1).optional(),
  reminderDaysBefore: z.array(z.number().nonnegative()).optional(),
  settings: z.record(z.string(), jsonValueSchema).optional(),
  by: nonEmpty,
  at: dateSchema.optional(),
});
const patchSchema = newCampaignSchema
  .omit({ id: true })
  .partial()
  .extend({ by: nonEmpty, publishedAt: dateSchema.nullable().optional() });

function fromDoc(doc: CampaignDoc, storedVersion: number): Campaign {
  const { _id, openKey: _openKey, ...rest } = doc;
  return { ...rest, id: _id, schemaVersion: storedVersion };
}

function toDoc(c: Campaign): RawDoc {
  const { id, schemaVersion: _schemaVersion, ...rest } = c;
  return {
    ...rest,
    _id: id,
    schemaVersion: CURRENT_SCHEMA,
    openKey: c.status === 'open' ? 'open' : undefined,
  };
}

export class CampaignStore implements CampaignRepository {
  readonly #collection: DocCollection;
  readonly #now: () => Date;

  constructor(collection: DocCollection, now: () => Date) {
    this.#collection = collection;
    this.#now = now;
  }

  #read(raw: RawDoc): Campaign {
    const { value, storedVersion } = readDocument(campaignKind, raw);
    return fromDoc(value, storedVersion);
  }

  async #findOne(filter: Filter): Promise<Campaign | null> {
    const raw = await this.#collection.findOne(filter);
    return raw ? this.#read(raw) : null;
  }

  async create(input: NewCampaign): Promise<Campaign> {
    const valid = checkInput(newCampaignSchema, input, 'new campaign');
    checkStorableKeys(valid.settings ?? {}, 'campaign settings');
    const at = valid.at ?? this.#now();
    const campaign: Campaign = {
      id: valid.id ?? randomUUID(),
      year: valid.year,
      name: valid.name,
      questionnaire: valid.questionnaire,
      levels: valid.levels,
      timeZone: valid.timeZone ?? 'Europe/Paris',
      opensAt: valid.opensAt,
      closesAt: valid.closesAt,
      juryDeadline: valid.juryDeadline ?? null,
      status: valid.status ?? 'draft',
      votesOpen: valid.votesOpen ?? false,
      quorum: valid.quorum ?? 2 / 3,
      reminderDaysBefore: valid.reminderDaysBefore ?? [7, 2],
      publishedAt: null,
      settings: valid.settings ?? {},
      createdAt: at,
      updatedAt: at,
      version: 1,
      schemaVersion: CURRENT_SCHEMA,
      history: [{ by: valid.by, at, changed: ['created'] }],
    };
    await this.#collection.insertOne(toDoc(campaign));
    return campaign;
  }

  get(id: string): Promise<Campaign | null> {
    return this.#findOne({ _id: id });
  }

  async require(id: string): Promise<Campaign> {
    const campaign = await this.get(id);
    if (!campaign) throw new NotFoundError(COLLECTION, id);
    return campaign;
  }

  async list(): Promise<Campaign[]> {
    const out: Campaign[] = [];
    for await (const raw of this.#collection.find({}, { sort: { opensAt: 1, _id: 1 } }))
      out.push(this.#read(raw));
    return out;
  }

  getOpen(): Promise<Campaign | null> {
    return this.#findOne({ openKey: 'open' });
  }

  async update(current: Campaign, patch: CampaignPatch): Promise<Campaign> {
    const { by, at: when, ...fields } = checkInput(patchSchema, patch, 'campaign change');
    if (fields.settings) checkStorableKeys(fields.settings, 'campaign settings');
    const at = when ?? this.#now();
    const changed = Object.keys(fields).filter(
      (key) => (fields as Record<string, unknown>)[key] !== undefined,
    );
    const next: Campaign = {
      ...current,
      ...(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<Editable>),
      updatedAt: at,
      version: current.version + 1,
      schemaVersion: CURRENT_SCHEMA,
      history: [...current.history, { by, at, changed }],
    };
    const update = diffUpdate(toDoc(current), toDoc(next), current.schemaVersion < CURRENT_SCHEMA);
    const raw = await this.#collection.findOneAndUpdate(
      { _id: current.id, version: current.version },
      update,
    );
    if (raw) return this.#read(raw);
    const now = await this.get(current.id);
    if (!now) throw new NotFoundError(COLLECTION, current.id);
    throw new ConflictError(COLLECTION, current.id, current.version, now.version);
  }

  updateWithRetry(
    id: string,
    decide: (current: Campaign) => CampaignPatch | null,
    options?: RetryOptions,
  ): Promise<Campaign> {
    return retryOnConflict(async () => {
      const current = await this.require(id);
      const patch = decide(current);
      return patch ? this.update(current, patch) : current;
    }, options);
  }
}
