// MongoDB commands mapped onto DocumentDB's SQL API (schema documentdb_api). DocumentDB takes
// the command document itself and answers with a MongoDB reply, so most handlers only strip
// what it rejects, pick the SQL function, and fix up error codes.
//
// Why this file is long: one mapping per MongoDB command onto DocumentDB's SQL API.
import type { Document, Long } from 'bson';
import type { Lease, SqlBackend } from './backend.ts';
import { asLong, asNumber, fromBsonHex, isDocument, toBsonHex, truthy } from './bson-util.ts';
import type { CursorEntry, CursorRegistry } from './cursors.ts';
import {
  codeName,
  Codes,
  commandNotSupported,
  MongoCommandError,
  normaliseWriteErrorCode,
} from './errors.ts';
import type { Logger } from './log.ts';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE } from './wire.ts';

export interface CommandContext {
  readonly backend: SqlBackend;
  readonly cursors: CursorRegistry;
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly log: Logger;
}

type Handler = (ctx: CommandContext, db: string, cmd: Document, name: string) => Promise<Document>;

export const MAX_WIRE_VERSION = 21; // MongoDB 7.0
const MAX_WRITE_BATCH_SIZE = 100_000;
const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;
const BSON = 'documentdb_core.bson';

// Session, transaction and routing fields the driver adds to every command: meaningful to a
// MongoDB server, unknown to (and some rejected by) DocumentDB's command parsers.
const STRIPPED_FIELDS = new Set([
  '$db',
  'lsid',
  '$clusterTime',
  'txnNumber',
  'autocommit',
  'startTransaction',
  '$readPreference',
  'readConcern',
  'writeConcern',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$audit',
  '$client',
]);

/** The command document DocumentDB is given: the client's one minus driver plumbing. */
export function forwardable(cmd: Document): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(cmd)) if (!STRIPPED_FIELDS.has(key)) out[key] = value;
  return out;
}

/** Runs one command; failures come back as MongoDB error replies, never as exceptions. */
export async function runCommand(ctx: CommandContext, cmd: Document, db: string): Promise<Document> {
  const name = Object.keys(cmd)[0];
  if (name === undefined) return new MongoCommandError(Codes.BadValue, 'empty command document').toReply();
  const handler = HANDLERS.get(name);
  try {
    if (handler === undefined) throw commandNotSupported(name);
    if (cmd.startTransaction !== undefined || cmd.autocommit !== undefined) {
      throw new MongoCommandError(
        Codes.IllegalOperation,
        'Transaction numbers are only allowed on a replica set member or mongos (DocumentDB test gateway)',
      );
    }
    return await handler(ctx, db, cmd, name);
  } catch (error) {
    if (error instanceof MongoCommandError) {
      if (error.code === Codes.DuplicateKey)
        return { ...error.toReply(), errmsg: await duplicateKeyMessage(ctx, error) };
      return error.toReply();
    }
    ctx.log.error(`command ${name} failed unexpectedly: ${(error as Error).stack ?? String(error)}`);
    return new MongoCommandError(
      Codes.InternalError,
      `gateway failure: ${(error as Error).message}`,
    ).toReply();
  }
}

/**
 * PostgreSQL reports a duplicate on a unique index by its internal constraint name
 * (documents_rum_index_<id>); say it the way MongoDB does, with the namespace and index name.
 */
async function duplicateKeyMessage(ctx: CommandContext, error: MongoCommandError): Promise<string> {
  const indexId = /_index_(\d+)"/.exec(error.message)?.[1];
  if (indexId === undefined) return e11000(error.message);
  try {
    const rows = await withLease(ctx, (lease) =>
      lease.query(
        `SELECT c.database_name || '.' || c.collection_name AS ns, (i.index_spec).index_name AS name
           FROM documentdb_api_catalog.collection_indexes i
           JOIN documentdb_api_catalog.collections c USING (collection_id)
          WHERE i.index_id = $1`,
        [Number(indexId)],
      ),
    );
    const row = rows[0];
    if (row === undefined) return e11000(error.message);
    return `E11000 duplicate key error collection: ${String(row.ns)} index: ${String(row.name)}`;
  } catch {
    return e11000(error.message);
  }
}

