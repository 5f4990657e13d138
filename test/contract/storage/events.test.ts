import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Harness } from './backends.ts';

describe.each(backends)('processed events ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('records an event id once', async () => {
    expect(await h.storage.events.isProcessed('$a')).toBe(false);
    expect(await h.storage.events.markProcessed('$a', { roomId: '!lobby:localhost', handler: 'lobby' })).toBe(
      true,
    );
    expect(await h.storage.events.markProcessed('$a')).toBe(false);
    expect(await h.storage.events.isProcessed('$a')).toBe(true);
  });

  it('lets exactly one of 20 concurrent handlers claim an event', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.storage.events.markProcessed('$race')),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('prunes old records only', async () => {
    await h.storage.events.markProcessed('$old', { at: new Date('2020-01-01T00:00:00.000Z') });
    await h.storage.events.markProcessed('$new', { at: new Date('2030-01-01T00:00:00.000Z') });
    const pruned = await h.storage.events.prune(new Date('2021-01-01T00:00:00.000Z'));
    expect(pruned).toBe(1);
    expect(await h.storage.events.isProcessed('$old')).toBe(false);
    expect(await h.storage.events.isProcessed('$new')).toBe(true);
  });
});
