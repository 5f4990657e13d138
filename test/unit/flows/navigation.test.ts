import { describe, expect, it } from 'vitest';
import type { AnswerRecord } from '../../../flows/answers.ts';
import {
  conditionHolds,
  findQuestion,
  identityOf,
  missingRequired,
  nextOpen,
  previousRelevant,
  progressOf,
  prune,
} from '../../../flows/navigation.ts';
import { fixture } from './fixture.ts';

const a = (value: AnswerRecord['value']): AnswerRecord => ({ value, by: '@x:y', at: '2026-01-01T00:00:00Z' });

describe('conditions', () => {
  const answers = { kind: a('epci'), uses_linux: a(true), staff: a(40), formats: a(['csv', 'json']) };
  it('equals, in, includes, answered, atLeast, atMost, all, any, not', () => {
    expect(conditionHolds({ question: 'kind', equals: 'epci' }, answers)).toBe(true);
    expect(conditionHolds({ question: 'kind', in: ['commune', 'other'] }, answers)).toBe(false);
    expect(conditionHolds({ question: 'formats', includes: 'json' }, answers)).toBe(true);
    expect(conditionHolds({ question: 'site', answered: false }, answers)).toBe(true);
    expect(conditionHolds({ question: 'staff', atLeast: 40 }, answers)).toBe(true);
    expect(conditionHolds({ question: 'staff', atMost: 39 }, answers)).toBe(false);
    expect(
      conditionHolds(
        { all: [{ question: 'uses_linux', equals: true }, { not: { question: 'kind', equals: 'commune' } }] },
        answers,
      ),
    ).toBe(true);
    expect(
      conditionHolds(
        {
          any: [
            { question: 'name', answered: true },
            { question: 'staff', atLeast: 100 },
          ],
        },
        answers,
      ),
    ).toBe(false);
  });
  it('an unanswered question satisfies no value condition', () => {
    expect(conditionHolds({ question: 'uses_linux', equals: false }, {})).toBe(false);
  });
});

describe('navigation', () => {
  it('next open question follows conditions and skips', () => {
    const pos = { answers: { name: a('X'), kind: a('commune') }, skipped: [] };
    expect(nextOpen(fixture, pos, 'kind')?.id).toBe('uses_linux');
    const linux = { answers: { ...pos.answers, uses_linux: a(false) }, skipped: ['staff'] };
    expect(nextOpen(fixture, linux, 'uses_linux')?.id).toBe('formats');
  });

  it('previous relevant question skips those that do not apply', () => {
    expect(previousRelevant(fixture, { kind: a('commune'), uses_linux: a(false) }, 'staff')?.id).toBe(
      'uses_linux',
    );
    expect(previousRelevant(fixture, { kind: a('other') }, 'uses_linux')?.id).toBe('kind_other');
    expect(previousRelevant(fixture, {}, 'name')).toBeUndefined();
    expect(previousRelevant(fixture, {}, null)?.id).toBe('notes');
  });

  it('prune drops answers whose condition no longer holds, in cascade', () => {
    const { answers, dropped } = prune(fixture, {
      uses_linux: a(false),
      linux_share: a(30),
      distros: a(['Debian']),
      staff: a(3),
    });
    expect(Object.keys(answers)).toEqual(['uses_linux', 'staff']);
    expect(dropped.map((d) => d.question.id)).toEqual(['linux_share', 'distros']);
    expect(dropped[0]?.previous.value).toBe(30);
  });

  it('missing required counts what applies; progress counts every question, as "Q8/12" does', () => {
    const answers = { name: a('X'), kind: a('commune'), uses_linux: a(false) };
    expect(missingRequired(fixture, answers).map((q) => q.id)).toEqual(['formats', 'email']);
    const p = progressOf(fixture, answers, ['staff']);
    // 3 answered, 3 that do not apply, 1 skipped: 7 of the 12 settled.
    expect([p.answered, p.notApplicable, p.done, p.total]).toEqual([3, 3, 7, 12]);
    expect(p.sections.map((s) => [s.sectionId, s.done, s.total])).toEqual([
      ['identification', 3, 3],
      ['tech', 4, 5],
      ['contact', 0, 4],
    ]);
  });

  it('finds questions by number or id', () => {
    expect(findQuestion(fixture, '4')?.id).toBe('uses_linux');
    expect(findQuestion(fixture, 'Q4')?.id).toBe('uses_linux');
    expect(findQuestion(fixture, '#4')?.id).toBe('uses_linux');
    expect(findQuestion(fixture, 'USES_LINUX')?.id).toBe('uses_linux');
    expect(findQuestion(fixture, '99')).toBeUndefined();
  });

  it('identity by role', () => {
    expect(identityOf(fixture, { name: a('Ville'), kind: a('epci'), staff: a(2) })).toEqual({
      collectivity_name: 'Ville',
      collectivity_kind: 'epci',
    });
  });
});
