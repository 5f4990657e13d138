// Vitest global setup: makes sure the local stack (Synapse, PostgreSQL + DocumentDB, MongoDB gateway)
// runs, and hands its environment to the test workers through process.env.
// The stack is left running afterwards so re-runs are fast: `bash scripts/stack.sh down` stops it.
// TNL_STACK=skip (or a run limited to test/unit) starts nothing; TNL_STACK=external uses the
// TNL_* variables already set (a stack started some other way).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const STACK_SCRIPT = join(import.meta.dirname, '..', 'scripts', 'stack.sh');
const NAMES = ['TNL_HOMESERVER_URL', 'TNL_REGISTRATION_SECRET', 'TNL_MONGODB_URI', 'TNL_PG_URL'] as const;

/** Parses the `export NAME='value'` lines printed by scripts/stack.sh. */
export function parseExports(output: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^export ([A-Z0-9_]+)='([^']*)'$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) result[match[1]] = match[2];
  }
  return result;
}

/** True when the command line only selects unit tests, which need no services. */
function onlyUnitTests(argv: string[]): boolean {
  const filters = argv.slice(2).filter((arg) => !arg.startsWith('-') && arg !== 'run' && arg !== 'watch');
  return filters.length > 0 && filters.every((arg) => /^(\.\/)?test\/unit(\/|$)/.test(arg));
}

/** Runs the stack script; its progress (stderr) shows live, since a first build takes minutes. */
function stackOutput(): Promise<string> {
  const isRoot = process.getuid?.() === 0;
  // `up` is idempotent and takes well under a second when everything already runs.
  const command = isRoot ? 'up' : 'env';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [STACK_SCRIPT, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(stdout);
      const hint = isRoot ? '' : '\nNot root: start the stack first with `sudo bash scripts/stack.sh up`.';
      reject(new Error(`bash scripts/stack.sh ${command} failed (exit ${code}):\n${stderr}${hint}`));
    });
  });
}

export default async function setup(): Promise<void> {
  const mode = process.env.TNL_STACK ?? '';
  if (mode === 'skip' || (mode === '' && onlyUnitTests(process.argv))) return;
  if (mode === 'external') {
    const missing = NAMES.filter((name) => !process.env[name]);
    if (missing.length) throw new Error(`TNL_STACK=external but ${missing.join(', ')} not set`);
    return;
  }
  const values = parseExports(await stackOutput());
  const missing = NAMES.filter((name) => !values[name]);
  if (missing.length) throw new Error(`scripts/stack.sh printed no ${missing.join(', ')}`);
  // Workers are started after the global setup and inherit this environment.
  for (const name of NAMES) process.env[name] = values[name];
}
