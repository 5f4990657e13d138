// scripts/stack.sh against what earlier runs leave behind on the machine. The chroot is shared
// and cached, and its mounts outlive a checkout whose stack was never stopped: a CI workspace
// wiped and checked out again at the same path once found its state directory mounted from the
// deleted checkout, and PostgreSQL could not create its data there.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

async function mountPoints(): Promise<Map<string, string>> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  // Fields: id, parent, major:minor, root (what is mounted), mount point, ...
  return new Map(lines.filter(Boolean).map((line) => [line.split(' ')[4] ?? '', line.split(' ')[3] ?? '']));
}

describe('scripts/stack.sh up', () => {
  it('drops a mount in the shared chroot whose checkout was deleted, and keeps its own', async () => {
    if (process.getuid?.() !== 0)
      throw new Error('this test mounts inside the chroot: run the tests as root');
    const chroot = (await readFile(join(ROOT, '.stack', 'run', 'chroot'), 'utf8')).trim();

    // What a deleted checkout leaves: its state directory bind-mounted into the chroot, then removed.
    const gone = await mkdtemp(join(tmpdir(), 'tnl-deleted-checkout-'));
    const stale = join(chroot, 'tnl', `stale-${randomBytes(4).toString('hex')}`);
    await mkdir(stale, { recursive: true });
    await run('mount', ['--bind', gone, stale]);
    await rm(gone, { recursive: true });
    expect((await mountPoints()).get(stale)).toMatch(/\/\/deleted$/);

    const { stderr } = await run('bash', [join(ROOT, 'scripts', 'stack.sh'), 'up'], { timeout: 120_000 });

    expect(stderr).toContain(`unmounting ${stale}`);
    const after = await mountPoints();
    expect(after.has(stale)).toBe(false);
    expect(existsSync(stale)).toBe(false);
    // This clone's own state is still mounted there: one mount shows the live .stack/ directory.
    const state = await stat(join(ROOT, '.stack'));
    const points = [...after.keys()].filter((point) => point.startsWith(join(chroot, 'tnl') + '/'));
    const shown = await Promise.all(points.map((point) => stat(point)));
    expect(shown.some((dir) => dir.dev === state.dev && dir.ino === state.ino)).toBe(true);
  });
});
