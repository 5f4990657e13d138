// Runs tasks one at a time per key (a room), keys independently of each other.
// A slow task in one room delays only the tasks queued behind it in that room.

export class RoomQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly onError: (key: string, error: unknown) => void;

  constructor(onError: (key: string, error: unknown) => void) {
    this.onError = onError;
  }

  /** Queues `task` behind the key's earlier tasks; resolves when it has run (never rejects). */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => this.onError(key, error));
    this.tails.set(key, next);
    // Forget idle keys so thousands of quiet rooms cost nothing.
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when every task queued so far has run. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get activeKeys(): number {
    return this.tails.size;
  }
}
