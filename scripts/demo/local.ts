// Shared by the dev and demo scripts: the local stack's settings, a free port, the bot
// process with readable log lines, and a step printer that says what is going on.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export interface StackSettings {
  homeserverUrl: string;
  registrationSecret: string;
  mongodbUri: string;
}

/** Thrown for a failure the person can act on: `hint` says what to do. */
export class StepError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StepError';
    this.hint = hint;
  }
}

function parseExports(output: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^export ([A-Z0-9_]+)='([^']*)'$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) values[match[1]] = match[2];
  }
  return values;
}

/** The stack's settings from the environment, else from `bash scripts/stack.sh env`. */
export function stackSettings(): StackSettings {
  let env: Record<string, string | undefined> = process.env;
  if (!env.TNL_HOMESERVER_URL || !env.TNL_REGISTRATION_SECRET || !env.TNL_MONGODB_URI) {
    const result = spawnSync('bash', [join(ROOT, 'scripts', 'stack.sh'), 'env'], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new StepError(
        'the local stack (homeserver and database) is not running',
        'start it with `sudo bash scripts/stack.sh up` (or use `npm run dev`, which starts it)',
      );
    }
    env = parseExports(result.stdout);
  }
  const { TNL_HOMESERVER_URL, TNL_REGISTRATION_SECRET, TNL_MONGODB_URI } = env;
  if (!TNL_HOMESERVER_URL || !TNL_REGISTRATION_SECRET || !TNL_MONGODB_URI) {
    throw new StepError('the local stack printed incomplete settings', 'run `bash scripts/stack.sh status`');
  }
  return {
    homeserverUrl: TNL_HOMESERVER_URL,
    registrationSecret: TNL_REGISTRATION_SECRET,
    mongodbUri: TNL_MONGODB_URI,
  };
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A step printer: "dev: <what it is doing>", then "done" or what went wrong. */
export function stepper(prefix: string, write: (line: string) => void = (l) => console.log(l)) {
  return {
    say(text: string): void {
      write(`${prefix}: ${text}`);
    },
    detail(text: string): void {
      write(`${prefix}:     ${text}`);
    },
    async step<T>(what: string, run: () => Promise<T>, hint?: string): Promise<T> {
      write(`${prefix}: ${what}...`);
      try {
        return await run();
      } catch (error) {
        if (error instanceof StepError) throw error;
        throw new StepError(
          `${what} failed: ${(error as Error).message}`,
          hint ?? 'see the message above; the bot log is kept in the file named below',
          { cause: error },
        );
      }
    },
  };
}

export interface BotLogLine {
  level?: number | string;
  msg?: string;
  time?: number | string;
  [key: string]: unknown;
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** One JSON log line of the bot, as a short readable line (time, level, message, small fields). */
export function formatLogLine(line: BotLogLine): string {
  const level = typeof line.level === 'number' ? (LEVELS[line.level] ?? String(line.level)) : line.level;
  const time =
    typeof line.time === 'number' || typeof line.time === 'string'
      ? new Date(line.time).toISOString().slice(11, 19)
      : '';
  const skip = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v', 'app']);
  const fields = Object.entries(line)
    .filter(([key, value]) => !skip.has(key) && (typeof value !== 'object' || value === null))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const error =
    typeof line.err === 'object' && line.err !== null && 'message' in line.err
      ? ` (${String((line.err as { message: unknown }).message)})`
      : '';
  return `${time} ${String(level ?? '').toUpperCase()} ${line.msg ?? ''}${error}${fields ? `  ${fields}` : ''}`;
}

/** The bot (`node bot/main.ts config`) as a child process whose JSON log lines are parsed. */
export class BotChild {
  readonly lines: BotLogLine[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(configPath: string, env: Record<string, string>, onLine: (line: BotLogLine) => void) {
    this.child = spawn(NODE, [join(ROOT, 'bot', 'main.ts'), configPath], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on('line', (text) => {
        let line: BotLogLine;
        try {
          line = JSON.parse(text) as BotLogLine;
        } catch {
          line = { msg: text };
        }
        this.lines.push(line);
        onLine(line);
      });
    }
    this.child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  whenExited(): Promise<number | null> {
    return this.exited;
  }

  /** Waits for a log line; fails with the bot's last words if it exits first or time runs out. */
  async waitForLine(
    predicate: (line: BotLogLine) => boolean,
    timeoutMs: number,
    from = 0,
  ): Promise<BotLogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.lines.slice(from).find(predicate);
      if (found) return found;
      if (!this.running) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const reason = this.running
      ? `did not say it was ready within ${Math.round(timeoutMs / 1000)} s`
      : `exited (status ${this.exitCode ?? 'killed'})`;
    throw new Error(`the bot ${reason}.\n${this.lastWords()}`);
  }

  lastWords(count = 12): string {
    const logs = this.lines.slice(-count).map((l) => `  | ${formatLogLine(l)}`);
    const err = this.stderr.join('').trim().split('\n').slice(-count);
    return [...logs, ...err.filter(Boolean).map((l) => `  ! ${l}`)].join('\n');
  }

  /** Graceful stop (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---- Dates in the campaigns' time zone ------------------------------------------------------

const PARIS = 'Europe/Paris';

/** Today's date in Paris plus `offsetDays`, as YYYY-MM-DD. */
export function parisDay(offsetDays = 0, from = new Date()): string {
  const date = new Date(from.getTime() + offsetDays * 24 * 3600_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: PARIS }).format(date);
}

function parisOffsetMs(at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: PARIS,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant of a Paris wall-clock time ("2026-10-19", "18:00"). */
export function parisTime(day: string, time: string): Date {
  const guess = new Date(`${day}T${time}:00Z`);
  return new Date(guess.getTime() - parisOffsetMs(guess));
}

/** A YYYY-MM-DD date plus some days. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