// ---------------------------------------------------------------- SQL plumbing

async function withLease<T>(ctx: CommandContext, fn: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = await ctx.backend.acquire();
  let broken = false;
  try {
    return await fn(lease);
  } catch (error) {
    broken = error instanceof MongoCommandError && error.connectionLost;
    throw error;
  } finally {
    lease.release(broken);
  }
}

/** Runs `SELECT <expr> AS result` where the expression yields one bson value. */
async function selectBson(ctx: CommandContext, expr: string, params: readonly unknown[]): Promise<Document> {
  const rows = await withLease(ctx, (lease) => lease.query(`SELECT (${expr})::text AS result`, params));
  const text = rows[0]?.result;
  if (typeof text !== 'string')
    throw new MongoCommandError(Codes.InternalError, 'DocumentDB returned no result');
  return fromBsonHex(text);
}

function requireString(cmd: Document, field: string): string {
  const value = cmd[field];
  if (typeof value !== 'string' || value === '') {
    throw new MongoCommandError(Codes.BadValue, `field '${field}' must be a non-empty string`);
  }
  return value;
}

/** Makes DocumentDB's reply look like MongoDB's: real error codes, codeName, E11000 prefix. */
export function normaliseReply(reply: Document, ns?: string): Document {
  const code = asNumber(reply.code);
  if (code !== undefined) {
    const mongoCode = normaliseWriteErrorCode(code);
    reply.code = mongoCode;
    reply.codeName = codeName(mongoCode);
    if (mongoCode === Codes.DuplicateKey && typeof reply.errmsg === 'string')
      reply.errmsg = e11000(reply.errmsg);
  }
  if (Array.isArray(reply.writeErrors)) {
    for (const writeError of reply.writeErrors as unknown[]) {
      if (!isDocument(writeError)) continue;
      const errorCode = asNumber(writeError.code);
      if (errorCode === undefined) continue;
      const mongoCode = normaliseWriteErrorCode(errorCode);
      writeError.code = mongoCode;
      if (mongoCode === Codes.DuplicateKey && typeof writeError.errmsg === 'string') {
        writeError.errmsg = e11000(writeError.errmsg, ns);
      }
    }
  }
  return reply;
}

// Some libraries recognise duplicates by MongoDB's message prefix rather than by code.
function e11000(message: string, ns?: string): string {
  if (message.startsWith('E11000')) return message;
  const index = /Index '([^']+)'/.exec(message)?.[1];
  if (ns !== undefined && index !== undefined)
    return `E11000 duplicate key error collection: ${ns} index: ${index}`;
  return `E11000 duplicate key error: ${message}`;
}

// ---------------------------------------------------------------- handshake & admin

function hello(ctx: CommandContext, _db: string, cmd: Document, name: string): Promise<Document> {
  const reply: Document = {};
  if (truthy(cmd.helloOk)) reply.helloOk = true;
  if (name === 'hello') reply.isWritablePrimary = true;
  else reply.ismaster = true;
  // No setName and no topologyVersion: a standalone server, polled rather than streamed.
  Object.assign(reply, {
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  });
  return Promise.resolve(reply);
}

const ok = (extra: Document = {}): Promise<Document> => Promise.resolve({ ...extra, ok: 1 });

function buildInfo(): Promise<Document> {
  return ok({
    version: '7.0.0',
    gitVersion: 'docdb-gateway',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['documentdb'],
    modules: [],
    javascriptEngine: 'none',
    // Lets tools tell this gateway from a real mongod.
    documentdbTestGateway: true,
  });
}

function getParameter(_ctx: CommandContext, _db: string, cmd: Document): Promise<Document> {
  const out: Document = {};
  const all =
    cmd.getParameter === '*' || (isDocument(cmd.getParameter) && truthy(cmd.getParameter.allParameters));
  if (all || cmd.featureCompatibilityVersion !== undefined)
    out.featureCompatibilityVersion = { version: '7.0' };
  return ok(out);
}

