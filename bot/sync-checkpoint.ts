// Decides when a sync position may be saved: only once every event of that sync
// batch, and of every batch before it, has been handled. Batches are handled
// concurrently (rooms are independent), so completion can arrive out of order.
// A failed save (database down) is reported and retried with the next position; it
// never stops the bot, and the position only ever moves forward. Saves are spaced by
// `minIntervalMs`: only the newest position matters, and a write per long-poll answer
// would cost a database round trip per message. After a crash, the events of those few
// seconds are delivered again and recognised as already handled.

export class SyncCheckpoint {
  private nextSequence = 0;
  private readonly pending = new Map<number, { token: string; done: boolean }>();
  private readonly save: (token: string) => Promise<void>;
  private readonly onSaveError: (error: unknown) => void;
  /** The newest position that may be saved but is not saved yet. */
  private unsaved: string | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly minIntervalMs: number;
  private lastSaveAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    save: (token: string) => Promise<void>,
    onSaveError: (error: unknown) => void = () => {},
    minIntervalMs = 5000,
  ) {
    this.save = save;
    this.onSaveError = onSaveError;
    this.minIntervalMs = minIntervalMs;
  }

  /** Registers a batch; call `done` when all of its work has finished. */
  begin(token: string): { done: () => void } {
    const sequence = this.nextSequence++;
    this.pending.set(sequence, { token, done: false });
    return {
      done: () => {
        const entry = this.pending.get(sequence);
        if (entry) entry.done = true;
        this.advance();
      },
    };
  }

  /** Saves the newest handled position now (shutdown, tests); never rejects. */
  flushed(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.saving = this.saving.then(() => this.flush());
    }
    return this.saving;
  }

  private advance(): void {
    for (const [sequence, entry] of [...this.pending].sort(([a], [b]) => a - b)) {
      if (!entry.done) break;
      this.unsaved = entry.token;
      this.pending.delete(sequence);
    }
    if (this.unsaved === undefined || this.timer) return;
    const wait = Math.max(0, this.lastSaveAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saving = this.saving.then(() => this.flush());
    }, wait);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const token = this.unsaved;
    if (token === undefined) return;
    try {
      this.lastSaveAt = Date.now();
      await this.save(token);
      if (this.unsaved === token) this.unsaved = undefined;
    } catch (error) {
      // Kept in `unsaved`: the next batch (at least every long-poll timeout) tries again.
      this.onSaveError(error);
    }
  }
}
