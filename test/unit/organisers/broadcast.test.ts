import { describe, expect, it } from 'vitest';
import {
  type CandidacyTargetView,
  type DeliveryView,
  MAX_ATTEMPTS,
  isDue,
  retryDelayMs,
  selectTargets,
  summarize,
  versionFor,
} from '../../../flows/campaign/broadcast.ts';
import { DAY, T0 } from './fixtures.ts';

const rooms: CandidacyTargetView[] = [
  {
    id: 'c1',
    roomId: '!r1:x',
    stage: 'draft',
    lastActivityAt: new Date(T0.getTime() - 20 * DAY),
    aliases: ['Rennes'],
  },
  { id: 'c2', roomId: '!r2:x', stage: 'draft', lastActivityAt: T0 },
  { id: 'c3', roomId: '!r3:x', stage: 'submitted', lastActivityAt: T0 },
  { id: 'c4', roomId: '!r4:x', stage: 'review', lastActivityAt: T0 },
  { id: 'c5', roomId: '!r5:x', stage: 'withdrawn', lastActivityAt: T0 },
];
const ids = (targets: CandidacyTargetView[]) => targets.map((t) => t.id);

describe('broadcast audiences', () => {
  it('all, drafts and submitted never include withdrawn candidacies', () => {
    expect(ids(selectTargets({ candidacies: 'all', public: false }, rooms, T0).targets)).toEqual([
      'c1',
      'c2',
      'c3',
      'c4',
    ]);
    expect(ids(selectTargets({ candidacies: 'drafts', public: false }, rooms, T0).targets)).toEqual([
      'c1',
      'c2',
    ]);
    expect(ids(selectTargets({ candidacies: 'submitted', public: false }, rooms, T0).targets)).toEqual([
      'c3',
      'c4',
    ]);
    expect(selectTargets({ candidacies: 'none', public: true }, rooms, T0).targets).toEqual([]);
  });

  it('a list matches ids, room ids and names, and reports what it cannot find', () => {
    const { targets, unknownRefs } = selectTargets(
      { candidacies: { refs: ['c3', '!r2:x', 'rennes', 'c5', 'nowhere'] }, public: false },
      rooms,
      T0,
    );
    expect(ids(targets).sort()).toEqual(['c1', 'c2', 'c3']);
    expect(unknownRefs).toEqual(['c5', 'nowhere']);
  });

  it('filters on inactivity', () => {
    const { targets } = selectTargets(
      { candidacies: 'drafts', public: false, inactiveForMs: 10 * DAY },
      rooms,
      T0,
    );
    expect(ids(targets)).toEqual(['c1']);
  });
});

describe('deliveries', () => {
  const d = (over: Partial<DeliveryView>): DeliveryView => ({
    roomId: '!r:x',
    status: 'pending',
    attempts: 0,
    error: null,
    nextAttemptAt: null,
    ...over,
  });

  it('pending and interrupted deliveries are due; failed ones after their delay, a limited number of times', () => {
    expect(isDue(d({}), T0)).toBe(true);
    expect(isDue(d({ status: 'sending', attempts: 1 }), T0)).toBe(true);
    expect(isDue(d({ status: 'sent', attempts: 1 }), T0)).toBe(false);
    const failed = d({
      status: 'failed',
      attempts: 1,
      nextAttemptAt: new Date(T0.getTime() + retryDelayMs(1)),
    });
    expect(isDue(failed, T0)).toBe(false);
    expect(isDue(failed, new Date(T0.getTime() + 60_000))).toBe(true);
    expect(isDue({ ...failed, attempts: MAX_ATTEMPTS }, new Date(T0.getTime() + DAY))).toBe(false);
    expect([1, 2, 3].map(retryDelayMs)).toEqual([60_000, 240_000, 960_000]);
  });

  it('summarizes a round: settled only when nothing waits', () => {
    const summary = summarize([
      d({ status: 'sent', attempts: 1 }),
      d({ status: 'failed', attempts: 2 }),
      d({ status: 'failed', attempts: MAX_ATTEMPTS }),
    ]);
    expect(summary).toEqual({
      total: 3,
      sent: 1,
      retrying: 1,
      failed: 1,
      waiting: 0,
      round: MAX_ATTEMPTS,
      settled: true,
    });
    expect(summarize([d({}), d({ status: 'sent', attempts: 1 })]).settled).toBe(false);
  });

  it('picks the version of a text for a language', () => {
    expect(versionFor({ fr: 'Bonjour', en: 'Hello' }, 'en')).toBe('Hello');
    expect(versionFor({ '*': 'Salut', en: 'Hello' }, 'fr')).toBe('Salut');
    expect(versionFor({ fr: 'Bonjour' }, 'en')).toBe('Bonjour');
  });
});
