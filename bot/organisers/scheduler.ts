// Runs the organisers' catch-up work (deadlines, reminders, broadcasts) now, every
// `intervalMs`, and whenever the clock jumps. The deadlines themselves are stored
// (campaign dates, planned deliveries), so nothing is lost when the process stops:
// the first run after a start catches up. One run at a time; a request during a run
// makes exactly one more run afterwards.
import { StorageUnavailableError } from '../../storage/errors.ts';
import type { Logger } from '../../config/logging.ts';
import type { Clock } from '../clock.ts';

export class Scheduler {
  readonly #work: () => Promise<void>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(work: () => Promise<void>, clock: Clock, logger: Logger, intervalMs: number) {
    this.#work = work;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    clock.onJump(() => void this.trigger());
  }

  /** Starts the periodic runs (idempotent). */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.trigger(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Runs the work now, or once more right after the current run. Resolves when that run is over. */
  trigger(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          try {
            await this.#work();
          } catch (error) {
            // A database outage is expected now and then: the next run catches up.
            if (error instanceof StorageUnavailableError) {
              this.#logger.warn(
                { error: error.message },
                'organisers scheduler run skipped: database unavailable',
              );
            } else this.#logger.error({ err: error }, 'organisers scheduler run failed');
          }
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Resolves when no run is in progress (tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
