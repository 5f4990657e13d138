// An in-memory stand-in for PostgreSQL + DocumentDB: it records each SQL call and answers
// with whatever the test's responder returns (BSON given back in DocumentDB's BSONHEX form).
import type { Document } from 'bson';
import type { Lease, Row, SqlBackend } from '../../../scripts/docdb-gateway/backend.ts';
import { fromBsonHex, toBsonHex } from '../../../scripts/docdb-gateway/bson-util.ts';

export interface SqlCall {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly leaseId: number;
  /** The SQL function called (documentdb_api.insert -> "insert"), if any. */
  readonly fn: string | undefined;
  /** The bson parameters, decoded. */
  readonly docs: Document[];
}

export type Responder = (call: SqlCall) => Row[] | Promise<Row[]>;

export class FakeBackend implements SqlBackend {
  readonly calls: SqlCall[] = [];
  readonly released: { leaseId: number; broken: boolean }[] = [];
  private nextLease = 1;
  responder: Responder;

  constructor(responder: Responder) {
    this.responder = responder;
  }

  get openLeases(): number {
    return this.nextLease - 1 - this.released.length;
  }

  acquire(): Promise<Lease> {
    const leaseId = this.nextLease++;
    let released = false;
    return Promise.resolve({
      query: async (sql: string, params: readonly unknown[]) => {
        if (released) throw new Error(`lease ${leaseId} used after release`);
        const fn = /documentdb_api(?:_internal)?\.(\w+)/.exec(sql)?.[1];
        const docs = params
          .filter((p): p is string => typeof p === 'string' && p.startsWith('BSONHEX'))
          .map(fromBsonHex);
        const call: SqlCall = { sql, params, leaseId, fn, docs };
        this.calls.push(call);
        return this.responder(call);
      },
      release: (broken = false) => {
        if (released) return;
        released = true;
        this.released.push({ leaseId, broken });
      },
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A row as `SELECT (...)::text AS result` returns it. */
export function resultRow(doc: Document): Row[] {
  return [{ result: toBsonHex(doc) }];
}

/** A row of a *_cursor_first_page / cursor_get_more call. */
export function pageRow(page: Document, continuation: Document | null, persist = false): Row[] {
  return [
    { page: toBsonHex(page), continuation: continuation === null ? null : toBsonHex(continuation), persist },
  ];
}
