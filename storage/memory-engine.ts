// In-memory engine: MongoDB's semantics for the subset of port.ts, for unit tests
// and the contract tests. Each operation yields to the event loop first, so
// concurrent callers interleave as they would against a server, then runs
// atomically (like a single-document MongoDB write). Documents are copied in and
// out, so callers never share objects with the store.
//
// Why this file is long: it implements the whole document-collection port in memory, and its
// MongoDB semantics are easier to check read in one place.
import { DuplicateError, StorageUnavailableError } from './errors.ts';
import type {
  Condition,
  Database,
  DocCollection,
  Filter,
  FindOptions,
  IndexSpec,
  InsertManyResult,
  Projection,
  RawDoc,
  Scalar,
  Update,
  UpdateResult,
} from './port.ts';

type Obj = Record<string, unknown>;

function isPlainObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Deep copy that drops undefined properties, as the driver does with `ignoreUndefined`. */
function copy<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : copy(item))) as T;
  if (isPlainObject(value)) {
    const out: Obj = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = copy(item);
    return out as T;
  }
  return value;
}

/** Values a dotted path reaches, traversing arrays of sub-documents as MongoDB does. */
function resolve(node: unknown, parts: readonly string[], index: number, out: unknown[]): boolean {
  if (index === parts.length) {
    out.push(node);
    if (Array.isArray(node)) out.push(...node);
    return true;
  }
  if (Array.isArray(node)) {
    let found = false;
    for (const element of node)
      if (isPlainObject(element) && resolve(element, parts, index, out)) found = true;
    return found;
  }
  const key = parts[index] as string;
  if (isPlainObject(node) && Object.hasOwn(node, key)) return resolve(node[key], parts, index + 1, out);
  return false;
}

function scalarEquals(a: unknown, b: Scalar): boolean {
  if (b instanceof Date) return a instanceof Date && a.getTime() === b.getTime();
  return a === b;
}

/** BSON comparison order between types (null < numbers < strings < objects < arrays < booleans < dates). */
function typeRank(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  if (Array.isArray(value)) return 5;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  return 4;
}

function compareValues(a: unknown, b: unknown): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return 0;
}

function isCondition(value: unknown): value is Condition {
  return (
    isPlainObject(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => k.startsWith('$'))
  );
}

function matchesEquality(exists: boolean, values: readonly unknown[], expected: Scalar): boolean {
  if (expected === null) return !exists || values.some((value) => value === null);
  return values.some((value) => scalarEquals(value, expected));
}

function matchesRange(values: readonly unknown[], bound: Scalar, test: (cmp: number) => boolean): boolean {
  return values.some(
    (value) =>
      !Array.isArray(value) && typeRank(value) === typeRank(bound) && test(compareValues(value, bound)),
  );
}

function matchesCondition(exists: boolean, values: readonly unknown[], condition: Condition): boolean {
  for (const [op, arg] of Object.entries(condition)) {
    let ok: boolean;
    switch (op) {
      case '$ne':
        ok = !matchesEquality(exists, values, arg as Scalar);
        break;
      case '$in':
        ok = (arg as Scalar[]).some((item) => matchesEquality(exists, values, item));
        break;
      case '$nin':
        ok = !(arg as Scalar[]).some((item) => matchesEquality(exists, values, item));
        break;
      case '$exists':
        ok = exists === arg;
        break;
      case '$lt':
        ok = matchesRange(values, arg as Scalar, (c) => c < 0);
        break;
      case '$lte':
        ok = matchesRange(values, arg as Scalar, (c) => c <= 0);
        break;
      case '$gt':
        ok = matchesRange(values, arg as Scalar, (c) => c > 0);
        break;
      case '$gte':
        ok = matchesRange(values, arg as Scalar, (c) => c >= 0);
        break;
      default:
        throw new Error(`memory engine: unsupported query operator ${op}`);
    }
    if (!ok) return false;
  }
  return true;
}

