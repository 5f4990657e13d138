// matrix-bot-sdk's client saves the sync position before (or right after) emitting a
// batch's events, while our handlers are still running: a crash would then skip those
// events for ever. This subclass hands every event to `dispatch` (which queues it in
// its room and returns a promise of its handling) and saves the position itself, only
// once every event of that batch and of all earlier batches has been handled.
// Events are therefore delivered at least once; handlers deduplicate by event id.
import { MatrixClient, MemoryStorageProvider } from 'matrix-bot-sdk';
import { SyncCheckpoint } from './sync-checkpoint.ts';
import type { RawEvent } from './types.ts';

export type SyncDelivery =
  | { kind: 'timeline'; roomId: string; event: RawEvent }
  | { kind: 'invite'; roomId: string; event: RawEvent }
  | { kind: 'leave'; roomId: string; event: RawEvent };

export interface SyncPosition {
  load(): Promise<string | null>;
  save(token: string): Promise<void>;
}

export interface DurableSyncOptions {
  homeserverUrl: string;
  accessToken: string;
  position: SyncPosition;
  /** Queues one delivery; the promise settles when it has been handled. */
  dispatch: (delivery: SyncDelivery, initial: boolean) => Promise<void>;
  /** Long-poll timeout of /sync. */
  syncTimeoutMs?: number;
  /** A sync position could not be saved (it is tried again with the next batch). */
  onSaveError?: (error: unknown) => void;
}

export class DurableSyncClient extends MatrixClient {
  private readonly position: SyncPosition;
  private readonly dispatch: DurableSyncOptions['dispatch'];
  private readonly checkpoint: SyncCheckpoint;
  private initialSync = false;

  constructor(options: DurableSyncOptions) {
    // The SDK's own storage only ever sees throw-away values; the real position lives in `position`.
    super(options.homeserverUrl, options.accessToken, new MemoryStorageProvider());
    this.position = options.position;
    this.dispatch = options.dispatch;
    this.checkpoint = new SyncCheckpoint((token) => this.position.save(token), options.onSaveError);
    this.syncingTimeout = options.syncTimeoutMs ?? 30_000;
  }

  protected override async startSyncInternal(): Promise<void> {
    const saved = await this.position.load();
    // With no saved position, this is the bot's first start: the first batch is
    // history from before it started, and is not acted upon.
    this.initialSync = saved === null;
    await this.storageProvider.setSyncToken(saved);
    return this.startSync();
  }

  protected override async processSync(raw: unknown): Promise<void> {
    const batch = raw as SyncResponse | undefined;
    if (!batch?.next_batch) return;
    const work: Array<Promise<void>> = [];
    const initial = this.initialSync;
    this.initialSync = false;
    const rooms = batch.rooms ?? {};
    for (const [roomId, room] of Object.entries(rooms.invite ?? {})) {
      const invite = (room.invite_state?.events ?? []).find(
        (e) =>
          e.type === 'm.room.member' && e.state_key === this.botUserId && e.content?.membership === 'invite',
      );
      if (invite)
        work.push(this.dispatch({ kind: 'invite', roomId, event: invite as unknown as RawEvent }, initial));
    }
    for (const [roomId, room] of Object.entries(rooms.join ?? {})) {
      for (const event of room.timeline?.events ?? []) {
        work.push(this.dispatch({ kind: 'timeline', roomId, event: event as unknown as RawEvent }, initial));
      }
    }
    for (const [roomId, room] of Object.entries(rooms.leave ?? {})) {
      const leave = (room.timeline?.events ?? []).find(
        (e) => e.type === 'm.room.member' && e.state_key === this.botUserId,
      );
      if (leave)
        work.push(this.dispatch({ kind: 'leave', roomId, event: leave as unknown as RawEvent }, initial));
    }
    const step = this.checkpoint.begin(batch.next_batch);
    void Promise.allSettled(work).then(() => step.done());
  }

  /** Set by the app once whoami answered, so membership events can be recognised. */
  botUserId = '';

  /** Resolves once the position of every fully handled batch has been saved. */
  async positionSaved(): Promise<void> {
    await this.checkpoint.flushed();
  }
}

interface SyncEvent {
  type: string;
  state_key?: string;
  content?: Record<string, unknown>;
  [key: string]: unknown;
}

interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: SyncEvent[] } }>;
    invite?: Record<string, { invite_state?: { events?: SyncEvent[] } }>;
    leave?: Record<string, { timeline?: { events?: SyncEvent[] } }>;
  };
}
