// The narrow document-collection interface the repositories are written against.
// Two engines implement it: MongoDB (mongo-engine.ts, the official driver) and an
// in-memory one (memory-engine.ts) that follows MongoDB's semantics for exactly the
// subset below and throws on anything else, so the repositories are written once
// and the contract tests check that both engines agree.

export type RawDoc = { _id: string } & Record<string, unknown>;

export type Scalar = string | number | boolean | null | Date;

/** Query operators we use. Equality on a field that holds an array matches any element, as in MongoDB. */
export interface Condition {
  $ne?: Scalar;
  $in?: readonly Scalar[];
  $nin?: readonly Scalar[];
  $exists?: boolean;
  $lt?: Scalar;
  $lte?: Scalar;
  $gt?: Scalar;
  $gte?: Scalar;
}

/** Conjunction of per-field conditions; keys may be dotted paths. */
export type Filter = Readonly<Record<string, Scalar | Condition>>;

export interface PushSpec {
  $each: readonly unknown[];
  /** Negative: keep the last n elements; positive: the first n. */
  $slice?: number;
}

export interface Update {
  $set?: Readonly<Record<string, unknown>>;
  $unset?: Readonly<Record<string, ''>>;
  $inc?: Readonly<Record<string, number>>;
  $push?: Readonly<Record<string, PushSpec>>;
  $setOnInsert?: Readonly<Record<string, unknown>>;
}

/** Either only inclusions (1) or only exclusions (0); `_id` is always returned. */
export type Projection = Readonly<Record<string, 0 | 1>>;

export interface FindOptions {
  projection?: Projection;
  sort?: Readonly<Record<string, 1 | -1>>;
  limit?: number;
}

export interface IndexSpec {
  name: string;
  keys: Readonly<Record<string, 1 | -1>>;
  unique?: boolean;
  /**
   * Index only documents where this field exists (a partial index). With a unique
   * index, documents without the field never collide: how "one active candidacy"
   * ignores withdrawn ones (their key is removed, never set to null).
   */
  onlyWhereExists?: string;
}

export interface UpdateResult {
  matched: number;
  upserted: boolean;
}

export interface InsertManyResult {
  inserted: number;
  duplicates: number;
}

export interface DocCollection {
  readonly name: string;
  /** Throws DuplicateError naming the unique index that refused it. */
  insertOne(doc: RawDoc): Promise<void>;
  /** Unordered; documents refused by a unique index are counted, not thrown. */
  insertMany(docs: readonly RawDoc[]): Promise<InsertManyResult>;
  findOne(filter: Filter, options?: { projection?: Projection }): Promise<RawDoc | null>;
  find(filter: Filter, options?: FindOptions): AsyncIterable<RawDoc>;
  /** Atomically updates the first match and returns it as updated (or null). */
  findOneAndUpdate(
    filter: Filter,
    update: Update,
    options?: { upsert?: boolean; projection?: Projection },
  ): Promise<RawDoc | null>;
  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<UpdateResult>;
  /** Replaces the whole first match (keeping its _id); returns the number matched (0 or 1). */
  replaceOne(filter: Filter, doc: RawDoc): Promise<number>;
  deleteMany(filter: Filter): Promise<number>;
  countDocuments(filter: Filter): Promise<number>;
  /** Idempotent. */
  ensureIndexes(specs: readonly IndexSpec[]): Promise<void>;
}

export interface Database {
  collection(name: string): DocCollection;
  /** Number of commands sent to the database so far (round trips). */
  commandCount(): number;
  /** Throws StorageUnavailableError if the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
