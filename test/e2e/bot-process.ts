// Runs the real bot as a separate process against the local stack, the way it runs in
// production (`node bot/main.ts config.yaml`), with a fresh database and a fresh bot
// account per test file. Offers restart, kill -9 and a controllable clock.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { progress, waitFor } from './patience.ts';
import { registerUser } from './people.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export function stackEnv(): { homeserverUrl: string; mongodbUri: string; registrationSecret: string } {
  const homeserverUrl = process.env.TNL_HOMESERVER_URL;
  const mongodbUri = process.env.TNL_MONGODB_URI;
  const registrationSecret = process.env.TNL_REGISTRATION_SECRET;
  if (!homeserverUrl || !mongodbUri || !registrationSecret) {
    throw new Error(
      'The local stack is not configured: run the tests through vitest (its global setup starts it).',
    );
  }
  return { homeserverUrl, mongodbUri, registrationSecret };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface BotOptions {
  /** Extra configuration merged over the defaults (rooms, people, jury...). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Bot account: reuse one (restarts) or register a fresh one. */
  account?: { userId: string; accessToken: string };
  dbName?: string;
}

export class BotProcess {
  readonly userId: string;
  readonly accessToken: string;
  readonly dbName: string;
  readonly healthPort: number;
  readonly configPath: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private child: ChildProcess | undefined;
  private exitWaiters: Array<(code: number | null) => void> = [];
  private readonly env: Record<string, string>;

  private constructor(
    account: { userId: string; accessToken: string },
    dbName: string,
    healthPort: number,
    configPath: string,
    env: Record<string, string>,
  ) {
    this.userId = account.userId;
    this.accessToken = account.accessToken;
    this.dbName = dbName;
    this.healthPort = healthPort;
    this.configPath = configPath;
    this.env = env;
  }

  static async start(options: BotOptions = {}): Promise<BotProcess> {
    const stack = stackEnv();
    const account = options.account ?? (await registerUser('bot'));
    const dbName = options.dbName ?? `e2e_${randomBytes(5).toString('hex')}`;
    const healthPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tnl-bot-'));
    const configPath = join(dir, 'config.yaml');
    const defaults: Record<string, Record<string, unknown>> = {
      homeserver: { url: stack.homeserverUrl },
      database: { uri: stack.mongodbUri, name: dbName, serverSelectionTimeoutMs: 2000 },
      bot: { dataDir: join(dir, 'data') },
      health: { host: '127.0.0.1', port: healthPort },
      logging: { level: 'debug', format: 'json' },
    };
    // Sections merge key by key: a test that sets `bot.x` keeps the default `bot.dataDir`.
    const config: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(options.config ?? {})) {
      const base = defaults[key];
      config[key] =
        base && value && typeof value === 'object' && !Array.isArray(value) ? { ...base, ...value } : value;
    }
    writeFileSync(configPath, stringify(config));
    const bot = new BotProcess(account, dbName, healthPort, configPath, {
      TNL_HOMESERVER_ACCESS_TOKEN: account.accessToken,
      TNL_TEST_CLOCK: '1',
      ...options.env,
    });
    await bot.launch();
    return bot;
  }

  /** Starts the process and waits for its "ready" log line (`timeoutMs`: the idle period). */
  async launch(timeoutMs = 30_000): Promise<void> {
    const child = spawn(NODE, [join(ROOT, 'bot', 'main.ts'), this.configPath], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          parsed = { msg: line };
        }
        this.logs.push(parsed);
        // Each line of the bot is a sign of progress (and lets pending waits look again).
        progress.note(`the bot logged "${String(parsed.msg).slice(0, 80)}"`);
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString('utf8'));
      progress.note('the bot wrote to stderr');
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.exitWaiters.splice(0)) waiter(code);
      progress.note(`the bot exited (${signal ?? code})`);
    });
    const since = this.logs.length;
    await this.waitForLog((line) => line.msg === 'ready', timeoutMs, since);
  }

  /**
   * The first log line from index `from` on that matches; waits for it, failing once
   * `timeoutMs` passed with no sign of progress, or when the bot exits.
   */
  async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 15_000, from = 0): Promise<LogLine> {
    const child = this.child;
    return waitFor(() => this.logs.slice(from).find(predicate), {
      idleMs: timeoutMs,
      who: 'The test',
      abandon: () =>
        !child || child.exitCode !== null || child.signalCode !== null ? 'The bot exited' : undefined,
      what: () => {
        const tail = this.logs
          .slice(-15)
          .map((l) => JSON.stringify(l))
          .join('\n');
        return `a log line of the bot.\nLast log lines:\n${tail}\nstderr:\n${this.stderr.join('').slice(-2000)}`;
      },
    });
  }

  /** The bot's warnings and errors, for a test's failure report. */
  problems(): LogLine[] {
    return this.logs.filter(
      (line) => line.level === 'warn' || line.level === 'error' || line.level === 'fatal',
    );
  }

  /** Graceful stop (SIGTERM), as an operator would. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Crash: SIGKILL, no chance to clean up. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<number | null>((resolve) => this.exitWaiters.push(resolve));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  /** Moves the bot's clock: an ISO date, or "+<milliseconds>". */
  async setClock(value: string): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${this.healthPort}/test/clock`, {
      method: 'POST',
      body: value,
    });
    if (!response.ok)
      throw new Error(`setting the clock failed: ${response.status} ${await response.text()}`);
  }

  async health(path: '/healthz' | '/readyz' | '/metrics'): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.healthPort}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** The bot's Prometheus samples (/metrics). */
  async metrics(): Promise<MetricValues> {
    const { status, body } = await this.health('/metrics');
    if (status !== 200) throw new Error(`/metrics answered ${status}`);
    return parseMetrics(body);
  }
}

/** Prometheus samples, keyed by name plus labels as written (`tnl_events_handled_total{kind="candidacy"}`). */
export type MetricValues = Map<string, number>;

export function parseMetrics(text: string): MetricValues {
  const values: MetricValues = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** The sum of a metric's samples over all its labels (0 if it has none). */
export function metricTotal(values: MetricValues, name: string): number {
  let total = 0;
  for (const [key, value] of values) if (key === name || key.startsWith(`${name}{`)) total += value;
  return total;
}

/**
 * Runs `node bot/main.ts` with a config file and returns its exit code and output; kills it
 * once `timeoutMs` passed with no output (nor any other sign of progress).
 */
export async function runBotOnce(
  configText: string,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tnl-cfg-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, configText);
  const child = spawn(NODE, [join(ROOT, 'bot', 'main.ts'), configPath], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exit: { code: number | null } | undefined;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    progress.note('the bot wrote to stdout');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    progress.note('the bot wrote to stderr');
  });
  child.on('exit', (code) => {
    exit = { code };
    progress.note(`the bot exited (${code})`);
  });
  try {
    const { code } = await waitFor(() => exit, {
      idleMs: timeoutMs,
      who: 'The test',
      what: () => `the bot to exit\nstdout:\n${stdout}\nstderr:\n${stderr}`,
    });
    return { code, stdout, stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
