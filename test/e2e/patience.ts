// How the test harness waits for the bot and the homeserver: a wait ends when progress stops,
// not at a fixed time. It fails only after its idle period (`idleMs`) passed with no sign of
// progress, and every sign restarts that period, up to a generous ceiling so a hung test still
// ends. On a busy machine the bot is slow, not wrong: a fixed timeout would fail it anyway.
// Signs of progress, noted by the harness in this test process: a new event in any person's
// sync, an output line of a bot process, and, for a poll, a change in what it reads.

/** No single wait lasts longer than this, progress or not (and no test: see vitest.config.ts). */
export const CEILING_MS = 10 * 60_000;

export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

/** Where signs of progress are noted: `progress` for this test process, others in unit tests. */
export class Progress {
  private at = Date.now();
  private what = 'none yet';
  private readonly listeners = new Set<() => void>();

  /** Something moved (`what` says what, for the error of a wait that gives up later). */
  note(what: string): void {
    this.at = Date.now();
    this.what = what;
    for (const listener of [...this.listeners]) listener();
  }

  get last(): { at: number; what: string } {
    return { at: this.at, what: this.what };
  }

  /** Calls `listener` after each note; returns what removes it. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const progress = new Progress();

export interface Patience {
  /** The wait fails after this long without any sign of progress. */
  idleMs: number;
  /** The wait fails after this long whatever happens (default CEILING_MS). */
  ceilingMs?: number;
  /** Default: `progress`, this test process's. */
  progress?: Progress;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The clock of one wait: when it began, its last sign of progress, when it gives up. */
export class Stopwatch {
  readonly startedAt = Date.now();
  readonly idleMs: number;
  readonly ceilingMs: number;
  readonly progress: Progress;
  private own = { at: this.startedAt, what: 'none since the wait began' };

  constructor(patience: Patience) {
    this.idleMs = patience.idleMs;
    this.ceilingMs = patience.ceilingMs ?? CEILING_MS;
    this.progress = patience.progress ?? progress;
  }

  /** A sign of progress seen by this wait only (what a poll reads has changed). */
  touch(what: string): void {
    this.own = { at: Date.now(), what };
  }

  /** The latest sign of progress this wait counts (the start of the wait if none came since). */
  lastProgress(): { at: number; what: string } {
    const shared = this.progress.last;
    return shared.at > this.own.at ? shared : this.own;
  }

  /** Milliseconds before this wait gives up; zero or less once it has. */
  left(): number {
    return Math.min(this.lastProgress().at + this.idleMs, this.startedAt + this.ceilingMs) - Date.now();
  }

  /** How long it waited, in all and since the last progress: for the error of a wait that gives up. */
  account(): string {
    const now = Date.now();
    const last = this.lastProgress();
    const since = `${seconds(now - last.at)} since the last progress (${last.what})`;
    return now - this.startedAt >= this.ceilingMs
      ? `${seconds(now - this.startedAt)} in all, the ceiling of any wait; ${since}`
      : `${seconds(now - this.startedAt)} in all, ${since}, idle limit ${seconds(this.idleMs)}`;
  }
}

export interface WaitForOptions extends Patience {
  /** What is awaited, for the error (may add what arrived instead, on further lines). */
  what: () => string;
  /** Who waits, at the start of the error ("@lea:localhost waited …"). */
  who?: string;
  /** Why waiting is pointless now (the process waited on exited), or undefined. */
  abandon?: () => string | undefined;
}

/**
 * Resolves with what `find` returns once it returns something. `find` runs now, after every
 * sign of progress (it looks at what the harness received: it must be quick and synchronous),
 * and when the idle period ends; the wait fails once the idle period or the ceiling is over.
 */
export function waitFor<T>(find: () => T | undefined, options: WaitForOptions): Promise<T> {
  const watch = new Stopwatch(options);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      stopListening();
    };
    const check = () => {
      if (done) return;
      let found: T | undefined;
      try {
        found = find();
      } catch (error) {
        finish();
        return reject(error as Error);
      }
      if (found !== undefined) {
        finish();
        return resolve(found);
      }
      const gone = options.abandon?.();
      if (gone !== undefined) {
        finish();
        return reject(new Error(`${gone} while waiting for ${options.what()}`));
      }
      const left = watch.left();
      if (left <= 0) {
        finish();
        const who = options.who ? `${options.who} waited` : 'Waited';
        return reject(new WaitTimeoutError(`${who} ${watch.account()}, for ${options.what()}`));
      }
      // Progress only pushes the end further: a timer already set rings early and is set again.
      if (timer === undefined)
        timer = setTimeout(() => {
          timer = undefined;
          check();
        }, left);
    };
    const stopListening = watch.progress.listen(check);
    check();
  });
}

export interface PollOptions extends Patience {
  /** What is awaited, for the error. */
  what: string;
  /** Pause between two reads (default 100 ms). */
  intervalMs?: number;
}

function fingerprint(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Reads `read` until `done` accepts what it returned, and returns that. A change in what is
 * read is progress for this wait, as is any sign the harness notes; the wait fails once the
 * idle period or the ceiling is over, saying what it read last.
 */
export function pollUntil<V, T extends V>(
  read: () => V | Promise<V>,
  done: (value: V) => value is T,
  options: PollOptions,
): Promise<T>;
export function pollUntil<V>(
  read: () => V | Promise<V>,
  done: (value: V) => boolean,
  options: PollOptions,
): Promise<V>;
export async function pollUntil<V>(
  read: () => V | Promise<V>,
  done: (value: V) => boolean,
  options: PollOptions,
): Promise<V> {
  const watch = new Stopwatch(options);
  let seen: string | undefined;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    const now = fingerprint(value);
    if (seen !== undefined && now !== seen) watch.touch(`${options.what}: read ${now.slice(0, 120)}`);
    seen = now;
    const left = watch.left();
    if (left <= 0)
      throw new WaitTimeoutError(
        `Waited ${watch.account()}, for ${options.what}; last read: ${now.slice(0, 500)}`,
      );
    await sleep(Math.min(options.intervalMs ?? 100, left));
  }
}

/**
 * Resolves once `quietMs` passed with no sign of progress (and at least `quietMs` from now):
 * time for whatever the bot still had to say to arrive. Never fails; gives up waiting for
 * quiet after `maxMs` (default a minute).
 */
export async function settle(
  quietMs: number,
  options: { maxMs?: number; progress?: Progress } = {},
): Promise<void> {
  const watch = new Stopwatch({
    idleMs: quietMs,
    ceilingMs: options.maxMs ?? 60_000,
    ...(options.progress ? { progress: options.progress } : {}),
  });
  for (let left = watch.left(); left > 0; left = watch.left()) await sleep(left);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
