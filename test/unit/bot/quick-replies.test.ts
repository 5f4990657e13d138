// The one quick widget per question and what votes and reactions stand for (pure parts).
import { describe, expect, it } from 'vitest';
import { QuickReplies, readPollAnswers } from '../../../bot/candidacy/quick-replies.ts';
import { loadQuestionnaireById } from '../../../flows/questionnaire.ts';

const badge = loadQuestionnaireById('badge-2026');
const kind = badge.byId.get('collectivity_kind');
const linux = badge.byId.get('uses_linux_workstations');
const title = (q: { number: number }) => `Q${q.number}`;
const at = new Date('2026-10-01T08:00:00Z');

describe('quick replies', () => {
  it('a choice question gets a poll whose answer ids name the question; a yes/no one ✅ then ❌', () => {
    const quick = new QuickReplies();
    const choice = quick.plan('!r', kind, 'collectivity_kind', title, 'en');
    expect(choice.widget.quickReplies).toBeUndefined();
    expect(choice.widget.poll?.answers[1]).toEqual({
      id: 'collectivity_kind/epci',
      text: 'Inter-municipal body (EPCI)',
    });
    expect(choice.widget.poll?.maxSelections).toBe(1);
    const yesNo = quick.plan('!r', linux, 'uses_linux_workstations', title, 'fr');
    expect(yesNo.widget).toEqual({ quickReplies: ['✅', '❌'] });
  });

  it('one open poll per question; polls of questions no longer asked are to be ended', () => {
    const quick = new QuickReplies();
    quick.plan('!r', kind, 'collectivity_kind', title, 'fr');
    expect(quick.pollSent('!r', '$poll', 'collectivity_kind')).toBe(true);
    // Asked again after a refusal: no second poll.
    expect(quick.plan('!r', kind, 'collectivity_kind', title, 'fr').widget.poll).toBeUndefined();
    // A side reply keeps it open; the next question ends it.
    expect(quick.plan('!r', undefined, 'collectivity_kind', title, 'fr').ending).toEqual([]);
    expect(quick.plan('!r', undefined, 'lead_name', title, 'fr').ending).toEqual([
      { pollId: '$poll', questionId: 'collectivity_kind' },
    ]);
    // A poll that went out after its question was answered is not wanted.
    expect(quick.pollSent('!r', '$late', 'collectivity_kind')).toBe(false);
  });

  it('votes name their question; reactions count on yes/no question messages only, with their keys only', () => {
    const quick = new QuickReplies();
    const base = { sender: '@a:x', at };
    expect(
      quick.toEvent(
        '!r',
        { kind: 'pollResponse', pollEventId: '$p', answerIds: ['collectivity_kind/epci'] },
        base,
      ),
    ).toEqual({ type: 'quick', questionId: 'collectivity_kind', text: 'epci', ...base });
    expect(
      quick.toEvent('!r', { kind: 'pollResponse', pollEventId: '$p', answerIds: ['epci'] }, base),
    ).toBeNull();
    expect(readPollAnswers(['a/x', 'b/y'])).toBeUndefined();
    expect(readPollAnswers([])).toBeUndefined();
    quick.sent('!r', linux, '$q7');
    quick.sent('!r', kind, '$q2');
    const react = (targetEventId: string, key: string) =>
      quick.toEvent('!r', { kind: 'reaction', targetEventId, key }, base);
    expect(react('$q7', '👎')).toEqual({
      type: 'quick',
      questionId: 'uses_linux_workstations',
      text: 'non',
      ...base,
    });
    expect(react('$q7', '👀')).toBeNull();
    expect(react('$q2', '✅')).toBeNull();
    expect(react('$unknown', '✅')).toBeNull();
  });
});
