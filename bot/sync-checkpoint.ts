// Decides when a sync position may be saved: only once every event of that sync
// batch, and of every batch before it, has been handled. Batches are handled
// concurrently (rooms are independent), so completion can arrive out of order.

export class SyncCheckpoint {
  private nextSequence = 0;
  private readonly pending = new Map<number, { token: string; done: boolean }>();
  private readonly save: (token: string) => Promise<void>;
  private saving: Promise<void> = Promise.resolve();

  constructor(save: (token: string) => Promise<void>) {
    this.save = save;
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

  /** Resolves when every save started so far has finished. */
  flushed(): Promise<void> {
    return this.saving;
  }

  private advance(): void {
    let latest: string | undefined;
    for (const [sequence, entry] of [...this.pending].sort(([a], [b]) => a - b)) {
      if (!entry.done) break;
      latest = entry.token;
      this.pending.delete(sequence);
    }
    if (latest === undefined) return;
    const token = latest;
    this.saving = this.saving.then(() => this.save(token));
  }
}