function whatsmyuri(ctx: CommandContext): Promise<Document> {
  return ok({ you: ctx.remoteAddress });
}

async function listDatabases(ctx: CommandContext, _db: string, cmd: Document): Promise<Document> {
  return normaliseReply(
    await selectBson(ctx, `documentdb_api.list_databases($1::${BSON})`, [toBsonHex(forwardable(cmd))]),
  );
}

async function dbStats(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  const scale = asNumber(cmd.scale) ?? 1;
  return normaliseReply(
    await selectBson(ctx, 'documentdb_api.db_stats($1, $2, $3)', [db, scale, truthy(cmd.freeStorage)]),
  );
}

async function collMod(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  const collection = requireString(cmd, 'collMod');
  return normaliseReply(
    await selectBson(ctx, `documentdb_api.coll_mod($1, $2, $3::${BSON})`, [
      db,
      collection,
      toBsonHex(forwardable(cmd)),
    ]),
  );
}

// ---------------------------------------------------------------- writes

function writeCommand(fn: 'insert' | 'update' | 'delete'): Handler {
  return async (ctx, db, cmd) => {
    const reply = await selectBson(ctx, `SELECT p_result FROM documentdb_api.${fn}($1, $2::${BSON})`, [
      db,
      toBsonHex(forwardable(cmd)),
    ]);
    return normaliseReply(reply, `${db}.${String(cmd[fn])}`);
  };
}

async function findAndModify(
  ctx: CommandContext,
  db: string,
  cmd: Document,
  name: string,
): Promise<Document> {
  let spec = forwardable(cmd);
  if (name !== 'findAndModify') {
    // findandmodify (lower case) is an accepted alias; DocumentDB only knows one spelling.
    const { [name]: target, ...rest } = spec;
    spec = { findAndModify: target, ...rest };
  }
  const reply = await selectBson(
    ctx,
    `SELECT p_result FROM documentdb_api.find_and_modify($1, $2::${BSON})`,
    [db, toBsonHex(spec)],
  );
  return normaliseReply(reply);
}

// ---------------------------------------------------------------- cursors

type FirstPageFunction =
  | 'find_cursor_first_page'
  | 'aggregate_cursor_first_page'
  | 'list_collections_cursor_first_page'
  | 'list_indexes_cursor_first_page';

function cursorCommand(fn: FirstPageFunction, collectionField: string | undefined): Handler {
  return async (ctx, db, cmd, name) => {
    const spec = forwardable(cmd);
    const collection = collectionField === undefined ? '$cmd' : String(cmd[collectionField] ?? name);
    const lease = await ctx.backend.acquire();
    let keepLease = false;
    let broken = false;
    try {
      const rows = await lease.query(
        `SELECT cursorpage::text AS page, continuation::text AS continuation, persistconnection AS persist
           FROM documentdb_api.${fn}($1, $2::${BSON})`,
        [db, toBsonHex(spec)],
      );
      const row = rows[0];
      if (row === undefined || typeof row.page !== 'string') {
        throw new MongoCommandError(Codes.InternalError, 'DocumentDB returned no cursor page');
      }
      const page = normaliseReply(fromBsonHex(row.page));
      const id = cursorIdOf(page);
      if (id !== undefined && !id.isZero() && typeof row.continuation === 'string') {
        keepLease = row.persist === true;
        ctx.log.verbose(
          `[conn${ctx.connectionId}] cursor ${id.toString()} opened${keepLease ? ' (pinned)' : ''}`,
        );
        const evicted = ctx.cursors.add({
          id,
          db,
          collection,
          continuation: fromBsonHex(row.continuation),
          lease: keepLease ? lease : undefined,
        });
        for (const old of evicted) {
          ctx.log.error(`cursor ${old.id.toString()} evicted: too many cursors hold a PostgreSQL connection`);
          void closeCursor(old, ctx.log);
        }
      }
      return page;
    } catch (error) {
      broken = error instanceof MongoCommandError && error.connectionLost;
      throw error;
    } finally {
      if (!keepLease) lease.release(broken);
    }
  };
}

