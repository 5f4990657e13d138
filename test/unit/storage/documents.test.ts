import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkStorableKeys, type DocumentKind, readDocument, upgrade } from '../../../storage/documents.ts';
import { CorruptDocumentError, InvalidInputError } from '../../../storage/errors.ts';

const kind: DocumentKind<{ _id: string; schemaVersion: 3; name: string; tags: string[] }> = {
  collection: 'things',
  current: 3,
  migrations: [
    { from: 1, describe: 'title -> name', up: ({ title, ...rest }) => ({ ...rest, name: String(title) }) },
    { from: 2, describe: 'add tags', up: (doc) => ({ ...doc, tags: [] }) },
  ],
  schema: z.object({
    _id: z.string(),
    schemaVersion: z.literal(3),
    name: z.string(),
    tags: z.array(z.string()),
  }),
};

describe('schema versions', () => {
  it('applies each migration step in order', () => {
    const { value, storedVersion } = readDocument(kind, { _id: 't', schemaVersion: 1, title: 'Old' });
    expect(value).toEqual({ _id: 't', schemaVersion: 3, name: 'Old', tags: [] });
    expect(storedVersion).toBe(1);
    expect(
      upgrade(kind as DocumentKind<unknown>, { _id: 't', schemaVersion: 3, name: 'x', tags: [] }).doc,
    ).toEqual({
      _id: 't',
      schemaVersion: 3,
      name: 'x',
      tags: [],
    });
  });

  it('names the document when its version is missing, newer or unknown', () => {
    expect(() => readDocument(kind, { _id: 't1' })).toThrow(/things\/t1: missing or invalid schemaVersion/);
    expect(() => readDocument(kind, { _id: 't2', schemaVersion: 4 })).toThrow(/things\/t2: .*newer/);
    const gap = { ...kind, migrations: kind.migrations.slice(1) };
    expect(() => readDocument(gap, { _id: 't3', schemaVersion: 1 })).toThrow(
      /no migration from schemaVersion 1/,
    );
  });

  it('names the document and the fields when it does not match its schema', () => {
    try {
      readDocument(kind, { _id: 'bad', schemaVersion: 3, name: 42, tags: 'no' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptDocumentError);
      expect(error).toMatchObject({ collection: 'things', id: 'bad' });
      expect((error as Error).message).toMatch(/name: .*tags: /);
    }
  });
});

describe('storable keys', () => {
  it('accepts plain JSON and refuses keys the database cannot address', () => {
    expect(() => checkStorableKeys({ a: [{ b: 1 }], 'é-x': null }, 'v')).not.toThrow();
    for (const bad of [{ 'a.b': 1 }, { $set: 1 }, [{ ok: { '': 1 } }]]) {
      expect(() => checkStorableKeys(bad, 'v')).toThrow(InvalidInputError);
    }
  });
});
