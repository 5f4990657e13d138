// PostgreSQL access for the gateway: a bounded pool of connections, leased per command (or kept
// by a cursor whose state lives in one PostgreSQL session).
import pg from 'pg';
import { fromPostgresError, MongoCommandError } from './errors.ts';

export type Row = Record<string, unknown>;

/** One PostgreSQL connection, lent to a command or a cursor. */
export interface Lease {
  query(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Returns the connection; `broken` drops it so the next command gets a fresh one. */
  release(broken?: boolean): void;
}

export interface SqlBackend {
  acquire(): Promise<Lease>;
  close(): Promise<void>;
}

export interface PgBackendOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Called for errors on idle connections (they are dropped and replaced on demand). */
  readonly onIdleError: (error: Error) => void;
}

const ACQUIRE_TIMEOUT_MS = 15_000;

export class PgBackend implements SqlBackend {
  private readonly pool: pg.Pool;

  constructor(options: PgBackendOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      application_name: 'docdb-gateway',
      connectionTimeoutMillis: ACQUIRE_TIMEOUT_MS,
      idleTimeoutMillis: 60_000,
    });
    // An idle connection killed by the server must not crash the process; the pool drops it.
    this.pool.on('error', options.onIdleError);
  }

  async acquire(): Promise<Lease> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new MongoCommandError(
        6,
        `cannot reach PostgreSQL: ${(error as Error).message} (the gateway retries on the next command)`,
        { connectionLost: true },
      );
    }
    let released = false;
    let dead = false;
    // The pool only watches idle connections; one lent out for long (a cursor's) must not
    // crash the process with an unhandled 'error' when PostgreSQL goes away.
    const onError = (): void => {
      dead = true;
    };
    client.on('error', onError);
    return {
      async query(sql, params) {
        try {
          const result = await client.query(sql, params as unknown[]);
          return result.rows as Row[];
        } catch (error) {
          throw fromPostgresError(error);
        }
      },
      release(broken = false) {
        if (released) return;
        released = true;
        client.removeListener('error', onError);
        client.release(broken || dead);
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