function cursorIdOf(page: Document): Long | undefined {
  const cursor = page.cursor;
  return isDocument(cursor) ? asLong(cursor.id) : undefined;
}

/** Frees what a cursor holds in PostgreSQL (its session-bound portal) and its connection. */
export async function closeCursor(entry: CursorEntry, log?: Logger): Promise<void> {
  if (entry.lease === undefined) return;
  try {
    await entry.lease.query('CLOSE ALL', []);
    entry.lease.release();
  } catch (error) {
    log?.error(`closing cursor ${entry.id.toString()}: ${(error as Error).message}`);
    entry.lease.release(true);
  }
}

async function getMore(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  const id = asLong(cmd.getMore);
  if (id === undefined)
    throw new MongoCommandError(Codes.TypeMismatch, "field 'getMore' must be an int64 cursor id");
  const entry = ctx.cursors.get(id);
  if (entry === undefined || entry.db !== db) {
    throw new MongoCommandError(Codes.CursorNotFound, `cursor id ${id.toString()} not found`);
  }
  if (entry.busy) throw new MongoCommandError(143, `cursor id ${id.toString()} is already in use`);
  entry.busy = true;
  const spec: Document = { getMore: id, collection: entry.collection };
  if (cmd.batchSize !== undefined) spec.batchSize = cmd.batchSize;
  const lease = entry.lease ?? (await acquireOrRelease(ctx, entry));
  let done = true;
  let broken = false;
  try {
    const rows = await lease.query(
      `SELECT cursorpage::text AS page, continuation::text AS continuation
         FROM documentdb_api.cursor_get_more($1, $2::${BSON}, $3::${BSON})`,
      [entry.db, toBsonHex(spec), toBsonHex(entry.continuation)],
    );
    const row = rows[0];
    if (row === undefined || typeof row.page !== 'string') {
      throw new MongoCommandError(Codes.InternalError, 'DocumentDB returned no cursor page');
    }
    const page = normaliseReply(fromBsonHex(row.page));
    const nextId = cursorIdOf(page);
    if (nextId !== undefined && !nextId.isZero() && typeof row.continuation === 'string') {
      entry.continuation = fromBsonHex(row.continuation);
      ctx.cursors.touch(entry);
      done = false;
    }
    return page;
  } catch (error) {
    broken = error instanceof MongoCommandError && error.connectionLost;
    throw error;
  } finally {
    entry.busy = false;
    if (done) {
      ctx.cursors.remove(id);
      if (entry.lease !== undefined && !broken) await closeCursor(entry, ctx.log);
      else lease.release(broken);
    } else if (entry.lease === undefined) {
      lease.release(broken);
    }
  }
}

async function acquireOrRelease(ctx: CommandContext, entry: CursorEntry): Promise<Lease> {
  try {
    return await ctx.backend.acquire();
  } catch (error) {
    entry.busy = false;
    throw error;
  }
}

async function killCursors(ctx: CommandContext, _db: string, cmd: Document): Promise<Document> {
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const raw of Array.isArray(cmd.cursors) ? (cmd.cursors as unknown[]) : []) {
    const id = asLong(raw);
    if (id === undefined) continue;
    const entry = ctx.cursors.remove(id);
    if (entry === undefined) {
      notFound.push(id);
      continue;
    }
    killed.push(id);
    await closeCursor(entry, ctx.log);
  }
  return ok({ cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] });
}

// ---------------------------------------------------------------- other data commands

async function count(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  return normaliseReply(
    await selectBson(ctx, `documentdb_api.count_query($1, $2::${BSON})`, [db, toBsonHex(forwardable(cmd))]),
  );
}

async function distinct(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  return normaliseReply(
    await selectBson(ctx, `documentdb_api.distinct_query($1, $2::${BSON})`, [
      db,
      toBsonHex(forwardable(cmd)),
    ]),
  );
}

