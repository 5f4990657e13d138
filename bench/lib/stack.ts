// Where the local stack is: the environment (TNL_HOMESERVER_URL, TNL_MONGODB_URI,
// TNL_REGISTRATION_SECRET), taken from `bash scripts/stack.sh env` when not set, and
// the pids of its services (for CPU and memory readings).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export interface StackEnv {
  homeserverUrl: string;
  mongodbUri: string;
  registrationSecret: string;
}

/** Fills process.env from the running stack if needed (the test harness reads it from there). */
export function loadStackEnv(): StackEnv {
  const wanted = ['TNL_HOMESERVER_URL', 'TNL_MONGODB_URI', 'TNL_REGISTRATION_SECRET'];
  if (wanted.some((key) => !process.env[key])) {
    let text: string;
    try {
      text = execFileSync('bash', [join(ROOT, 'scripts', 'stack.sh'), 'env'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch {
      throw new Error('The local stack is not running: start it with `bash scripts/stack.sh up`.');
    }
    for (const line of text.split('\n')) {
      const match = /^export ([A-Z_]+)='(.*)'$/.exec(line.trim());
      if (match && !process.env[match[1] as string]) process.env[match[1] as string] = match[2];
    }
  }
  const missing = wanted.filter((key) => !process.env[key]);
  if (missing.length > 0) throw new Error(`stack environment incomplete: ${missing.join(', ')} missing`);
  return {
    homeserverUrl: process.env.TNL_HOMESERVER_URL as string,
    mongodbUri: process.env.TNL_MONGODB_URI as string,
    registrationSecret: process.env.TNL_REGISTRATION_SECRET as string,
  };
}

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
}

/** The stack's service processes (absent ones are left out). */
export function stackPids(): Record<'synapse' | 'gateway' | 'postgres', number | undefined> {
  const run = join(ROOT, '.stack', 'run');
  return {
    synapse: pidFrom(join(run, 'synapse.pid')),
    gateway: pidFrom(join(run, 'gateway.pid')),
    postgres: pidFrom(join(run, 'postgres.pid')),
  };
}
