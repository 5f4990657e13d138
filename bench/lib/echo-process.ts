// Runs bench/echo-participant.ts as its own process (as the bot runs), for the baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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

  static async start(env: Record<string, string> = {}, timeoutMs = 30_000): Promise<EchoProcess> {
    const child = spawn(NODE, [join(ROOT, 'bench', 'echo-participant.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the echo participant did not start')), timeoutMs);
      child.once('exit', (code) => reject(new Error(`the echo participant exited (${code})`)));
      if (!child.stdout) return reject(new Error('the echo participant has no output'));
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        const parsed = JSON.parse(line) as { event?: string; userId?: string };
        if (parsed.event === 'ready' && parsed.userId) {
          clearTimeout(timer);
          resolve(parsed.userId);
        }
      });
    });
    return new EchoProcess(child, await ready, lines);
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
