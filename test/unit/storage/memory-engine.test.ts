import { describe, expect, it } from 'vitest';
import { DuplicateError, StorageUnavailableError } from '../../../storage/errors.ts';
import { matches, MemoryDatabase } from '../../../storage/memory-engine.ts';

const doc = {
  _id: 'd1',
  tags: ['a', 'b'],
  people: [{ id: 'p1' }, { id: 'p2' }],
  nested: { n: 3, when: new Date('2026-01-01T00:00:00.000Z') },
  nothing: null,
};

describe('memory engine query semantics (as MongoDB)', () => {
  it('matches equality on array elements and through arrays of sub-documents', () => {
    expect(matches(doc, { tags: 'a' })).toBe(true);
    expect(matches(doc, { tags: 'z' })).toBe(false);
    expect(matches(doc, { 'people.id': 'p2' })).toBe(true);
    expect(matches(doc, { 'nested.n': 3 })).toBe(true);
    expect(matches(doc, { 'nested.when': new Date('2026-01-01T00:00:00.000Z') })).toBe(true);
  });

  it('treats null as "missing or null", and $exists as presence (null counts)', () => {
    expect(matches(doc, { absent: null })).toBe(true);
    expect(matches(doc, { nothing: null })).toBe(true);
    expect(matches(doc, { tags: null })).toBe(false);
    expect(matches(doc, { nothing: { $exists: true } })).toBe(true);
    expect(matches(doc, { absent: { $exists: false } })).toBe(true);
  });

  it('applies $ne, $in and $nin to every element of an array', () => {
    expect(matches(doc, { tags: { $ne: 'a' } })).toBe(false);
    expect(matches(doc, { tags: { $ne: 'z' } })).toBe(true);
    expect(matches(doc, { absent: { $ne: 'x' } })).toBe(true);
    expect(matches(doc, { tags: { $in: ['z', 'b'] } })).toBe(true);
    expect(matches(doc, { tags: { $nin: ['z', 'b'] } })).toBe(false);
  });

  it('compares ranges only within one type', () => {
    expect(matches(doc, { 'nested.n': { $gt: 2, $lte: 3 } })).toBe(true);
    expect(matches(doc, { 'nested.n': { $lt: '9' } })).toBe(false);
    expect(matches(doc, { 'nested.when': { $lt: new Date('2026-06-01T00:00:00.000Z') } })).toBe(true);
  });

  it('refuses operators and shapes it does not implement', () => {
    expect(() => matches(doc, { tags: { $regex: 'a' } as never })).toThrow(/unsupported/);
    expect(() => matches(doc, { nested: { n: 3 } as never })).toThrow(/not supported/);
  });
});

describe('memory engine writes', () => {
  it('applies $set, $unset, $inc and $push with $slice, and copies values', async () => {
    const c = new MemoryDatabase().collection('c');
    const value = { deep: [1] };
    await c.insertOne({ _id: 'x', list: [1, 2], n: 1, drop: true, v: value });
    value.deep.push(99); // the stored copy must not change
    const after = await c.findOneAndUpdate(
      { _id: 'x' },
      {
        $set: { 'a.b': 'c' },
        $unset: { drop: '' },
        $inc: { n: 2, fresh: 5 },
        $push: { list: { $each: [3, 4], $slice: -3 }, other: { $each: ['o'] } },
      },
    );
    expect(after).toEqual({
      _id: 'x',
      list: [2, 3, 4],
      n: 3,
      fresh: 5,
      a: { b: 'c' },
      other: ['o'],
      v: { deep: [1] },
    });
    const first = await c.findOneAndUpdate({ _id: 'x' }, { $push: { list: { $each: [5], $slice: 2 } } });
    expect(first?.list).toEqual([2, 3]);
    if (first) (first.list as number[]).push(7);
    expect((await c.findOne({ _id: 'x' }))?.list).toEqual([2, 3]);
  });

  it('upserts from the equality fields of the filter, with $setOnInsert', async () => {
    const c = new MemoryDatabase().collection('c');
    const created = await c.findOneAndUpdate(
      { _id: 'u', kind: 'k', state: { $ne: 'gone' } },
      { $set: { v: 1 }, $setOnInsert: { createdAt: 'now' } },
      { upsert: true },
    );
    expect(created).toEqual({ _id: 'u', kind: 'k', v: 1, createdAt: 'now' });
    const updated = await c.updateOne(
      { _id: 'u' },
      { $set: { v: 2 }, $setOnInsert: { createdAt: 'later' } },
      {
        upsert: true,
      },
    );
    expect(updated).toEqual({ matched: 1, upserted: false });
    expect((await c.findOne({ _id: 'u' }))?.createdAt).toBe('now');
  });

  it('enforces unique indexes; a partial one ignores documents without the field, not null ones', async () => {
    const c = new MemoryDatabase().collection('c');
    await c.ensureIndexes([{ name: 'k_unique', keys: { k: 1 }, unique: true, onlyWhereExists: 'k' }]);
    await c.insertOne({ _id: '1' });
    await c.insertOne({ _id: '2' });
    await c.insertOne({ _id: '3', k: null });
    await expect(c.insertOne({ _id: '4', k: null })).rejects.toMatchObject({ constraint: 'k_unique' });
    await c.insertOne({ _id: '5', k: 'a' });
    await expect(c.updateOne({ _id: '1' }, { $set: { k: 'a' } })).rejects.toBeInstanceOf(DuplicateError);
    await expect(c.insertOne({ _id: '5' })).rejects.toMatchObject({ constraint: '_id_' });
    expect(await c.insertMany([{ _id: '5' }, { _id: '6', k: 'b' }, { _id: '7', k: 'b' }])).toEqual({
      inserted: 1,
      duplicates: 2,
    });
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const c = new MemoryDatabase().collection('c');
    await c.insertMany([
      { _id: '1', k: 1 },
      { _id: '2', k: 1 },
    ]);
    await expect(c.ensureIndexes([{ name: 'k', keys: { k: 1 }, unique: true }])).rejects.toBeInstanceOf(
      DuplicateError,
    );
  });

  it('projects, sorts in BSON order and limits', async () => {
    const c = new MemoryDatabase().collection('c');
    await c.insertMany([
      { _id: 'a', v: 'text', big: 1 },
      { _id: 'b', v: 2, big: 1 },
      { _id: 'c', big: 1 },
      { _id: 'd', v: 1, big: 1 },
    ]);
    const ids: string[] = [];
    for await (const d of c.find({}, { sort: { v: 1 }, projection: { big: 0 }, limit: 3 })) {
      expect(d.big).toBeUndefined();
      ids.push(d._id);
    }
    expect(ids).toEqual(['c', 'd', 'b']);
    expect(await c.findOne({ _id: 'a' }, { projection: { v: 1 } })).toEqual({ _id: 'a', v: 'text' });
    expect(await c.countDocuments({ big: 1 })).toBe(4);
    expect(await c.deleteMany({ v: { $exists: false } })).toBe(1);
  });

  it('counts round trips and simulates an outage', async () => {
    const db = new MemoryDatabase();
    const c = db.collection('c');
    const before = db.commandCount();
    await c.insertOne({ _id: '1' });
    await c.findOne({ _id: '1' });
    expect(db.commandCount() - before).toBe(2);
    db.setAvailable(false);
    await expect(c.findOne({ _id: '1' })).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(db.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    db.setAvailable(true);
    expect(await c.findOne({ _id: '1' })).toEqual({ _id: '1' });
  });
});
