// The test harness's waits (test/e2e/patience.ts) with fake progress and a fake clock: a wait
// fails once its idle period passed without progress, progress carries it past that period,
// and the ceiling ends it whatever happens.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pollUntil, Progress, settle, waitFor, WaitTimeoutError } from '../../e2e/patience.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Settles a promise into a value read without awaiting it: what it gave, or its error, or pending. */
function watch<T>(promise: Promise<T>): { state: () => 'pending' | T | Error; at: () => number } {
  let state: 'pending' | T | Error = 'pending';
  let at = NaN;
  const started = Date.now();
  promise.then(
    (value) => {
      state = value;
      at = Date.now() - started;
    },
    (error: unknown) => {
      state = error as Error;
      at = Date.now() - started;
    },
  );
  return { state: () => state, at: () => at };
}

/** Notes progress every `everyMs` until `untilMs` (fake time), as a bot that keeps working. */
async function keepProgressing(progress: Progress, everyMs: number, untilMs: number): Promise<void> {
  for (let t = everyMs; t <= untilMs; t += everyMs) {
    await vi.advanceTimersByTimeAsync(everyMs);
    progress.note(`event at ${t} ms`);
  }
}

describe('waitFor', () => {
  it('fails once its idle period passed without progress, saying how long it waited', async () => {
    const progress = new Progress();
    const wait = watch(
      waitFor(() => undefined, { idleMs: 1000, progress, what: () => 'a reply', who: '@lea' }),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(wait.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = wait.state();
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(wait.at()).toBe(1000);
    expect((error as Error).message).toBe(
      '@lea waited 1.0 s in all, 1.0 s since the last progress (none since the wait began), ' +
        'idle limit 1.0 s, for a reply',
    );
  });

  it('lasts beyond its idle period while progress comes, then fails an idle period after the last', async () => {
    const progress = new Progress();
    const wait = watch(waitFor(() => undefined, { idleMs: 1000, progress, what: () => 'a reply' }));
    await keepProgressing(progress, 400, 6000);
    expect(wait.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(999);
    expect(wait.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(wait.at()).toBe(7000);
    expect((wait.state() as Error).message).toBe(
      'Waited 7.0 s in all, 1.0 s since the last progress (event at 6000 ms), idle limit 1.0 s, for a reply',
    );
  });

  it('resolves as soon as what it waits for arrives with a sign of progress', async () => {
    const progress = new Progress();
    const inbox: { reply?: string } = {};
    const wait = watch(waitFor(() => inbox.reply, { idleMs: 1000, progress, what: () => 'a reply' }));
    await keepProgressing(progress, 500, 2500);
    inbox.reply = 'the reply';
    expect(wait.state()).toBe('pending');
    progress.note('the reply arrived');
    await vi.advanceTimersByTimeAsync(0);
    expect(wait.state()).toBe('the reply');
    expect(wait.at()).toBe(2500);
  });

  it('ends at the ceiling however much progress comes', async () => {
    const progress = new Progress();
    const wait = watch(
      waitFor(() => undefined, { idleMs: 1000, ceilingMs: 5000, progress, what: () => 'a reply' }),
    );
    await keepProgressing(progress, 250, 4750);
    expect(wait.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(250);
    expect(wait.at()).toBe(5000);
    expect((wait.state() as Error).message).toBe(
      'Waited 5.0 s in all, the ceiling of any wait; 0.3 s since the last progress (event at 4750 ms), for a reply',
    );
  });

  it('fails at once when waiting became pointless', async () => {
    const progress = new Progress();
    let exited = false;
    const wait = watch(
      waitFor(() => undefined, {
        idleMs: 30_000,
        progress,
        what: () => 'the ready line',
        abandon: () => (exited ? 'The bot exited' : undefined),
      }),
    );
    await vi.advanceTimersByTimeAsync(100);
    exited = true;
    progress.note('the bot exited');
    await vi.advanceTimersByTimeAsync(0);
    expect(wait.at()).toBe(100);
    expect((wait.state() as Error).message).toBe('The bot exited while waiting for the ready line');
  });
});

describe('pollUntil', () => {
  it('counts a change in what it reads as progress, and fails once it stops changing', async () => {
    const progress = new Progress();
    let sent = 0;
    const poll = watch(
      pollUntil(
        () => Promise.resolve({ sent }),
        (report) => report.sent === 50,
        { idleMs: 1000, progress, what: 'every delivery', intervalMs: 100 },
      ),
    );
    // One delivery every 500 ms, for 10 s: far beyond the idle period.
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(500);
      sent += 1;
    }
    expect(poll.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1200);
    const error = poll.state();
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(poll.at()).toBeGreaterThan(10_000);
    expect(poll.at()).toBeLessThanOrEqual(11_200);
    expect((error as Error).message).toMatch(
      /^Waited 11\.\d s in all, 1\.\d s since the last progress \(every delivery: read \{"sent":20\}\), idle limit 1\.0 s, for every delivery; last read: \{"sent":20\}$/,
    );
  });

  it('returns what it read once that is done, without waiting for the idle period', async () => {
    let value: string | null = null;
    const poll = watch(
      pollUntil(
        () => value,
        (v): v is string => typeof v === 'string',
        { idleMs: 1000, progress: new Progress(), what: 'a stored room' },
      ),
    );
    await vi.advanceTimersByTimeAsync(300);
    value = '!room:localhost';
    await vi.advanceTimersByTimeAsync(100);
    expect(poll.state()).toBe('!room:localhost');
  });

  it('lasts while the harness notes progress elsewhere, up to the ceiling', async () => {
    const progress = new Progress();
    const poll = watch(
      pollUntil(
        () => 'unchanged',
        () => false,
        { idleMs: 1000, ceilingMs: 4000, progress, what: 'a change', intervalMs: 100 },
      ),
    );
    await keepProgressing(progress, 500, 3500);
    expect(poll.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(600);
    expect(poll.at()).toBe(4000);
    expect((poll.state() as Error).message).toContain('the ceiling of any wait');
  });
});

describe('settle', () => {
  it('waits until nothing moved for the quiet period, at most maxMs, and never fails', async () => {
    const progress = new Progress();
    const quiet = watch(settle(1000, { progress }).then(() => 'quiet'));
    await keepProgressing(progress, 300, 3000);
    expect(quiet.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1000);
    expect(quiet.state()).toBe('quiet');
    expect(quiet.at()).toBe(4000);

    const busy = watch(settle(1000, { progress, maxMs: 2000 }).then(() => 'gave up'));
    await keepProgressing(progress, 300, 3000);
    expect(busy.state()).toBe('gave up');
    expect(busy.at()).toBe(2000);
  });
});
