// Quick numbers for the DocumentDB test gateway: the same operations through the official
// driver + gateway, and straight to DocumentDB's SQL API with node-postgres.
// Usage: node bench/gateway.ts [--mongo-uri URI] [--pg-url URL] [--n 2000]
// Defaults come from TNL_MONGODB_URI / TNL_PG_URL (printed by `bash scripts/stack.sh env`).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ObjectId } from 'bson';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { fromBsonHex, toBsonHex } from '../scripts/docdb-gateway/bson-util.ts';

const { values } = parseArgs({
  options: {
    'mongo-uri': {
      type: 'string',
      default: process.env.TNL_MONGODB_URI ?? 'mongodb://127.0.0.1:27027/?directConnection=true',
    },
    'pg-url': {
      type: 'string',
      default: process.env.TNL_PG_URL ?? 'postgresql://postgres@127.0.0.1:55432/postgres',
    },
    n: { type: 'string', default: '2000' },
  },
});
const n = Number(values.n);
const dbName = `bench_${randomBytes(4).toString('hex')}`;

interface Timing {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function measure(count: number, op: (i: number) => Promise<unknown>): Promise<Timing> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await op(i);
    samples.push(performance.now() - t);
  }
  const total = performance.now() - started;
  samples.sort((a, b) => a - b);
  return {
    perSecond: (count / total) * 1000,
    p50: samples[Math.floor(count / 2)]!,
    p99: samples[Math.floor(count * 0.99)]!,
  };
}

function doc(i: number): { _id: ObjectId; i: number; name: string; tags: string[] } {
  return { _id: new ObjectId(), i, name: `candidate ${i}`, tags: ['a', 'b'] };
}

async function viaGateway(): Promise<Record<string, Timing>> {
  const client = new MongoClient(values['mongo-uri']);
  await client.connect();
  const db = client.db(dbName);
  const col = db.collection('people');
  try {
    const ids: ObjectId[] = [];
    const ping = await measure(n, () => db.command({ ping: 1 })); // answered by the gateway alone
    const insertOne = await measure(n, async (i) => {
      const d = doc(i);
      ids.push(d._id);
      await col.insertOne(d);
    });
    const findOne = await measure(n, (i) => col.findOne({ _id: ids[i % ids.length] }));
    const batches = await measure(20, (b) =>
      col.insertMany(Array.from({ length: 500 }, (_, i) => doc(b * 500 + i))),
    );
    return { ping, insertOne, findOne, insertMany500: batches };
  } finally {
    await db.dropDatabase();
    await client.close();
  }
}

async function viaSql(): Promise<Record<string, Timing>> {
  const client = new pg.Client({ connectionString: values['pg-url'] });
  await client.connect();
  try {
    const ids: ObjectId[] = [];
    const ping = await measure(n, () => client.query('SELECT 1')); // bare SQL round trip
    const insertOne = await measure(n, async (i) => {
      const d = doc(i);
      ids.push(d._id);
      await client.query('SELECT p_result::text FROM documentdb_api.insert($1, $2::documentdb_core.bson)', [
        dbName,
        toBsonHex({ insert: 'people', documents: [d] }),
      ]);
    });
    const findOne = await measure(n, async (i) => {
      const r = await client.query<{ page: string }>(
        'SELECT cursorpage::text AS page FROM documentdb_api.find_cursor_first_page($1, $2::documentdb_core.bson)',
        [
          dbName,
          toBsonHex({ find: 'people', filter: { _id: ids[i % ids.length] }, limit: 1, singleBatch: true }),
        ],
      );
      fromBsonHex(r.rows[0]!.page);
    });
    const batches = await measure(20, (b) =>
      client.query('SELECT p_result::text FROM documentdb_api.insert($1, $2::documentdb_core.bson)', [
        dbName,
        toBsonHex({ insert: 'people', documents: Array.from({ length: 500 }, (_, i) => doc(b * 500 + i)) }),
      ]),
    );
    return { ping, insertOne, findOne, insertMany500: batches };
  } finally {
    await client.query('SELECT documentdb_api.drop_database($1)', [dbName]);
    await client.end();
  }
}

const gateway = await viaGateway();
const sql = await viaSql();
const fmt = (t: Timing): string =>
  `${t.perSecond.toFixed(0).padStart(7)} ops/s  p50 ${t.p50.toFixed(2).padStart(6)} ms  p99 ${t.p99.toFixed(2).padStart(6)} ms`;
console.log(`n=${n} sequential operations, one connection (insertMany500: 20 batches of 500 documents)`);
for (const key of Object.keys(gateway)) {
  console.log(`${key.padEnd(14)} driver+gateway ${fmt(gateway[key]!)}`);
  console.log(`${''.padEnd(14)} SQL directly   ${fmt(sql[key]!)}`);
}
