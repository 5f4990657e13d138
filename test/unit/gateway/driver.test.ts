// The official driver against the gateway, with PostgreSQL replaced by an in-memory double:
// proves the handshake, OP_MSG framing, cursors and error shapes the driver relies on.
import { Long, type Document } from 'bson';
import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asNumber } from '../../../scripts/docdb-gateway/bson-util.ts';
import { packSqlState } from '../../../scripts/docdb-gateway/errors.ts';
import { startGateway, type Gateway } from '../../../scripts/docdb-gateway/server.ts';
import { FakeBackend, pageRow, resultRow, type SqlCall } from './fake-backend.ts';

// A toy collection store: enough DocumentDB behaviour for the driver paths under test.
const stored: Document[] = [];
const PAGE = 2;

function page(docs: Document[], id: Long, first: boolean): Document {
  return { cursor: { [first ? 'firstBatch' : 'nextBatch']: docs, id, ns: 'gw.items' }, ok: 1 };
}

function respond(call: SqlCall) {
  const spec = call.docs[0] ?? {};
  switch (call.fn) {
    case 'insert': {
      const writeErrors: Document[] = [];
      let n = 0;
      (spec.documents as Document[]).forEach((doc, index) => {
        if (stored.some((s) => asNumber(s._id) === asNumber(doc._id))) {
          writeErrors.push({
            index,
            code: packSqlState('M001C'),
            errmsg: "Duplicate key violation on the requested collection: Index '_id_'",
          });
        } else {
          stored.push(doc);
          n++;
        }
      });
      return resultRow({ n, ok: 1, ...(writeErrors.length > 0 ? { writeErrors } : {}) });
    }
    case 'find_cursor_first_page': {
      const more = stored.length > PAGE;
      return pageRow(
        page(stored.slice(0, PAGE), Long.fromNumber(more ? 77 : 0), true),
        more ? { offset: PAGE } : null,
      );
    }
    case 'cursor_get_more': {
      const offset = asNumber(call.docs[1]?.offset) ?? 0;
      const more = stored.length > offset + PAGE;
      return pageRow(
        page(stored.slice(offset, offset + PAGE), Long.fromNumber(more ? 77 : 0), false),
        more ? { offset: offset + PAGE } : null,
      );
    }
    default:
      throw new Error(`unexpected SQL ${call.sql}`);
  }
}

describe('gateway with the official driver (in-memory backend)', () => {
  const backend = new FakeBackend(respond);
  let gateway: Gateway;
  let client: MongoClient;

  beforeAll(async () => {
    gateway = await startGateway({ port: 0, backend });
    client = new MongoClient(`mongodb://127.0.0.1:${gateway.port}/?directConnection=true`, {
      serverSelectionTimeoutMS: 3_000,
    });
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await gateway.close();
  });

  it('completes the handshake and answers ping as a standalone server', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, maxWireVersion: 21, ok: 1 });
    expect(hello.setName).toBeUndefined();
    expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('sends inserted documents as a document sequence and strips session fields', async () => {
    await client
      .db('gw')
      .collection<{ _id: number }>('items')
      .insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }, { _id: 4 }, { _id: 5 }]);
    const insert = backend.calls.find((c) => c.fn === 'insert');
    expect(insert?.params[0]).toBe('gw');
    expect(Object.keys(insert?.docs[0] ?? {})).not.toContain('lsid');
    expect(Object.keys(insert?.docs[0] ?? {})).not.toContain('$db');
    expect((insert?.docs[0]?.documents as Document[]).length).toBe(5);
  });

  it('turns DocumentDB duplicate key write errors into code 11000', async () => {
    const error = await client
      .db('gw')
      .collection<{ _id: number }>('items')
      .insertOne({ _id: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(11000);
    expect((error as MongoServerError).message).toMatch(/^E11000/);
  });

  it('follows a cursor through getMore with DocumentDB continuations', async () => {
    const docs = await client
      .db('gw')
      .collection<{ _id: number }>('items')
      .find({}, { batchSize: PAGE })
      .toArray();
    expect(docs.map((d) => d._id)).toEqual([1, 2, 3, 4, 5]);
    const getMores = backend.calls.filter((c) => c.fn === 'cursor_get_more');
    expect(getMores.map((c) => asNumber(c.docs[1]?.offset))).toEqual([2, 4]);
    expect(getMores[0]?.docs[0]?.getMore).toEqual(Long.fromNumber(77));
    expect(getMores[0]?.docs[0]?.collection).toBe('items');
  });

  it('answers an unsupported command with CommandNotFound quickly', async () => {
    const started = Date.now();
    const error = await client
      .db('gw')
      .command({ replSetGetStatus: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(59);
    expect((error as MongoServerError).message).toBe(
      'command replSetGetStatus is not supported by the DocumentDB test gateway',
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('returns every leased PostgreSQL connection', () => {
    expect(backend.openLeases).toBe(0);
    expect(backend.calls.length).toBeGreaterThan(0);
  });
});
