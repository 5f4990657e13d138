// MongoDB engine: the port (port.ts) on the official driver. It only translates:
// driver errors become typed storage errors (unique violations -> DuplicateError
// naming the index, network trouble -> StorageUnavailableError) and every command
// sent is counted, so benchmarks and tests can check round trips.
import {
  type Collection,
  type Db,
  type Document,
  MongoBulkWriteError,
  MongoClient,
  type MongoClientOptions,
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  type WriteConcernSettings,
} from 'mongodb';
import { DuplicateError, StorageError, StorageUnavailableError } from './errors.ts';
import type {
  Database,
  DocCollection,
  Filter,
  FindOptions,
  IndexSpec,
  InsertManyResult,
  Projection,
  RawDoc,
  Update,
  UpdateResult,
} from './port.ts';

export interface StorageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Server error codes that mean "the server is going away or cannot serve now". */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'SystemOverloadedError'];
const UNAVAILABLE_NAMES = new Set(['MongoPoolClearedError', 'MongoWaitQueueTimeoutError']);

export function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  if (!(error instanceof MongoError)) return false;
  if (UNAVAILABLE_NAMES.has(error.name)) return true;
  if (UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label))) return true;
  return (
    error instanceof MongoServerError && typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code)
  );
}

function isDuplicateKey(error: { code?: unknown }): boolean {
  return error.code === 11000 || error.code === 11001;
}

/** Finds which of our indexes a duplicate-key message is about (MongoDB and DocumentDB word it differently). */
export function violatedIndex(message: string, keyPattern: unknown, specs: readonly IndexSpec[]): string {
  const named = /index: (\S+)/.exec(message)?.[1] ?? /[Ii]ndex '([^']+)'/.exec(message)?.[1];
  if (named) return named;
  if (keyPattern && typeof keyPattern === 'object') {
    const fields = Object.keys(keyPattern).sort().join(',');
    if (fields === '_id') return '_id_';
    const spec = specs.find((s) => Object.keys(s.keys).sort().join(',') === fields);
    if (spec) return spec.name;
  }
  for (const spec of specs) if (message.includes(spec.name)) return spec.name;
  return message.includes('_id') ? '_id_' : 'unknown';
}

class MongoCollection implements DocCollection {
  readonly name: string;
  readonly #collection: Collection<RawDoc>;
  #specs: readonly IndexSpec[] = [];
  readonly #logger: StorageLogger | undefined;

  constructor(collection: Collection<RawDoc>, logger: StorageLogger | undefined) {
    this.name = collection.collectionName;
    this.#collection = collection;
    this.#logger = logger;
  }

