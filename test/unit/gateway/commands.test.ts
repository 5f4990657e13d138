import { Long, type Document } from 'bson';
import { describe, expect, it } from 'vitest';
import { asNumber } from '../../../scripts/docdb-gateway/bson-util.ts';
import { forwardable, runCommand, type CommandContext } from '../../../scripts/docdb-gateway/commands.ts';
import { CursorRegistry } from '../../../scripts/docdb-gateway/cursors.ts';
import {
  fromPostgresError,
  MongoCommandError,
  normaliseWriteErrorCode,
  packSqlState,
  unpackSqlState,
} from '../../../scripts/docdb-gateway/errors.ts';
import { silentLogger } from '../../../scripts/docdb-gateway/log.ts';
import { FakeBackend, pageRow, resultRow, type Responder } from './fake-backend.ts';

function context(responder: Responder, maxPinned = 4): { ctx: CommandContext; backend: FakeBackend } {
  const backend = new FakeBackend(responder);
  const cursors = new CursorRegistry({ idleTimeoutMs: 60_000, maxPinned });
  return {
    backend,
    ctx: { backend, cursors, connectionId: 1, remoteAddress: '127.0.0.1:1', log: silentLogger },
  };
}

const noSql: Responder = (call) => {
  throw new Error(`no SQL expected, got ${call.sql}`);
};

describe('SQLSTATE codes', () => {
  it('pack and unpack the way PostgreSQL does', () => {
    expect(unpackSqlState(packSqlState('M001C'))).toBe('M001C');
    expect(unpackSqlState(packSqlState('23505'))).toBe('23505');
  });

  it('map DocumentDB duplicate key write errors to 11000 and leave MongoDB codes alone', () => {
    expect(normaliseWriteErrorCode(packSqlState('M001C'))).toBe(11000);
    expect(normaliseWriteErrorCode(11000)).toBe(11000);
    expect(normaliseWriteErrorCode(2)).toBe(2);
  });

  it('map PostgreSQL errors to MongoDB ones', () => {
    expect(fromPostgresError({ code: '23505', message: 'dup' }).code).toBe(11000);
    expect(fromPostgresError({ code: 'M0008', message: 'ns' }).code).toBe(26);
    expect(fromPostgresError({ code: 'M0ZZZ', message: 'odd' }).toReply()).toMatchObject({ ok: 0, code: 2 });
    const lost = fromPostgresError({
      code: '57P01',
      message: 'terminating connection due to administrator command',
    });
    expect(lost.connectionLost).toBe(true);
    expect(lost.code).toBe(6);
    expect(fromPostgresError(new Error('Connection terminated unexpectedly')).connectionLost).toBe(true);
  });
});

