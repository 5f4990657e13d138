// Open cursors, shared by all client connections (the driver may send getMore on any pooled
// connection). DocumentDB keeps no cursor state of its own between calls: it hands back a
// continuation document that the next cursor_get_more needs, and, for "persisted" cursors,
// an open portal that lives in one PostgreSQL session, so that session stays with the cursor.
import type { Document, Long } from 'bson';
import type { Lease } from './backend.ts';

export interface CursorEntry {
  readonly id: Long;
  readonly db: string;
  readonly collection: string;
  continuation: Document;
  /** Set when the cursor's state lives in one PostgreSQL session. */
  readonly lease: Lease | undefined;
  lastUsed: number;
  busy: boolean;
}

export interface CursorRegistryOptions {
  readonly idleTimeoutMs: number;
  /** Cap on cursors holding a PostgreSQL connection, so they cannot starve the pool. */
  readonly maxPinned: number;
  readonly now?: () => number;
}

export class CursorRegistry {
  private readonly entries = new Map<string, CursorEntry>();
  private readonly options: CursorRegistryOptions;
  private readonly now: () => number;

  constructor(options: CursorRegistryOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Registers a cursor; returns cursors evicted to respect the pinned-connection cap. */
  add(entry: Omit<CursorEntry, 'lastUsed' | 'busy'>): CursorEntry[] {
    const evicted: CursorEntry[] = [];
    if (entry.lease !== undefined) {
      const pinned = [...this.entries.values()].filter((e) => e.lease !== undefined && !e.busy);
      pinned.sort((a, b) => a.lastUsed - b.lastUsed);
      while (pinned.length >= this.options.maxPinned) {
        const oldest = pinned.shift()!;
        this.entries.delete(oldest.id.toString());
        evicted.push(oldest);
      }
    }
    this.entries.set(entry.id.toString(), { ...entry, lastUsed: this.now(), busy: false });
    return evicted;
  }

  get(id: Long): CursorEntry | undefined {
    return this.entries.get(id.toString());
  }

  /** Removes and returns a cursor (killCursors, exhausted, or failed). */
  remove(id: Long): CursorEntry | undefined {
    const key = id.toString();
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry;
  }

  /** Removes and returns the cursors idle for longer than the timeout. */
  takeExpired(): CursorEntry[] {
    const limit = this.now() - this.options.idleTimeoutMs;
    const expired: CursorEntry[] = [];
    for (const [key, entry] of this.entries) {
      if (!entry.busy && entry.lastUsed < limit) {
        this.entries.delete(key);
        expired.push(entry);
      }
    }
    return expired;
  }

  takeAll(): CursorEntry[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }

  touch(entry: CursorEntry): void {
    entry.lastUsed = this.now();
  }
}