  #translate(error: unknown): unknown {
    if (error instanceof StorageError) return error;
    if (isUnavailable(error)) {
      const message = error instanceof Error ? error.message : String(error);
      this.#logger?.warn({ collection: this.name, err: message }, 'database unavailable');
      return new StorageUnavailableError(`database unavailable (${this.name}): ${message}`, { cause: error });
    }
    if (error instanceof MongoServerError && isDuplicateKey(error)) {
      const index = violatedIndex(error.message, error.keyPattern, this.#specs);
      return new DuplicateError(this.name, index, { cause: error });
    }
    return error;
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.#translate(error);
    }
  }

  insertOne(doc: RawDoc): Promise<void> {
    return this.#run(async () => {
      await this.#collection.insertOne(doc);
    });
  }

  insertMany(docs: readonly RawDoc[]): Promise<InsertManyResult> {
    if (docs.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return this.#run(async () => {
      try {
        const result = await this.#collection.insertMany([...docs], { ordered: false });
        return { inserted: result.insertedCount, duplicates: 0 };
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
        if (error.err || writeErrors.some((e) => !isDuplicateKey(e))) throw error;
        return { inserted: error.insertedCount, duplicates: writeErrors.length };
      }
    });
  }

  findOne(filter: Filter, options?: { projection?: Projection }): Promise<RawDoc | null> {
    return this.#run(() =>
      this.#collection.findOne(
        filter as Document,
        options?.projection ? { projection: options.projection } : {},
      ),
    );
  }

  find(filter: Filter, options?: FindOptions): AsyncIterable<RawDoc> {
    const collection = this.#collection;
    const translate = (error: unknown): unknown => this.#translate(error);
    return {
      async *[Symbol.asyncIterator]() {
        const cursor = collection.find(filter as Document, {
          ...(options?.projection ? { projection: options.projection } : {}),
          ...(options?.sort ? { sort: options.sort } : {}),
          ...(options?.limit !== undefined ? { limit: options.limit } : {}),
        });
        try {
          for await (const doc of cursor) yield doc as RawDoc;
        } catch (error) {
          throw translate(error);
        } finally {
          await cursor.close().catch(() => undefined);
        }
      },
    };
  }

  findOneAndUpdate(
    filter: Filter,
    update: Update,
    options?: { upsert?: boolean; projection?: Projection },
  ): Promise<RawDoc | null> {
    return this.#run(() =>
      this.#collection.findOneAndUpdate(filter as Document, update as Document, {
        returnDocument: 'after',
        upsert: options?.upsert ?? false,
        ...(options?.projection ? { projection: options.projection } : {}),
      }),
    );
  }

  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<UpdateResult> {
    return this.#run(async () => {
      const result = await this.#collection.updateOne(filter as Document, update as Document, {
        upsert: options?.upsert ?? false,
      });
      return { matched: result.matchedCount, upserted: result.upsertedCount > 0 };
    });
  }

  replaceOne(filter: Filter, doc: RawDoc): Promise<number> {
    return this.#run(async () => {
      const result = await this.#collection.replaceOne(filter as Document, doc);
      return result.matchedCount;
    });
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.#run(async () => (await this.#collection.deleteMany(filter as Document)).deletedCount);
  }

  countDocuments(filter: Filter): Promise<number> {
    return this.#run(() => this.#collection.countDocuments(filter as Document));
  }

  ensureIndexes(specs: readonly IndexSpec[]): Promise<void> {
    this.#specs = specs;
    if (specs.length === 0) return Promise.resolve();
    return this.#run(async () => {
      try {
        await this.#collection.createIndexes(specs.map((spec) => toIndexDescription(spec, 'partial')));
      } catch (error) {
        if (isUnavailable(error) || !specs.some((spec) => spec.onlyWhereExists)) throw error;
        // Some MongoDB-compatible servers refuse partial indexes; a sparse index on the same
        // single field excludes the same documents (those without the field).
        this.#logger?.warn(
          { collection: this.name, err: error instanceof Error ? error.message : String(error) },
          'partial index refused, using sparse indexes',
        );
        await this.#collection.createIndexes(specs.map((spec) => toIndexDescription(spec, 'sparse')));
      }
    });
  }
}

function toIndexDescription(spec: IndexSpec, mode: 'partial' | 'sparse') {
  const base = { key: { ...spec.keys }, name: spec.name, unique: spec.unique ?? false };
  if (!spec.onlyWhereExists) return base;
  if (mode === 'partial') {
    return { ...base, partialFilterExpression: { [spec.onlyWhereExists]: { $exists: true } } };
  }
  if (Object.keys(spec.keys).join() !== spec.onlyWhereExists) {
    throw new Error(
      `index ${spec.name}: a sparse fallback needs the key to be ${spec.onlyWhereExists} alone`,
    );
  }
  return { ...base, sparse: true };
}

export type WriteConcernChoice = 'auto' | 'majority' | 'w1';

