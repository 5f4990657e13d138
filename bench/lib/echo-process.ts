// Runs bench/echo-participant.ts as its own process (as the bot runs), for the baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { progress, waitFor } from '../../test/e2e/patience.ts';
import type { Person } from '../../test/e2e/people.ts';
import { NODE, ROOT } from './stack.ts';

export class EchoProcess {
  readonly userId: string;
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly lines: string[];

  private constructor(child: ChildProcess, userId: string, lines: string[]) {
    this.child = child;
    this.userId = userId;
    this.pid = child.pid ?? 0;
    this.lines = lines;
  }

  /** Starts it and waits for its "ready" line (`timeoutMs`: the idle period, see patience.ts). */
  static async start(env: Record<string, string> = {}, timeoutMs = 30_000): Promise<EchoProcess> {
    const child = spawn(NODE, [join(ROOT, 'bench', 'echo-participant.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (!child.stdout) throw new Error('the echo participant has no output');
    const lines: string[] = [];
    let userId: string | undefined;
    let exit: string | undefined;
    child.once('exit', (code) => {
      exit = `The echo participant exited (${code})`;
      progress.note('the echo participant exited');
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const parsed = JSON.parse(line) as { event?: string; userId?: string };
      if (parsed.event === 'ready' && parsed.userId) userId = parsed.userId;
      progress.note(`the echo participant wrote ${String(parsed.event)}`);
    });
    const ready = await waitFor(() => userId, {
      idleMs: timeoutMs,
      what: () => 'the echo participant to start',
      abandon: () => exit,
    });
    return new EchoProcess(child, ready, lines);
  }

  /** A private room of `person` with the echo, once the echo has joined it. */
  async roomWith(person: Person, timeoutMs = 20_000): Promise<string> {
    const roomId = await person.createRoom({ invite: [this.userId], preset: 'private_chat' });
    await person.nextEvent(roomId, {
      type: 'm.room.member',
      from: this.userId,
      predicate: (e) => e.content.membership === 'join',
      timeoutMs,
    });
    return roomId;
  }

  /** Stops it and returns how many replies it sent. */
  async stop(): Promise<{ replies: number; failures: number }> {
    if (this.child.exitCode !== null) return { replies: NaN, failures: NaN };
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    const last = this.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === 'stopped');
    return { replies: Number(last?.replies), failures: Number(last?.failures) };
  }
}