export function matches(doc: RawDoc, filter: Filter): boolean {
  for (const [path, expected] of Object.entries(filter)) {
    const values: unknown[] = [];
    const exists = resolve(doc, path.split('.'), 0, values);
    if (isCondition(expected)) {
      if (!matchesCondition(exists, values, expected)) return false;
    } else if (isPlainObject(expected) || Array.isArray(expected)) {
      throw new Error(`memory engine: equality on a sub-document or array (${path}) is not supported`);
    } else if (!matchesEquality(exists, values, expected)) {
      return false;
    }
  }
  return true;
}

function parentOf(doc: Obj, path: string, create: boolean): { parent: Obj; key: string } | null {
  const parts = path.split('.');
  let node: Obj = doc;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined) {
      if (!create) return null;
      node[part] = {};
      node = node[part] as Obj;
    } else if (isPlainObject(next)) {
      node = next;
    } else {
      throw new Error(`memory engine: cannot traverse ${path} through a non-object`);
    }
  }
  return { parent: node, key: parts[parts.length - 1] as string };
}

function applyUpdate(doc: Obj, update: Update, inserting: boolean): void {
  for (const op of Object.keys(update)) {
    if (!['$set', '$unset', '$inc', '$push', '$setOnInsert'].includes(op)) {
      throw new Error(`memory engine: unsupported update operator ${op}`);
    }
  }
  const sets = { ...update.$set, ...(inserting ? update.$setOnInsert : {}) };
  for (const [path, value] of Object.entries(sets)) {
    if (value === undefined) continue;
    const target = parentOf(doc, path, true);
    if (target) target.parent[target.key] = copy(value);
  }
  for (const path of Object.keys(update.$unset ?? {})) {
    const target = parentOf(doc, path, false);
    if (target) delete target.parent[target.key];
  }
  for (const [path, amount] of Object.entries(update.$inc ?? {})) {
    const target = parentOf(doc, path, true);
    if (!target) continue;
    const current = target.parent[target.key] ?? 0;
    if (typeof current !== 'number') throw new Error(`memory engine: $inc on non-number ${path}`);
    target.parent[target.key] = current + amount;
  }
  for (const [path, spec] of Object.entries(update.$push ?? {})) {
    const target = parentOf(doc, path, true);
    if (!target) continue;
    const current = target.parent[target.key] ?? [];
    if (!Array.isArray(current)) throw new Error(`memory engine: $push on non-array ${path}`);
    let next = [...current, ...spec.$each.map((item) => copy(item))];
    if (spec.$slice !== undefined) {
      next =
        spec.$slice < 0 ? next.slice(Math.max(0, next.length + spec.$slice)) : next.slice(0, spec.$slice);
    }
    target.parent[target.key] = next;
  }
}

function project(doc: RawDoc, projection: Projection | undefined): RawDoc {
  const out = copy(doc);
  if (!projection || Object.keys(projection).length === 0) return out;
  const entries = Object.entries(projection);
  if (entries.some(([path]) => path.includes('.')))
    throw new Error('memory engine: dotted projections unsupported');
  const including = entries.some(([path, flag]) => flag === 1 && path !== '_id');
  if (including) {
    const kept: RawDoc = { _id: out._id };
    for (const [path, flag] of entries) if (flag === 1 && Object.hasOwn(out, path)) kept[path] = out[path];
    return kept;
  }
  for (const [path] of entries) if (path !== '_id') delete out[path];
  return out;
}

function indexKey(doc: RawDoc, spec: IndexSpec): string | null {
  if (spec.onlyWhereExists && !resolve(doc, spec.onlyWhereExists.split('.'), 0, [])) return null;
  const parts = Object.keys(spec.keys).map((path) => {
    const values: unknown[] = [];
    if (!resolve(doc, path.split('.'), 0, values)) return null;
    const value = values[0];
    if (Array.isArray(value)) throw new Error(`memory engine: unique index ${spec.name} on an array field`);
    return value instanceof Date ? { date: value.getTime() } : value;
  });
  return JSON.stringify(parts);
}