describe('runCommand', () => {
  it('answers hello as a writable standalone without touching PostgreSQL', async () => {
    const { ctx, backend } = context(noSql);
    const reply = await runCommand(ctx, { hello: 1, helloOk: true, $db: 'admin' }, 'admin');
    expect(reply).toMatchObject({
      helloOk: true,
      isWritablePrimary: true,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      logicalSessionTimeoutMinutes: 30,
      maxWireVersion: 21,
      ok: 1,
    });
    expect(reply).not.toHaveProperty('setName');
    expect((await runCommand(ctx, { isMaster: 1 }, 'admin')).ismaster).toBe(true);
    expect(backend.calls).toEqual([]);
  });

  it('names the unsupported command in a CommandNotFound error', async () => {
    const { ctx } = context(noSql);
    expect(await runCommand(ctx, { mapReduce: 'c', $db: 'x' }, 'x')).toEqual({
      ok: 0,
      errmsg: 'command mapReduce is not supported by the DocumentDB test gateway',
      code: 59,
      codeName: 'CommandNotFound',
    });
  });

  it('refuses transactions the way a standalone mongod does', async () => {
    const { ctx } = context(noSql);
    const reply = await runCommand(
      ctx,
      { insert: 'c', documents: [], startTransaction: true, autocommit: false },
      'x',
    );
    expect(reply).toMatchObject({ ok: 0, code: 20 });
  });

  it('forwards commands without driver plumbing, keeping field order', () => {
    const cmd = {
      update: 'c',
      updates: [],
      ordered: true,
      lsid: {},
      $clusterTime: {},
      $db: 'x',
      txnNumber: 1,
    };
    expect(Object.keys(forwardable(cmd))).toEqual(['update', 'updates', 'ordered']);
  });

  it('turns a duplicate key raised by findAndModify into a top-level 11000', async () => {
    const { ctx } = context(() => {
      throw new MongoCommandError(
        11000,
        "Duplicate key violation on the requested collection: Index 'email_1'",
      );
    });
    const reply = await runCommand(ctx, { findAndModify: 'c', query: {}, update: { $set: { a: 1 } } }, 'x');
    expect(reply).toMatchObject({ ok: 0, code: 11000, codeName: 'DuplicateKey' });
  });

  it('renames the findandmodify alias for DocumentDB', async () => {
    const { ctx, backend } = context(() => resultRow({ value: null, ok: 1 }));
    await runCommand(ctx, { findandmodify: 'c', query: {}, remove: true }, 'x');
    expect(Object.keys(backend.calls[0]?.docs[0] ?? {})).toEqual(['findAndModify', 'query', 'remove']);
  });

  it('keeps a persisted cursor on its PostgreSQL connection until it is exhausted', async () => {
    let batch = 0;
    const { ctx, backend } = context((call) => {
      if (call.fn === 'find_cursor_first_page') {
        return pageRow(
          { cursor: { firstBatch: [{ n: 0 }], id: Long.fromNumber(9), ns: 'x.c' }, ok: 1 },
          { qn: 'p' },
          true,
        );
      }
      if (call.fn === 'cursor_get_more') {
        batch++;
        const id = Long.fromNumber(batch < 2 ? 9 : 0);
        return pageRow(
          { cursor: { nextBatch: [{ n: batch }], id, ns: 'x.c' }, ok: 1 },
          batch < 2 ? { qn: 'p' } : null,
        );
      }
      return [];
    });
    await runCommand(ctx, { find: 'c', batchSize: 1 }, 'x');
    expect(backend.openLeases).toBe(1);
    await runCommand(ctx, { getMore: Long.fromNumber(9), collection: 'c' }, 'x');
    const last = await runCommand(ctx, { getMore: Long.fromNumber(9), collection: 'c' }, 'x');
    expect(asNumber((last.cursor as Document).id)).toBe(0);
    const leaseIds = new Set(backend.calls.filter((c) => c.fn !== undefined).map((c) => c.leaseId));
    expect(leaseIds.size).toBe(1);
    expect(backend.calls.at(-1)?.sql).toBe('CLOSE ALL');
    expect(backend.openLeases).toBe(0);
    expect(await runCommand(ctx, { getMore: Long.fromNumber(9), collection: 'c' }, 'x')).toMatchObject({
      ok: 0,
      code: 43,
    });
  });

  it('kills cursors and reports unknown ones', async () => {
    const { ctx, backend } = context((call) =>
      call.fn === 'aggregate_cursor_first_page'
        ? pageRow({ cursor: { firstBatch: [], id: Long.fromNumber(5), ns: 'x.c' }, ok: 1 }, { qc: {} })
        : [],
    );
    await runCommand(ctx, { aggregate: 'c', pipeline: [], cursor: { batchSize: 0 } }, 'x');
    const reply = await runCommand(
      ctx,
      { killCursors: 'c', cursors: [Long.fromNumber(5), Long.fromNumber(6)] },
      'x',
    );
    expect(reply.cursorsKilled).toEqual([Long.fromNumber(5)]);
    expect(reply.cursorsNotFound).toEqual([Long.fromNumber(6)]);
    expect(backend.openLeases).toBe(0);
  });

  it('drops a connection that died mid-command and answers an error', async () => {
    const { ctx, backend } = context(() => {
      throw fromPostgresError(new Error('Connection terminated unexpectedly'));
    });
    const reply = await runCommand(ctx, { insert: 'c', documents: [{ a: 1 }] }, 'x');
    expect(reply).toMatchObject({ ok: 0, code: 6 });
    expect(String(reply.errmsg)).toMatch(/PostgreSQL connection lost/);
    expect(backend.released).toEqual([{ leaseId: 1, broken: true }]);
  });
});
