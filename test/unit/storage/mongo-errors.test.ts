import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isUnavailable, violatedIndex } from '../../../storage/mongo-engine.ts';
import type { IndexSpec } from '../../../storage/port.ts';

describe('driver error translation', () => {
  it('treats network trouble and shutdown codes as unavailability', () => {
    expect(isUnavailable(new MongoNetworkError('connection reset'))).toBe(true);
    expect(isUnavailable(new MongoServerError({ message: 'shutting down', code: 91 }))).toBe(true);
    const labelled = new MongoServerError({ message: 'pool', code: 1 });
    labelled.addErrorLabel('RetryableWriteError');
    expect(isUnavailable(labelled)).toBe(true);
    expect(isUnavailable(new MongoServerError({ message: 'dup', code: 11000 }))).toBe(false);
    expect(isUnavailable(new Error('other'))).toBe(false);
  });

  it('finds the index a duplicate-key error is about', () => {
    const specs: IndexSpec[] = [{ name: 'one_vote', keys: { candidacyId: 1, juror: 1 }, unique: true }];
    expect(
      violatedIndex('E11000 duplicate key error collection: db.c index: one_vote dup key: {}', null, []),
    ).toBe('one_vote');
    expect(
      violatedIndex("Duplicate key violation on the requested collection: Index 'one_vote'", null, []),
    ).toBe('one_vote');
    expect(violatedIndex('duplicate', { juror: 1, candidacyId: 1 }, specs)).toBe('one_vote');
    expect(violatedIndex('duplicate', { _id: 1 }, specs)).toBe('_id_');
  });
});
