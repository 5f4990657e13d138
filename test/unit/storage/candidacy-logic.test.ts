import { describe, expect, it } from 'vitest';
import {
  applyChange,
  type Candidacy,
  collectiviteKey,
  normaliseName,
  RECENT_EVENT_IDS,
} from '../../../storage/candidacies.ts';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-02T00:00:00.000Z');

function candidacy(overrides: Partial<Candidacy> = {}): Candidacy {
  return {
    id: 'c',
    campaignId: 'k',
    collectivite: null,
    people: { lead: { userId: '@a:x' }, coEditors: [] },
    answers: { q: { value: 'old', by: '@a:x', at: t0 } },
    conversation: null,
    status: 'draft',
    roomId: null,
    language: 'fr',
    createdAt: t0,
    updatedAt: t0,
    submittedAt: null,
    version: 7,
    schemaVersion: 2,
    recentEventIds: [],
    originEventId: null,
    ...overrides,
  };
}

describe('collectivité identity', () => {
  it('ignores case, accents, punctuation and spacing in names', () => {
    expect(normaliseName("  L'Haÿ-les-Roses ")).toBe('l hay les roses');
    expect(normaliseName('SAINT-ÉTIENNE')).toBe(normaliseName('saint etienne'));
  });

  it('prefers the official code, else kind and name', () => {
    expect(collectiviteKey({ name: 'Lyon', kind: 'commune', officialCode: ' 69 123' })).toBe('code:69123');
    expect(collectiviteKey({ name: 'Lyon', kind: 'Commune' })).toBe('name:commune:lyon');
    expect(collectiviteKey({ name: 'Lyon', kind: 'commune' })).not.toBe(
      collectiviteKey({ name: 'Lyon', kind: 'epci' }),
    );
  });
});

describe('applyChange', () => {
  it('audits real changes only, with the previous value', () => {
    const { next, audit } = applyChange(
      candidacy(),
      {
        by: '@b:x',
        eventId: '$e',
        effects: [
          { kind: 'set', questionId: 'q', value: 'old' },
          { kind: 'clear', questionId: 'never-answered' },
          { kind: 'set', questionId: 'q', value: 'new' },
        ],
      },
      t1,
    );
    expect(next.version).toBe(8);
    expect(next.answers.q).toEqual({ value: 'new', by: '@b:x', at: t1 });
    expect(audit).toEqual([
      {
        kind: 'answer',
        candidacyId: 'c',
        questionId: 'q',
        action: 'set',
        value: 'new',
        previous: { value: 'old', by: '@a:x', at: t0 },
        by: '@b:x',
        at: t1,
        eventId: '$e',
        version: 8,
      },
    ]);
  });

  it('sets submittedAt the first time only, and bounds the event ids', () => {
    const first = applyChange(candidacy(), { by: '@a:x', status: 'submitted' }, t1).next;
    expect(first.submittedAt).toEqual(t1);
    const back = applyChange(first, { by: '@a:x', status: 'draft' }, t1).next;
    const again = applyChange(
      back,
      { by: '@a:x', status: 'submitted' },
      new Date('2026-02-01T00:00:00.000Z'),
    ).next;
    expect(again.submittedAt).toEqual(t1);

    const full = candidacy({ recentEventIds: Array.from({ length: RECENT_EVENT_IDS }, (_, i) => `$${i}`) });
    const bounded = applyChange(full, { by: '@a:x', eventId: '$last' }, t1).next.recentEventIds;
    expect(bounded).toHaveLength(RECENT_EVENT_IDS);
    expect(bounded[0]).toBe('$1');
    expect(bounded.at(-1)).toBe('$last');
  });

  it('does not touch the candidacy it was given', () => {
    const current = candidacy();
    applyChange(current, { by: '@b:x', effects: [{ kind: 'clear', questionId: 'q' }] }, t1);
    expect(current.answers.q?.value).toBe('old');
  });
});

describe('list answers built by several people', () => {
  it('keep who typed each entry, in the answer and its audit entry', () => {
    const { next, audit } = applyChange(
      candidacy(),
      {
        by: '@b:x',
        eventId: '$done',
        effects: [
          { kind: 'set', questionId: 'tools', value: ['LibreOffice', 'Firefox'], itemsBy: ['@a:x', '@b:x'] },
        ],
      },
      t1,
    );
    expect(next.answers.tools).toEqual({
      value: ['LibreOffice', 'Firefox'],
      by: '@b:x',
      at: t1,
      itemsBy: ['@a:x', '@b:x'],
    });
    expect(audit[0]).toMatchObject({
      kind: 'answer',
      questionId: 'tools',
      by: '@b:x',
      itemsBy: ['@a:x', '@b:x'],
    });
    // Other answers carry no such list.
    expect(next.answers.q).not.toHaveProperty('itemsBy');
  });
});