export interface MongoDatabaseOptions {
  uri: string;
  dbName: string;
  logger?: StorageLogger;
  /** How long an operation waits for a reachable server before StorageUnavailableError. Default 2000 ms. */
  serverSelectionTimeoutMS?: number;
  /**
   * 'auto' (default): majority with journal where the server accepts it, else w:1.
   * 'majority' or 'w1' force the choice.
   */
  writeConcern?: WriteConcernChoice;
  /** Extra driver options (e.g. TLS); our own settings win on conflict. */
  clientOptions?: MongoClientOptions;
}

const CANDIDATE_CONCERNS: Record<WriteConcernChoice, WriteConcernSettings[]> = {
  auto: [{ w: 'majority', journal: true }, { w: 1, journal: true }, { w: 1 }],
  majority: [{ w: 'majority', journal: true }],
  w1: [{ w: 1 }],
};

export class MongoDatabase implements Database {
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #logger: StorageLogger | undefined;
  readonly #collections = new Map<string, MongoCollection>();
  #commands = 0;
  writeConcern: WriteConcernSettings;

  private constructor(
    client: MongoClient,
    db: Db,
    writeConcern: WriteConcernSettings,
    logger?: StorageLogger,
  ) {
    this.#client = client;
    this.#db = db;
    this.writeConcern = writeConcern;
    this.#logger = logger;
    client.on('commandStarted', () => {
      this.#commands += 1;
    });
  }

  /** Connects, then settles the write concern by trying it (the server's answer is what counts). */
  static async connect(options: MongoDatabaseOptions): Promise<MongoDatabase> {
    const client = new MongoClient(options.uri, {
      ...options.clientOptions,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 2000,
      monitorCommands: true,
      ignoreUndefined: true,
      appName: options.clientOptions?.appName ?? 'tnl-bot',
    });
    try {
      await client.connect();
      const candidates = CANDIDATE_CONCERNS[options.writeConcern ?? 'auto'];
      const chosen = await probeWriteConcern(client, options.dbName, candidates, options.logger);
      options.logger?.info({ writeConcern: chosen, dbName: options.dbName }, 'storage connected');
      return new MongoDatabase(
        client,
        client.db(options.dbName, { writeConcern: chosen }),
        chosen,
        options.logger,
      );
    } catch (error) {
      await client.close().catch(() => undefined);
      if (isUnavailable(error)) {
        const message = error instanceof Error ? error.message : String(error);
        throw new StorageUnavailableError(`database unavailable: ${message}`, { cause: error });
      }
      throw error;
    }
  }

  collection(name: string): DocCollection {
    let collection = this.#collections.get(name);
    if (!collection) {
      collection = new MongoCollection(this.#db.collection<RawDoc>(name), this.#logger);
      this.#collections.set(name, collection);
    }
    return collection;
  }

  commandCount(): number {
    return this.#commands;
  }

  async ping(): Promise<void> {
    try {
      await this.#db.command({ ping: 1 });
    } catch (error) {
      if (isUnavailable(error)) {
        const message = error instanceof Error ? error.message : String(error);
        throw new StorageUnavailableError(`database unavailable: ${message}`, { cause: error });
      }
      throw error;
    }
  }

  /** For tests and tools: drop the whole database. */
  async dropDatabase(): Promise<void> {
    await this.#db.dropDatabase();
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

async function probeWriteConcern(
  client: MongoClient,
  dbName: string,
  candidates: readonly WriteConcernSettings[],
  logger: StorageLogger | undefined,
): Promise<WriteConcernSettings> {
  let lastError: unknown;
  for (const writeConcern of candidates) {
    try {
      const probe = client.db(dbName, { writeConcern }).collection<RawDoc>('storage_probe');
      await probe.updateOne({ _id: 'write-concern' }, { $set: { at: new Date() } }, { upsert: true });
      return writeConcern;
    } catch (error) {
      if (isUnavailable(error)) throw error;
      lastError = error;
      logger?.warn(
        { writeConcern, err: error instanceof Error ? error.message : String(error) },
        'write concern refused by the server',
      );
    }
  }
  throw lastError;
}
