import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../storage/errors.ts';
import { deepEqual, diffUpdate, retryOnConflict } from '../../../storage/util.ts';

describe('diffUpdate', () => {
  it('sets changed fields and unsets removed ones', () => {
    const before = { _id: 'x', a: 1, b: [1, 2], c: new Date(0), gone: 'y' };
    const after = { _id: 'x', a: 1, b: [1, 3], c: new Date(0), added: true, gone: undefined };
    expect(diffUpdate(before, after, false)).toEqual({
      $set: { b: [1, 3], added: true },
      $unset: { gone: '' },
    });
    expect(diffUpdate(before, before, true)).toEqual({
      $set: { a: 1, b: [1, 2], c: new Date(0), gone: 'y' },
    });
  });

  it('compares dates by time and ignores undefined properties', () => {
    expect(deepEqual({ d: new Date(5), u: undefined }, { d: new Date(5) })).toBe(true);
    expect(deepEqual([1, { a: 2 }], [1, { a: 3 }])).toBe(false);
  });
});

describe('retryOnConflict', () => {
  it('retries conflicts until the attempt succeeds', async () => {
    let attempts = 0;
    const result = await retryOnConflict(async () => {
      attempts += 1;
      if (attempts < 4) throw new ConflictError('c', 'id', attempts, attempts + 1);
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(4);
  });

  it('gives up after maxAttempts and never retries other errors', async () => {
    let attempts = 0;
    await expect(
      retryOnConflict(
        async () => {
          attempts += 1;
          throw new ConflictError('c', 'id', 1, 2);
        },
        { maxAttempts: 3 },
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(attempts).toBe(3);
    let other = 0;
    await expect(
      retryOnConflict(async () => {
        other += 1;
        throw new TypeError('bug');
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(other).toBe(1);
  });
});
