// Reading documents back: upgrade old schema versions, then validate with zod, so a
// corrupt or outdated document gives an error naming its collection and _id instead
// of surfacing later as a strange value in a conversation.
import { z } from 'zod';
import { CorruptDocumentError, InvalidInputError } from './errors.ts';
import type { RawDoc } from './port.ts';

/** Any JSON value (answers, opaque payloads). */
export const jsonValueSchema = z.json();
export type JsonValue = z.infer<typeof jsonValueSchema>;

/** One upgrade step from schema version `from` to `from + 1`. Pure: returns a new document. */
export interface Migration {
  from: number;
  describe: string;
  up(doc: RawDoc): RawDoc;
}

export interface DocumentKind<T> {
  collection: string;
  /** Schema version written by this code. */
  current: number;
  /** Steps from older versions, one per version. */
  migrations: readonly Migration[];
  schema: z.ZodType<T>;
}

export interface Upgraded {
  doc: RawDoc;
  /** The version the document had in the database. */
  storedVersion: number;
}

/** Applies the migration steps a document needs; refuses versions this code does not know. */
export function upgrade(kind: DocumentKind<unknown>, raw: RawDoc): Upgraded {
  const id = String(raw._id);
  const stored = raw.schemaVersion;
  if (typeof stored !== 'number' || !Number.isInteger(stored) || stored < 1) {
    throw new CorruptDocumentError(
      kind.collection,
      id,
      `missing or invalid schemaVersion (${String(stored)})`,
    );
  }
  if (stored > kind.current) {
    throw new CorruptDocumentError(
      kind.collection,
      id,
      `schemaVersion ${stored} is newer than this code knows (${kind.current}): written by a newer release?`,
    );
  }
  let doc = raw;
  for (let version = stored; version < kind.current; version += 1) {
    const step = kind.migrations.find((m) => m.from === version);
    if (!step)
      throw new CorruptDocumentError(kind.collection, id, `no migration from schemaVersion ${version}`);
    doc = { ...step.up(doc), schemaVersion: version + 1 };
  }
  return { doc, storedVersion: stored };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Upgrades then validates; throws CorruptDocumentError naming the document. */
export function readDocument<T>(kind: DocumentKind<T>, raw: RawDoc): { value: T; storedVersion: number } {
  const { doc, storedVersion } = upgrade(kind as DocumentKind<unknown>, raw);
  const parsed = kind.schema.safeParse(doc);
  if (!parsed.success) {
    throw new CorruptDocumentError(kind.collection, String(raw._id), describeIssues(parsed.error));
  }
  return { value: parsed.data, storedVersion };
}

/** Validates caller input before it is written. */
export function checkInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError(`invalid ${what}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Object keys MongoDB cannot address or that DocumentDB may refuse: JSON values we
 * store natively must not use them.
 */
export function checkStorableKeys(value: unknown, what: string): void {
  if (Array.isArray(value)) {
    for (const item of value) checkStorableKeys(item, what);
  } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$') || key.includes('.') || key === '' || key.includes('\0')) {
        throw new InvalidInputError(`invalid ${what}: key ${JSON.stringify(key)} cannot be stored`);
      }
      checkStorableKeys(item, what);
    }
  }
}

/** Dates are kept to the millisecond by the database: keep them so in memory too. */
export const dateSchema = z.date();

export const nonEmpty = z.string().min(1);
