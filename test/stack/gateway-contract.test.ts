// Contract of the DocumentDB test gateway, through the official mongodb driver, against the
// running stack (PostgreSQL 18 + DocumentDB behind scripts/docdb-gateway). Everything the
// bot's storage layer relies on must behave as on MongoDB.
import { randomBytes } from 'node:crypto';
import { MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const uri = process.env.TNL_MONGODB_URI;
const pgUrl = process.env.TNL_PG_URL;

function requireEnv(name: string, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: the vitest global setup starts the stack (scripts/stack.sh) and sets it`,
    );
  }
  return value;
}

const dbName = `gwcontract_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

interface Person {
  _id?: unknown;
  name: string;
  email?: string;
  age?: number;
  tags?: string[];
  address?: { city?: string; geo?: { lat?: number; lon?: number } };
  visits?: number;
}

describe('DocumentDB gateway contract (official driver)', () => {
  let client: MongoClient;
  let db: Db;
  const commandsStarted: string[] = [];

  beforeAll(async () => {
    client = new MongoClient(requireEnv('TNL_MONGODB_URI', uri), {
      serverSelectionTimeoutMS: 10_000,
      monitorCommands: true,
    });
    client.on('commandStarted', (event) => commandsStarted.push(event.commandName));
    await client.connect();
    db = client.db(dbName);
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
  });

  it('answers ping and hello as a standalone server', async () => {
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.setName).toBeUndefined();
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
  });

  it('inserts, reads, updates, replaces and deletes', async () => {
    const people = db.collection<Person>('crud');
    const { insertedId } = await people.insertOne({ name: 'Aline', age: 41 });
    expect(await people.findOne({ _id: insertedId })).toEqual({ _id: insertedId, name: 'Aline', age: 41 });

    const many = await people.insertMany([{ name: 'Bruno' }, { name: 'Chloé' }]);
    expect(many.insertedCount).toBe(2);

    const updated = await people.updateOne({ name: 'Bruno' }, { $set: { age: 30 } });
    expect(updated).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect((await people.findOne({ name: 'Bruno' }))?.age).toBe(30);

    const replaced = await people.replaceOne(
      { name: 'Chloé' },
      { name: 'Chloé', email: 'chloe@example.org' },
    );
    expect(replaced.modifiedCount).toBe(1);
    expect(await people.findOne({ name: 'Chloé' }, { projection: { _id: 0 } })).toEqual({
      name: 'Chloé',
      email: 'chloe@example.org',
    });

    const many2 = await people.updateMany({}, { $set: { tags: [] } });
    expect(many2.modifiedCount).toBe(3);

    expect((await people.deleteOne({ name: 'Aline' })).deletedCount).toBe(1);
    expect((await people.deleteMany({})).deletedCount).toBe(2);
    expect(await people.findOne({})).toBeNull();
  });

  it('upserts', async () => {
    const people = db.collection<Person>('upsert');
    const first = await people.updateOne(
      { email: 'dan@example.org' },
      { $set: { name: 'Dan' } },
      { upsert: true },
    );
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).not.toBeNull();
    const second = await people.updateOne(
      { email: 'dan@example.org' },
      { $set: { name: 'Daniel' } },
      { upsert: true },
    );
    expect(second).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    const docs = await people.find({}, { projection: { _id: 0 } }).toArray();
    expect(docs).toEqual([{ email: 'dan@example.org', name: 'Daniel' }]);
  });

  it('applies $set on nested paths, $inc and $push', async () => {
    const people = db.collection<Person>('operators');
    const { insertedId } = await people.insertOne({
      name: 'Eve',
      address: { city: 'Lyon' },
      visits: 1,
      tags: ['a'],
    });
    await people.updateOne(
      { _id: insertedId },
      {
        $set: { 'address.geo.lat': 45.76, 'address.geo.lon': 4.83 },
        $inc: { visits: 2 },
        $push: { tags: 'b' },
      },
    );
    await people.updateOne(
      { _id: insertedId },
      { $inc: { visits: -1 }, $push: { tags: { $each: ['c', 'd'] } } },
    );
    expect(await people.findOne({ _id: insertedId }, { projection: { _id: 0 } })).toEqual({
      name: 'Eve',
      address: { city: 'Lyon', geo: { lat: 45.76, lon: 4.83 } },
      visits: 2,
      tags: ['a', 'b', 'c', 'd'],
    });
    expect(await people.countDocuments({ 'address.geo.lat': { $gt: 45 } })).toBe(1);
  });

  it('returns the document after the update with findOneAndUpdate', async () => {
    const counters = db.collection<{ _id: string; seq: number }>('counters');
    const created = await counters.findOneAndUpdate(
      { _id: 'dossier' },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(created).toEqual({ _id: 'dossier', seq: 1 });
    const next = await counters.findOneAndUpdate(
      { _id: 'dossier' },
      { $inc: { seq: 1 } },
      { returnDocument: 'after' },
    );
    expect(next).toEqual({ _id: 'dossier', seq: 2 });
    const before = await counters.findOneAndUpdate(
      { _id: 'dossier' },
      { $inc: { seq: 1 } },
      { returnDocument: 'before' },
    );
    expect(before).toEqual({ _id: 'dossier', seq: 2 });
    expect(await counters.findOneAndUpdate({ _id: 'none' }, { $inc: { seq: 1 } })).toBeNull();
    expect(await counters.findOneAndDelete({ _id: 'dossier' })).toEqual({ _id: 'dossier', seq: 3 });
  });

  it('rejects unique index violations with code 11000 (insert, update, findOneAndUpdate)', async () => {
    const people = db.collection<Person>('unique');
    const indexName = await people.createIndex({ email: 1 }, { unique: true });
    expect(indexName).toBe('email_1');
    await people.insertOne({ name: 'Farid', email: 'farid@example.org' });
    const other = await people.insertOne({ name: 'Gaëlle', email: 'gaelle@example.org' });

    const onInsert = await people
      .insertOne({ name: 'Farid bis', email: 'farid@example.org' })
      .catch((e: unknown) => e);
    expect(onInsert).toBeInstanceOf(MongoServerError);
    expect((onInsert as MongoServerError).code).toBe(11000);

    const onUpdate = await people
      .updateOne({ _id: other.insertedId }, { $set: { email: 'farid@example.org' } })
      .catch((e: unknown) => e);
    expect(onUpdate).toBeInstanceOf(MongoServerError);
    expect((onUpdate as MongoServerError).code).toBe(11000);

    const onFindAndModify = await people
      .findOneAndUpdate({ _id: other.insertedId }, { $set: { email: 'farid@example.org' } })
      .catch((e: unknown) => e);
    expect(onFindAndModify).toBeInstanceOf(MongoServerError);
    expect((onFindAndModify as MongoServerError).code).toBe(11000);

    const onId = await people.insertOne({ _id: other.insertedId, name: 'same id' }).catch((e: unknown) => e);
    expect((onId as MongoServerError).code).toBe(11000);

    expect(await people.countDocuments()).toBe(2);
  });

  it('sorts, limits and skips', async () => {
    const numbers = db.collection<{ n: number; even: boolean }>('numbers');
    await numbers.insertMany([5, 3, 9, 1, 7, 2, 8].map((n) => ({ n, even: n % 2 === 0 })));
    const page = await numbers
      .find({}, { projection: { _id: 0, n: 1 } })
      .sort({ n: -1 })
      .skip(1)
      .limit(3)
      .toArray();
    expect(page).toEqual([{ n: 8 }, { n: 7 }, { n: 5 }]);
    const odd = await numbers.find({ even: false }).sort({ n: 1 }).limit(2).toArray();
    expect(odd.map((d) => d.n)).toEqual([1, 3]);
  });

  it('follows cursors across several batches (find and aggregate) and kills them', async () => {
    const items = db.collection<{ i: number; group: number }>('many');
    await items.insertMany(Array.from({ length: 230 }, (_, i) => ({ i, group: i % 3 })));
    const before = commandsStarted.filter((c) => c === 'getMore').length;

    const plain = await items.find({}, { batchSize: 25 }).toArray();
    expect(plain).toHaveLength(230);
    expect(new Set(plain.map((d) => d.i)).size).toBe(230);

    const sorted = await items.find({ group: 1 }, { batchSize: 10 }).sort({ i: -1 }).toArray();
    expect(sorted.map((d) => d.i)).toEqual(
      Array.from({ length: 230 }, (_, i) => i)
        .filter((i) => i % 3 === 1)
        .reverse(),
    );

    const aggregated = await items
      .aggregate([{ $match: { group: 2 } }, { $sort: { i: 1 } }, { $project: { _id: 0, i: 1 } }], {
        batchSize: 7,
      })
      .toArray();
    expect(aggregated.map((d) => d.i)).toEqual(
      Array.from({ length: 230 }, (_, i) => i).filter((i) => i % 3 === 2),
    );

    const getMores = commandsStarted.filter((c) => c === 'getMore').length - before;
    expect(getMores).toBeGreaterThanOrEqual(9 + 7 + 10);

    // An abandoned cursor is killed by the driver; the server forgets it.
    const cursor = items.find({}, { batchSize: 5 });
    expect(await cursor.next()).not.toBeNull();
    const id = cursor.id;
    expect(id?.isZero()).toBe(false);
    await cursor.close();
    expect(commandsStarted).toContain('killCursors');
    const afterKill = await db.command({ getMore: id, collection: 'many' }).catch((e: unknown) => e);
    expect((afterKill as MongoServerError).code).toBe(43);
  });

  it('counts documents', async () => {
    const votes = db.collection<{ ballot: string; choice: string }>('votes');
    await votes.insertMany([
      { ballot: 'b1', choice: 'yes' },
      { ballot: 'b1', choice: 'no' },
      { ballot: 'b1', choice: 'yes' },
      { ballot: 'b2', choice: 'yes' },
    ]);
    expect(await votes.countDocuments({ ballot: 'b1' })).toBe(3);
    expect(await votes.countDocuments({ ballot: 'none' })).toBe(0);
    expect(await votes.countDocuments({}, { limit: 2 })).toBe(2);
    expect(await votes.estimatedDocumentCount()).toBe(4);
    expect((await votes.distinct('choice')).sort()).toEqual(['no', 'yes']);
  });

  it('aggregates with $match and $group', async () => {
    const scores = db.collection<{ jury: string; dossier: string; score: number }>('scores');
    await scores.insertMany([
      { jury: 'j1', dossier: 'd1', score: 4 },
      { jury: 'j2', dossier: 'd1', score: 2 },
      { jury: 'j1', dossier: 'd2', score: 5 },
      { jury: 'j3', dossier: 'd1', score: 3 },
    ]);
    const result = await scores
      .aggregate<Document>([
        { $match: { score: { $gte: 3 } } },
        { $group: { _id: '$dossier', total: { $sum: '$score' }, juries: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(result).toEqual([
      { _id: 'd1', total: 7, juries: 2 },
      { _id: 'd2', total: 5, juries: 1 },
    ]);
  });

  it('lists indexes and collections, drops indexes and collections', async () => {
    const tmp = db.collection('listing');
    await tmp.insertOne({ a: 1, b: 2 });
    await tmp.createIndexes([{ key: { a: 1 } }, { key: { b: -1 }, name: 'b_desc' }]);
    const indexes = await tmp.listIndexes().toArray();
    expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'a_1', 'b_desc']);
    expect(indexes.find((i) => i.name === 'b_desc')?.key).toEqual({ b: -1 });

    await tmp.dropIndex('a_1');
    expect((await tmp.indexes()).map((i) => i.name).sort()).toEqual(['_id_', 'b_desc']);

    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('listing');
    expect(await tmp.drop()).toBe(true);
    const after = (await db.listCollections().toArray()).map((c) => c.name);
    expect(after).not.toContain('listing');
  });

  it('drops a whole database', async () => {
    const other = client.db(`${dbName}_drop`);
    await other.collection('a').insertOne({ x: 1 });
    await other.collection('b').insertOne({ y: 1 });
    expect((await other.listCollections().toArray()).length).toBe(2);
    expect(await other.dropDatabase()).toBe(true);
    expect(await other.listCollections().toArray()).toEqual([]);
    expect(await other.collection('a').findOne({})).toBeNull();
  });

  it('answers an unsupported command with a clear error, quickly', async () => {
    const started = Date.now();
    const error = await db.command({ replSetGetStatus: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(59);
    expect((error as MongoServerError).message).toMatch(
      /replSetGetStatus is not supported by the DocumentDB test gateway/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    // The connection is still usable afterwards.
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('serves 100 concurrent client connections', async () => {
    const clients = Array.from(
      { length: 100 },
      () =>
        new MongoClient(requireEnv('TNL_MONGODB_URI', uri), {
          maxPoolSize: 1,
          serverSelectionTimeoutMS: 20_000,
        }),
    );
    try {
      await Promise.all(
        clients.map(async (c, i) => {
          const col = c.db(dbName).collection<{ i: number }>('concurrent');
          await col.insertOne({ i });
          expect(await col.findOne({ i })).toMatchObject({ i });
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    expect(await db.collection('concurrent').countDocuments()).toBe(100);
  });

  it('answers an error when PostgreSQL drops the connection mid-command, then recovers', async () => {
    const coll = db.collection<{ k: number }>('lostconn');
    await coll.insertOne({ k: 1 });
    const admin = new pg.Client({ connectionString: requireEnv('TNL_PG_URL', pgUrl) });
    await admin.connect();
    try {
      const table = await admin.query<{ id: string }>(
        `SELECT collection_id::text AS id FROM documentdb_api_catalog.collections
          WHERE database_name = $1 AND collection_name = $2`,
        [dbName, 'lostconn'],
      );
      const id = table.rows[0]?.id;
      expect(id).toBeDefined();
      // Hold a lock so the gateway's insert waits inside PostgreSQL, then kill that backend.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE documentdb_data.documents_${id} IN ACCESS EXCLUSIVE MODE`);
      const blocked = coll.insertOne({ k: 2 }).catch((e: unknown) => e);
      let pid: number | undefined;
      for (let attempt = 0; attempt < 100 && pid === undefined; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const waiting = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE application_name = 'docdb-gateway' AND pg_backend_pid() = ANY (pg_blocking_pids(pid))`,
        );
        pid = waiting.rows[0]?.pid;
      }
      expect(pid).toBeDefined();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const error = await blocked;
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).message).toMatch(/PostgreSQL connection lost/);
      await admin.query('ROLLBACK');
    } finally {
      await admin.end();
    }
    await coll.insertOne({ k: 3 });
    expect(
      (
        await coll
          .find({}, { projection: { _id: 0 } })
          .sort({ k: 1 })
          .toArray()
      ).map((d) => d.k),
    ).toEqual([1, 3]);
  });
});
