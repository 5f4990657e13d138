// The TCP side: accepts MongoDB client connections, frames and parses their messages, runs
// each command in order (per connection) and writes the reply in the request's own format.
import net from 'node:net';
import type { Document } from 'bson';
import { PgBackend, type SqlBackend } from './backend.ts';
import { closeCursor, runCommand, type CommandContext } from './commands.ts';
import { CursorRegistry } from './cursors.ts';
import { Codes, MongoCommandError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import {
  encodeOpMsg,
  encodeOpReply,
  FLAG_MORE_TO_COME,
  MessageFramer,
  parseMessage,
  readHeader,
  WireProtocolError,
  OP_QUERY,
  type IncomingMessage,
} from './wire.ts';

export interface GatewayOptions {
  readonly port: number;
  readonly host?: string;
  /** PostgreSQL URL; ignored when `backend` is given. */
  readonly pgUrl?: string;
  readonly backend?: SqlBackend;
  readonly poolSize?: number;
  readonly log?: Logger;
  readonly cursorIdleTimeoutMs?: number;
}

export interface Gateway {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const DEFAULT_POOL_SIZE = 40;
const CURSOR_SWEEP_MS = 30_000;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? silentLogger;
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const backend =
    options.backend ??
    new PgBackend({
      url: options.pgUrl ?? missing('pgUrl'),
      poolSize,
      onIdleError: (error) => log.error(`idle PostgreSQL connection dropped: ${error.message}`),
    });
  const cursors = new CursorRegistry({
    idleTimeoutMs: options.cursorIdleTimeoutMs ?? 10 * 60_000,
    maxPinned: Math.max(1, Math.floor(poolSize / 2)),
  });
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;
  let nextRequestId = 1;

  const sweep = setInterval(() => {
    for (const entry of cursors.takeExpired()) {
      log.verbose(`cursor ${entry.id.toString()} timed out`);
      void closeCursor(entry, log);
    }
  }, CURSOR_SWEEP_MS);
  sweep.unref();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = nextConnectionId++;
    const remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const ctx: CommandContext = { backend, cursors, connectionId, remoteAddress, log };
    const framer = new MessageFramer();
    let queue = Promise.resolve();
    log.verbose(`[conn${connectionId}] open from ${remoteAddress}`);

    const reply = (buffer: Buffer): void => {
      if (!socket.destroyed) socket.write(buffer);
    };

    socket.on('data', (chunk) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (error) {
        // The byte stream can no longer be split into messages: nothing sane to answer.
        log.error(`[conn${connectionId}] closing connection: ${(error as Error).message}`);
        socket.destroy();
        return;
      }
      for (const message of messages) {
        queue = queue
          .then(() => handleMessage(ctx, message, reply, () => nextRequestId++))
          .catch((error: unknown) => {
            // No reply could be produced: closing tells the driver at once instead of a hang.
            log.error(`[conn${connectionId}] closing connection: ${(error as Error).stack ?? String(error)}`);
            socket.destroy();
          });
      }
    });
    socket.on('error', (error) => log.verbose(`[conn${connectionId}] socket error: ${error.message}`));
    socket.on('close', () => {
      sockets.delete(socket);
      log.verbose(`[conn${connectionId}] closed`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.error(`listener error: ${error.message}`));
  const address = server.address() as net.AddressInfo;

  return {
    host: address.address,
    port: address.port,
    async close() {
      clearInterval(sweep);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await Promise.all(cursors.takeAll().map((entry) => closeCursor(entry, log)));
      await backend.close();
    },
  };
}

function missing(name: string): never {
  throw new Error(`gateway option ${name} is required`);
}

async function handleMessage(
  ctx: CommandContext,
  raw: Buffer,
  reply: (buffer: Buffer) => void,
  requestId: () => number,
): Promise<void> {
  let message: IncomingMessage;
  try {
    message = parseMessage(raw);
  } catch (error) {
    const header = readHeader(raw);
    const text = error instanceof WireProtocolError ? error.message : String(error);
    ctx.log.error(`[conn${ctx.connectionId}] unreadable message: ${text}`);
    const doc = new MongoCommandError(Codes.FailedToParse, text).toReply();
    reply(
      header.opCode === OP_QUERY
        ? encodeOpReply(requestId(), header.requestId, doc, true)
        : encodeOpMsg(requestId(), header.requestId, doc),
    );
    return;
  }

  if (message.kind === 'unsupported') {
    const text = `wire protocol opcode ${message.header.opCode} is not supported by the DocumentDB test gateway`;
    ctx.log.error(`[conn${ctx.connectionId}] ${text}`);
    reply(encodeOpMsg(requestId(), message.header.requestId, new MongoCommandError(238, text).toReply()));
    return;
  }

  if (message.kind === 'query') {
    const dot = message.fullCollectionName.indexOf('.');
    const db = dot < 0 ? message.fullCollectionName : message.fullCollectionName.slice(0, dot);
    const collection = dot < 0 ? '' : message.fullCollectionName.slice(dot + 1);
    if (collection !== '$cmd') {
      const doc = { $err: 'OP_QUERY is only supported for commands', code: 352, ok: 0 };
      reply(encodeOpReply(requestId(), message.header.requestId, doc, true));
      return;
    }
    // Legacy commands may come wrapped as {$query: {...}, $readPreference: ...}.
    const query = message.query.$query;
    const cmd = typeof query === 'object' && query !== null ? (query as Document) : message.query;
    const result = await timed(ctx, db, cmd);
    reply(encodeOpReply(requestId(), message.header.requestId, result));
    return;
  }

  const db = typeof message.body.$db === 'string' ? message.body.$db : 'admin';
  const result = await timed(ctx, db, message.body);
  if ((message.flags & FLAG_MORE_TO_COME) !== 0) return; // unacknowledged write: no reply
  reply(encodeOpMsg(requestId(), message.header.requestId, result));
}

async function timed(ctx: CommandContext, db: string, cmd: Document): Promise<Document> {
  const started = performance.now();
  const result = await runCommand(ctx, cmd, db);
  const name = Object.keys(cmd)[0] ?? '?';
  const ms = (performance.now() - started).toFixed(1);
  if (result.ok === 0) {
    const line = `[conn${ctx.connectionId}] ${db}.${name} failed in ${ms} ms: ${String(result.code)} ${String(result.errmsg)}`;
    if (result.code === Codes.HostUnreachable || result.code === Codes.InternalError) ctx.log.error(line);
    else ctx.log.verbose(line);
  } else {
    ctx.log.verbose(`[conn${ctx.connectionId}] ${db}.${name} ok in ${ms} ms${describe(cmd, result)}`);
  }
  return result;
}

function describe(cmd: Document, result: Document): string {
  const target = Object.values(cmd)[0];
  const parts: string[] = [];
  if (typeof target === 'string') parts.push(`coll=${target}`);
  if (Array.isArray(result.writeErrors)) parts.push(`writeErrors=${result.writeErrors.length}`);
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}