async function createIndexes(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  // The background variant only queues the build for a pg_cron job; tests need the index now.
  const reply = await selectBson(
    ctx,
    `documentdb_api_internal.create_indexes_non_concurrently($1, $2::${BSON}, true)`,
    [db, toBsonHex(forwardable(cmd))],
  );
  return normaliseReply(reply);
}

async function dropIndexes(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  const rows = await withLease(ctx, (lease) =>
    lease.query(`CALL documentdb_api.drop_indexes($1, $2::${BSON}, NULL)`, [db, toBsonHex(forwardable(cmd))]),
  );
  const text = rows[0]?.retval;
  return normaliseReply(typeof text === 'string' ? fromBsonHex(text) : { ok: 1 });
}

async function create(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  return normaliseReply(
    await selectBson(ctx, `documentdb_api.create_collection_view($1, $2::${BSON})`, [
      db,
      toBsonHex(forwardable(cmd)),
    ]),
  );
}

async function drop(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  const collection = requireString(cmd, 'drop');
  await withLease(ctx, (lease) =>
    lease.query('SELECT documentdb_api.drop_collection($1, $2)', [db, collection]),
  );
  // MongoDB 7 answers ok for a collection that did not exist; so do we.
  return ok({ ns: `${db}.${collection}` });
}

async function dropDatabase(ctx: CommandContext, db: string): Promise<Document> {
  await withLease(ctx, (lease) => lease.query('SELECT documentdb_api.drop_database($1)', [db]));
  return ok({ dropped: db });
}

async function renameCollection(ctx: CommandContext, _db: string, cmd: Document): Promise<Document> {
  const from = requireString(cmd, 'renameCollection');
  const to = requireString(cmd, 'to');
  const [fromDb, ...fromRest] = from.split('.');
  const [toDb, ...toRest] = to.split('.');
  if (fromDb !== toDb) {
    throw new MongoCommandError(
      Codes.IllegalOperation,
      'renaming across databases is not supported by the gateway',
    );
  }
  await withLease(ctx, (lease) =>
    lease.query('SELECT documentdb_api.rename_collection($1, $2, $3, $4)', [
      fromDb,
      fromRest.join('.'),
      toRest.join('.'),
      truthy(cmd.dropTarget),
    ]),
  );
  return ok();
}

// ---------------------------------------------------------------- table

const HANDLERS = new Map<string, Handler>([
  ['hello', hello],
  ['isMaster', hello],
  ['ismaster', hello],
  ['ping', () => ok()],
  ['buildInfo', buildInfo],
  ['buildinfo', buildInfo],
  ['getParameter', getParameter],
  ['getCmdLineOpts', () => ok({ argv: ['docdb-gateway'], parsed: {} })],
  ['endSessions', () => ok()],
  ['killAllSessions', () => ok()],
  ['whatsmyuri', whatsmyuri],
  ['connectionStatus', () => ok({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } })],
  ['listDatabases', listDatabases],
  ['insert', writeCommand('insert')],
  ['update', writeCommand('update')],
  ['delete', writeCommand('delete')],
  ['findAndModify', findAndModify],
  ['findandmodify', findAndModify],
  ['find', cursorCommand('find_cursor_first_page', 'find')],
  ['aggregate', cursorCommand('aggregate_cursor_first_page', 'aggregate')],
  ['listCollections', cursorCommand('list_collections_cursor_first_page', undefined)],
  ['listIndexes', cursorCommand('list_indexes_cursor_first_page', 'listIndexes')],
  ['getMore', getMore],
  ['killCursors', killCursors],
  ['count', count],
  ['distinct', distinct],
  ['createIndexes', createIndexes],
  ['dropIndexes', dropIndexes],
  ['create', create],
  ['drop', drop],
  ['dropDatabase', dropDatabase],
  ['renameCollection', renameCollection],
  ['dbStats', dbStats],
  ['collMod', collMod],
]);

export const SUPPORTED_COMMANDS: readonly string[] = [...HANDLERS.keys()];