class MemoryCollection implements DocCollection {
  readonly name: string;
  readonly #db: MemoryDatabase;
  readonly #docs = new Map<string, RawDoc>();
  #indexes: IndexSpec[] = [];

  constructor(name: string, db: MemoryDatabase) {
    this.name = name;
    this.#db = db;
  }

  #firstMatch(filter: Filter): RawDoc | undefined {
    for (const doc of this.#docs.values()) if (matches(doc, filter)) return doc;
    return undefined;
  }

  /** Throws DuplicateError if `doc` would collide with another document on a unique index. */
  #checkUnique(doc: RawDoc, replacing: string | null): void {
    const existing = this.#docs.get(doc._id);
    if (existing && doc._id !== replacing) throw new DuplicateError(this.name, '_id_');
    for (const spec of this.#indexes) {
      if (!spec.unique) continue;
      const key = indexKey(doc, spec);
      if (key === null) continue;
      for (const other of this.#docs.values()) {
        if (other._id === replacing || other._id === doc._id) continue;
        if (indexKey(other, spec) === key) throw new DuplicateError(this.name, spec.name);
      }
    }
  }

  #store(doc: RawDoc, replacing: string | null): void {
    this.#checkUnique(doc, replacing);
    this.#docs.set(doc._id, doc);
  }

  #insert(doc: RawDoc): void {
    if (typeof doc._id !== 'string') throw new Error('memory engine: documents need a string _id');
    this.#store(copy(doc), null);
  }

  async insertOne(doc: RawDoc): Promise<void> {
    await this.#db.roundTrip();
    this.#insert(doc);
  }

  async insertMany(docs: readonly RawDoc[]): Promise<InsertManyResult> {
    await this.#db.roundTrip();
    const result = { inserted: 0, duplicates: 0 };
    for (const doc of docs) {
      try {
        this.#insert(doc);
        result.inserted += 1;
      } catch (error) {
        if (!(error instanceof DuplicateError)) throw error;
        result.duplicates += 1;
      }
    }
    return result;
  }

  async findOne(filter: Filter, options?: { projection?: Projection }): Promise<RawDoc | null> {
    await this.#db.roundTrip();
    const doc = this.#firstMatch(filter);
    return doc ? project(doc, options?.projection) : null;
  }

  find(filter: Filter, options?: FindOptions): AsyncIterable<RawDoc> {
    const run = async (): Promise<RawDoc[]> => {
      await this.#db.roundTrip();
      let docs = [...this.#docs.values()].filter((doc) => matches(doc, filter));
      const sort = Object.entries(options?.sort ?? {});
      if (sort.length > 0) {
        docs.sort((a, b) => {
          for (const [path, direction] of sort) {
            const av: unknown[] = [];
            const bv: unknown[] = [];
            resolve(a, path.split('.'), 0, av);
            resolve(b, path.split('.'), 0, bv);
            const cmp = compareValues(av[0] ?? null, bv[0] ?? null);
            if (cmp !== 0) return cmp * direction;
          }
          return 0;
        });
      }
      if (options?.limit !== undefined) docs = docs.slice(0, options.limit);
      return docs.map((doc) => project(doc, options?.projection));
    };
    return {
      async *[Symbol.asyncIterator]() {
        yield* await run();
      },
    };
  }

  #updateFirst(filter: Filter, update: Update, upsert: boolean): RawDoc | null {
    const current = this.#firstMatch(filter);
    if (current) {
      const next = copy(current);
      applyUpdate(next, update, false);
      if (next._id !== current._id) throw new Error('memory engine: _id is immutable');
      this.#store(next, current._id);
      return next;
    }
    if (!upsert) return null;
    const created: Obj = {};
    for (const [path, value] of Object.entries(filter)) {
      if (isCondition(value)) continue;
      const target = parentOf(created, path, true);
      if (target) target.parent[target.key] = copy(value);
    }
    applyUpdate(created, update, true);
    if (typeof created._id !== 'string') throw new Error('memory engine: an upsert needs a string _id');
    const doc = created as RawDoc;
    this.#store(doc, null);
    return doc;
  }

  async findOneAndUpdate(
    filter: Filter,
    update: Update,
    options?: { upsert?: boolean; projection?: Projection },
  ): Promise<RawDoc | null> {
    await this.#db.roundTrip();
    const doc = this.#updateFirst(filter, update, options?.upsert ?? false);
    return doc ? project(doc, options?.projection) : null;
  }

  async updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<UpdateResult> {
    await this.#db.roundTrip();
    const existed = this.#firstMatch(filter) !== undefined;
    const doc = this.#updateFirst(filter, update, options?.upsert ?? false);
    return { matched: existed ? 1 : 0, upserted: !existed && doc !== null };
  }

  async replaceOne(filter: Filter, doc: RawDoc): Promise<number> {
    await this.#db.roundTrip();
    const current = this.#firstMatch(filter);
    if (!current) return 0;
    if (doc._id !== current._id) throw new Error('memory engine: _id is immutable');
    this.#store(copy(doc), current._id);
    return 1;
  }

  async deleteMany(filter: Filter): Promise<number> {
    await this.#db.roundTrip();
    let deleted = 0;
    for (const [id, doc] of this.#docs) {
      if (matches(doc, filter)) {
        this.#docs.delete(id);
        deleted += 1;
      }
    }
    return deleted;
  }

  async countDocuments(filter: Filter): Promise<number> {
    await this.#db.roundTrip();
    let count = 0;
    for (const doc of this.#docs.values()) if (matches(doc, filter)) count += 1;
    return count;
  }

  async ensureIndexes(specs: readonly IndexSpec[]): Promise<void> {
    await this.#db.roundTrip();
    this.defineIndexes(specs);
  }

  /** Synchronous ensureIndexes, so a fresh memory storage has its constraints at once. */
  defineIndexes(specs: readonly IndexSpec[]): void {
    for (const spec of specs) {
      const known = this.#indexes.find((index) => index.name === spec.name);
      if (known) continue;
      // Like MongoDB, building a unique index over existing duplicates fails.
      if (spec.unique) {
        const seen = new Set<string>();
        for (const doc of this.#docs.values()) {
          const key = indexKey(doc, spec);
          if (key === null) continue;
          if (seen.has(key)) throw new DuplicateError(this.name, spec.name);
          seen.add(key);
        }
      }
      this.#indexes = [...this.#indexes, spec];
    }
  }

  /** For tests: write a raw document as-is, bypassing every check (e.g. an old or corrupt one). */
  putRaw(doc: RawDoc): void {
    this.#docs.set(doc._id, copy(doc));
  }
}

export class MemoryDatabase implements Database {
  readonly #collections = new Map<string, MemoryCollection>();
  #commands = 0;
  #available = true;

  collection(name: string): MemoryCollection {
    let collection = this.#collections.get(name);
    if (!collection) {
      collection = new MemoryCollection(name, this);
      this.#collections.set(name, collection);
    }
    return collection;
  }

  /** Every operation is one simulated round trip: counted, and refused while "down". */
  async roundTrip(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#commands += 1;
    if (!this.#available) throw new StorageUnavailableError('in-memory database is down (simulated outage)');
  }

  commandCount(): number {
    return this.#commands;
  }

  /** Simulates an outage: while false, every operation throws StorageUnavailableError. */
  setAvailable(available: boolean): void {
    this.#available = available;
  }

  async ping(): Promise<void> {
    await this.roundTrip();
  }

  async close(): Promise<void> {}
}

export type { MemoryCollection };
