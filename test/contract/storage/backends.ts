// The two backends every storage contract suite runs against: the in-memory double,
// and the real document database of the local stack (TNL_MONGODB_URI, set by the
// vitest global setup). Each test file gets its own fresh database.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { createMemoryStorage, openStorage, type Storage } from '../../../storage/index.ts';
import type { RawDoc } from '../../../storage/port.ts';
import { type Outage, openTcpProxy } from './tcp-proxy.ts';

export interface Harness {
  storage: Storage;
  /** Writes a document as-is, bypassing the repositories (old or corrupt shapes). */
  putRaw(collection: string, doc: RawDoc): Promise<void>;
  getRaw(collection: string, id: string): Promise<RawDoc | null>;
  /** Makes the database unreachable, then reachable again (present when opened with `outage: true`). */
  outage: Outage | null;
  /**
   * Restarts the real database server (PostgreSQL and the gateway) through
   * `bash scripts/stack.sh restart-db`, when TNL_STORAGE_RESTART_DB=1 and the stack
   * script offers it; null otherwise (a restart disturbs other suites using the stack).
   */
  restartServer: (() => Promise<void>) | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  now?: () => Date;
  /** Route the connection through a proxy the test can cut (real database only). */
  outage?: boolean;
}

export interface Backend {
  name: string;
  open(options?: OpenOptions): Promise<Harness>;
}

const memory: Backend = {
  name: 'memory',
  async open(options = {}) {
    const storage = createMemoryStorage({ ...(options.now ? { now: options.now } : {}) });
    return {
      storage,
      async putRaw(collection, doc) {
        storage.database.collection(collection).putRaw(doc);
      },
      getRaw: (collection, id) => storage.database.collection(collection).findOne({ _id: id }),
      outage: options.outage
        ? {
            async down() {
              storage.database.setAvailable(false);
            },
            async up() {
              storage.database.setAvailable(true);
            },
          }
        : null,
      restartServer: null,
      close: () => storage.close(),
    };
  },
};

function mongodb(uri: string): Backend {
  return {
    name: 'mongodb',
    async open(options = {}) {
      const dbName = `tnl_test_${randomBytes(6).toString('hex')}`;
      const proxy = options.outage ? await openTcpProxy(new URL(uri.replace(/^mongodb:/, 'http:'))) : null;
      const target = proxy ? uri.replace(/\/\/[^/]+\//, `//127.0.0.1:${proxy.port}/`) : uri;
      const storage = await openStorage({
        uri: target,
        dbName,
        serverSelectionTimeoutMS: 1500,
        ...(options.now ? { now: options.now } : {}),
      });
      const raw = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
      await raw.connect();
      const db = raw.db(dbName);
      return {
        storage,
        async putRaw(collection, doc) {
          await db.collection<RawDoc>(collection).insertOne(doc);
        },
        getRaw: (collection, id) => db.collection<RawDoc>(collection).findOne({ _id: id }),
        outage: proxy,
        restartServer: (await stackOffersRestart()) ? restartDatabase : null,
        async close() {
          await storage.close();
          await db.dropDatabase().catch(() => undefined);
          await raw.close();
          await proxy?.close();
        },
      };
    },
  };
}

const run = promisify(execFile);
const STACK = join(import.meta.dirname, '..', '..', '..', 'scripts', 'stack.sh');

async function stackOffersRestart(): Promise<boolean> {
  if (process.env.TNL_STORAGE_RESTART_DB !== '1') return false;
  const { stdout } = await run('bash', [STACK, 'help']);
  return stdout.includes('restart-db');
}

async function restartDatabase(): Promise<void> {
  await run('bash', [STACK, 'restart-db'], { timeout: 120_000 });
}

/** Memory always; the real database whenever the stack is available. */
export const backends: Backend[] = [
  memory,
  ...(process.env.TNL_MONGODB_URI ? [mongodb(process.env.TNL_MONGODB_URI)] : []),
];
