// Assembles the repositories over one database: MongoDB (openStorage) or memory
// (createMemoryStorage). Both give the same `Storage`; the contract tests run the
// same suites against both.
import { type BotStateRepository, BotStateStore, botStateIndexes, botStateKinds } from './bot-state.ts';
import {
  type BroadcastRepository,
  BroadcastStore,
  broadcastIndexes,
  broadcastKind,
  deliveryKind,
} from './broadcasts.ts';
import { type CampaignRepository, CampaignStore, campaignIndexes, campaignKind } from './campaigns.ts';
import { type CandidacyRepository, CandidacyStore, candidacyIndexes, candidacyKind } from './candidacies.ts';
import type { DocumentKind } from './documents.ts';
import {
  type ProcessedEventRepository,
  ProcessedEventStore,
  processedEventIndexes,
  processedEventKind,
} from './events.ts';
import { type JuryRepository, JuryStore, juryIndexes, juryRecordKind } from './jury.ts';
import {
  type BallotRoomRepository,
  BallotRoomStore,
  ballotRoomIndexes,
  ballotRoomKind,
} from './jury-ballot-rooms.ts';
import { foldLegacyJury } from './jury-legacy.ts';
import { type JuryReminderRepository, JuryReminderStore, juryReminderKind } from './jury-reminders.ts';
import { MemoryDatabase } from './memory-engine.ts';
import {
  moveLegacyValues,
  type OrganiserRepository,
  OrganiserStore,
  organiserIndexes,
  organiserKinds,
} from './organisers.ts';
import { MongoDatabase, type MongoDatabaseOptions } from './mongo-engine.ts';
import type { Database, IndexSpec } from './port.ts';
import { type MigrationReport, migrateCollection } from './util.ts';

export interface Storage {
  readonly campaigns: CampaignRepository;
  readonly candidacies: CandidacyRepository;
  readonly jury: JuryRepository;
  readonly ballotRooms: BallotRoomRepository;
  readonly juryReminders: JuryReminderRepository;
  readonly broadcasts: BroadcastRepository;
  readonly events: ProcessedEventRepository;
  readonly botState: BotStateRepository;
  readonly organisers: OrganiserRepository;
  /** Creates the indexes (idempotent; done by openStorage). */
  ensureIndexes(): Promise<void>;
  /** Rewrites documents stored with an older schema version (done by openStorage). */
  migrate(): Promise<MigrationReport[]>;
  /** Readiness: throws StorageUnavailableError if the database cannot be reached. */
  ping(): Promise<void>;
  /** Commands sent to the database so far (round trips), for tests and benchmarks. */
  commandCount(): number;
  close(): Promise<void>;
}

const INDEXES: Record<string, IndexSpec[]> = {
  candidacies: candidacyIndexes,
  campaigns: campaignIndexes,
  processed_events: processedEventIndexes,
  ...juryIndexes,
  ...ballotRoomIndexes,
  ...broadcastIndexes,
  ...botStateIndexes,
  ...organiserIndexes,
};

/** Every kind of document, with whether it carries an optimistic-concurrency `version`. */
const KINDS: { kind: DocumentKind<unknown>; versioned: boolean }[] = [
  { kind: candidacyKind, versioned: true },
  { kind: campaignKind, versioned: true },
  { kind: juryRecordKind, versioned: true },
  { kind: ballotRoomKind, versioned: false },
  { kind: juryReminderKind, versioned: false },
  { kind: broadcastKind, versioned: false },
  { kind: deliveryKind, versioned: false },
  { kind: processedEventKind, versioned: false },
  ...Object.values(botStateKinds).map((kind) => ({ kind: kind as DocumentKind<unknown>, versioned: false })),
  { kind: organiserKinds.confirmations as DocumentKind<unknown>, versioned: true },
  { kind: organiserKinds.notices as DocumentKind<unknown>, versioned: false },
];

export interface StorageOptions {
  /** The clock used when a caller gives no date (tests inject one). */
  now?: () => Date;
}

export function buildStorage(db: Database, options: StorageOptions = {}): Storage {
  const now = options.now ?? (() => new Date());
  const collection = (name: string) => db.collection(name);
  const organisers = new OrganiserStore(collection, now);
  return {
    campaigns: new CampaignStore(collection('campaigns'), now),
    candidacies: new CandidacyStore(collection('candidacies'), now),
    jury: new JuryStore(collection, now),
    ballotRooms: new BallotRoomStore(collection, now),
    juryReminders: new JuryReminderStore(collection, now),
    broadcasts: new BroadcastStore(collection, now),
    events: new ProcessedEventStore(collection('processed_events'), now),
    botState: new BotStateStore(collection, now),
    organisers,
    async ensureIndexes() {
      for (const [name, specs] of Object.entries(INDEXES)) await db.collection(name).ensureIndexes(specs);
    },
    async migrate() {
      const reports: MigrationReport[] = [await foldLegacyJury(collection)];
      for (const { kind, versioned } of KINDS) {
        if (kind.current > 1)
          reports.push(await migrateCollection(db.collection(kind.collection), kind, versioned));
      }
      reports.push(await moveLegacyValues(collection('bot_state'), organisers));
      return reports;
    },
    ping: () => db.ping(),
    commandCount: () => db.commandCount(),
    close: () => db.close(),
  };
}

export interface OpenStorageOptions extends MongoDatabaseOptions, StorageOptions {}

/**
 * Connects to MongoDB (or a compatible server), settles the write concern, creates
 * the indexes and upgrades old documents. Throws StorageUnavailableError when the
 * server cannot be reached within serverSelectionTimeoutMS.
 */
export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  const db = await MongoDatabase.connect(options);
  const storage = buildStorage(db, options);
  try {
    await storage.ensureIndexes();
    const reports = await storage.migrate();
    for (const report of reports) {
      if (report.upgraded > 0)
        options.logger?.info({ ...report }, 'documents upgraded to the current schema');
    }
    return storage;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

export interface MemoryStorage extends Storage {
  /** The underlying in-memory database (to simulate outages or plant raw documents in tests). */
  readonly database: MemoryDatabase;
}

/** The in-memory double: same interface and behaviour, nothing persisted. */
export function createMemoryStorage(options: StorageOptions = {}): MemoryStorage {
  const database = new MemoryDatabase();
  for (const [name, specs] of Object.entries(INDEXES)) database.collection(name).defineIndexes(specs);
  return { ...buildStorage(database, options), database };
}
