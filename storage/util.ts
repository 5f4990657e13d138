// Small helpers shared by the repositories: value comparison, update diffs,
// conflict retries, start-up migration.
import type { z } from 'zod';
import { ConflictError, CorruptDocumentError } from './errors.ts';
import { type DocumentKind, readDocument } from './documents.ts';
import type { DocCollection, Filter, FindOptions, RawDoc, Scalar, Update } from './port.ts';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => deepEqual(item, b[i]))
    );
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const aKeys = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const bKeys = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      aKeys.length === bKeys.length &&
      aKeys.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

/**
 * $set / $unset for the top-level fields that differ between two versions of a
 * document (or every field when `all`, e.g. after an on-read migration).
 */
export function diffUpdate(before: RawDoc, after: RawDoc, all: boolean): Pick<Update, '$set' | '$unset'> {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const [key, value] of Object.entries(after)) {
    if (key === '_id' || value === undefined) continue;
    if (all || !deepEqual(before[key], value)) $set[key] = value;
  }
  for (const key of Object.keys(before)) {
    if (key !== '_id' && before[key] !== undefined && after[key] === undefined) $unset[key] = '';
  }
  return {
    ...(Object.keys($set).length > 0 ? { $set } : {}),
    ...(Object.keys($unset).length > 0 ? { $unset } : {}),
  };
}

/** Values per `$in` query in `findIn`: each command stays small, whatever the list's length. */
const VALUES_PER_QUERY = 500;

/**
 * The documents whose `field` is one of `values` (and that match `filter`), asking a slice of
 * the values at a time. The order is per slice: sort the whole if it matters.
 */
export async function* findIn(
  collection: DocCollection,
  field: string,
  values: readonly Scalar[],
  filter: Filter = {},
  options?: FindOptions,
): AsyncIterable<RawDoc> {
  const unique = [...new Set(values)];
  for (let i = 0; i < unique.length; i += VALUES_PER_QUERY) {
    yield* collection.find({ ...filter, [field]: { $in: unique.slice(i, i + VALUES_PER_QUERY) } }, options);
  }
}

/**
 * A document read with a projection: only the projected fields are checked (they exist in
 * every schema version, so no migration is needed); anything else is a corrupt document.
 */
export function readProjected<T>(schema: z.ZodType<T>, collection: string, raw: RawDoc): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new CorruptDocumentError(collection, raw._id, parsed.error.issues[0]?.message ?? 'invalid');
  }
  return parsed.data;
}

export interface RetryOptions {
  /** Attempts before the last ConflictError is thrown. Default 100 (50 writers on one document need many). */
  maxAttempts?: number;
}

/** Runs `attempt` again after a ConflictError, with a short random pause so contenders spread out. */
export async function retryOnConflict<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 100;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConflictError) || n >= maxAttempts) throw error;
      const ceiling = Math.min(50, 2 ** Math.min(n, 6));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}

export interface MigrationReport {
  collection: string;
  upgraded: number;
}

/**
 * Rewrites documents stored with an older schema version. Versioned documents get
 * their `version` bumped, so a writer that read the old shape retries instead of
 * writing over the upgrade; the condition on the stored version makes it safe to
 * run from several processes.
 */
export async function migrateCollection<T>(
  collection: DocCollection,
  kind: DocumentKind<T>,
  versioned: boolean,
): Promise<MigrationReport> {
  let upgraded = 0;
  for await (const raw of collection.find({ schemaVersion: { $lt: kind.current } })) {
    const { value } = readDocument(kind, raw);
    const next = { ...(value as RawDoc) };
    if (versioned && typeof raw.version === 'number') next.version = raw.version + 1;
    const matched = await collection.replaceOne(
      versioned && typeof raw.version === 'number'
        ? { _id: raw._id, version: raw.version }
        : { _id: raw._id, schemaVersion: raw.schemaVersion as number },
      next,
    );
    upgraded += matched;
  }
  return { collection: collection.name, upgraded };
}
