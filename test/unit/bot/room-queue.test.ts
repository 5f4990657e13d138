import { describe, expect, it } from 'vitest';
import { RoomQueue } from '../../../bot/room-queue.ts';
import { SyncCheckpoint } from '../../../bot/sync-checkpoint.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RoomQueue', () => {
  it('runs the tasks of one room in order, one at a time', async () => {
    const queue = new RoomQueue(() => {});
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    for (const [i, delay] of [30, 5, 15].entries()) {
      void queue.run('!a', async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(delay);
        log.push(`a${i}`);
        running--;
      });
    }
    await queue.drain();
    expect(log).toEqual(['a0', 'a1', 'a2']);
    expect(maxRunning).toBe(1);
  });

  it('a slow room never delays another room', async () => {
    const queue = new RoomQueue(() => {});
    const log: string[] = [];
    void queue.run('!slow', async () => {
      await sleep(80);
      log.push('slow');
    });
    void queue.run('!fast', async () => {
      log.push('fast');
    });
    await queue.drain();
    expect(log).toEqual(['fast', 'slow']);
  });

  it('reports a failing task and keeps going', async () => {
    const errors: string[] = [];
    const queue = new RoomQueue((key, error) => errors.push(`${key}:${(error as Error).message}`));
    const log: string[] = [];
    void queue.run('!a', async () => {
      throw new Error('boom');
    });
    void queue.run('!a', async () => {
      log.push('after');
    });
    await queue.drain();
    expect(errors).toEqual(['!a:boom']);
    expect(log).toEqual(['after']);
    expect(queue.activeKeys).toBe(0);
  });
});

describe('SyncCheckpoint', () => {
  it('saves a position only when it and every earlier batch are handled', async () => {
    const saved: string[] = [];
    const checkpoint = new SyncCheckpoint(async (token) => {
      saved.push(token);
    });
    const first = checkpoint.begin('t1');
    const second = checkpoint.begin('t2');
    const third = checkpoint.begin('t3');
    second.done();
    await checkpoint.flushed();
    expect(saved).toEqual([]);
    first.done();
    await checkpoint.flushed();
    expect(saved).toEqual(['t2']);
    third.done();
    await checkpoint.flushed();
    expect(saved).toEqual(['t2', 't3']);
  });

  it('a failed save is reported, never thrown, and retried with the next position', async () => {
    const saved: string[] = [];
    const errors: string[] = [];
    let down = true;
    const checkpoint = new SyncCheckpoint(
      async (token) => {
        if (down) throw new Error(`database down (${token})`);
        saved.push(token);
      },
      (error) => errors.push((error as Error).message),
    );
    checkpoint.begin('t1').done();
    await checkpoint.flushed();
    expect(errors).toEqual(['database down (t1)']);
    down = false;
    checkpoint.begin('t2').done();
    await checkpoint.flushed();
    expect(saved).toEqual(['t2']);
  });
});
