// What a person meets besides the questions themselves: side replies that end with the
// question being asked, quick replies (poll votes, reactions) that count only while their
// question is asked, invisible or decomposed text, and lists built by several people.
import { describe, expect, it } from 'vitest';
import { parseAnswer } from '../../../flows/answers.ts';
import { parseInput } from '../../../flows/commands.ts';
import { reminderOf } from '../../../flows/conversation.ts';
import { cleanText, isBlank } from '../../../flows/text.ts';
import { BEFORE, Driver, fixture, LEA, MAX } from './fixture.ts';

const quick = (questionId: string, text: string, sender = LEA) =>
  ({ type: 'quick', questionId, text, sender, at: BEFORE }) as const;

describe('side replies end with the question being asked', () => {
  it('summary, progress, help, a refusal and an unknown command each end with it, in one intent', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    for (const text of ['!recap', '!progression', '!aide', '!soumettre', '!abracadabra', '!modifier 99']) {
      d.say(text);
      expect(d.replies.at(-1), text).toEqual({ kind: 'current', questionId: 'uses_linux', number: 4 });
      expect(
        d.kinds().filter((k) => k === 'current'),
        text,
      ).toHaveLength(1);
    }
  });

  it('not when the question itself is asked again, nor while a list is being typed', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    d.say('peut-être');
    expect(d.kinds()).toEqual(['invalid', 'ask']);
    d.answer('oui', '40');
    expect(d.asked()).toBe('distros');
    d.answer('Debian');
    expect(d.kinds()).toEqual(['listItemsAdded']);
    d.say('!fini', LEA);
    expect(d.kinds()).toContain('ask');
  });

  it('none at review or while paused: nothing is being asked', () => {
    const d = new Driver();
    d.answer('Ville', '!pause');
    d.say('!recap');
    expect(d.kinds()).toEqual(['summary']);
    expect(reminderOf(d.last.view, fixture)).toBeUndefined();
  });
});

describe('quick replies', () => {
  it('a vote for the question being asked is its answer', () => {
    const d = new Driver();
    d.answer('Ville');
    const r = d.send(quick('kind', 'epci'));
    expect(r.accepted).toBe(true);
    expect(d.context.answers.kind?.value).toBe('epci');
    expect(d.asked()).toBe('uses_linux');
  });

  it('a late vote changes nothing and says how to change the answer, then recalls the current question', () => {
    const d = new Driver();
    d.answer('Ville', '2');
    const before = d.snapshot;
    const r = d.send(quick('kind', 'commune', MAX));
    expect(r.accepted).toBe(false);
    expect(r.effects).toEqual([]);
    expect(r.snapshot).toEqual(before);
    expect(r.replies).toEqual([
      { kind: 'lateQuickReply', questionId: 'kind', number: 2, value: 'epci' },
      { kind: 'current', questionId: 'uses_linux', number: 4 },
    ]);
    expect(d.context.answers.kind?.value).toBe('epci');
  });

  it('a reaction to a question left unanswered and no longer asked is refused too', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    d.answer('!passer'); // staff (optional) skipped
    const r = d.send(quick('staff', 'oui'));
    expect(r.replies[0]).toEqual({ kind: 'lateQuickReply', questionId: 'staff', number: 7 });
    expect(r.accepted).toBe(false);
  });
});

describe('input hygiene', () => {
  const ZERO_WIDTH = [
    '\u200b',
    '\u200c\u200d',
    '\u2060\ufeff',
    '\u200e\u202e\u2066',
    '\u00a0 \u202f',
    '\u0301',
  ];

  it('text made only of invisible characters is blank; NFC and edges trimmed otherwise', () => {
    for (const text of ZERO_WIDTH) expect(isBlank(text), JSON.stringify(text)).toBe(true);
    expect(cleanText('\u200b Cafe\u0301 \u00a0')).toBe('Café');
    expect(cleanText('🏳️‍🌈')).toBe('🏳️‍🌈'); // the joiner inside an emoji stays
    expect(isBlank('a\u200b')).toBe(false);
  });

  it('an invisible answer is refused as empty and the question asked again; nothing is stored', () => {
    const d = new Driver();
    for (const text of ZERO_WIDTH) {
      const r = d.say(text);
      expect(r.accepted, JSON.stringify(text)).toBe(false);
      expect(d.reply('invalid').problem.code).toBe('empty');
      expect(d.asked()).toBe('name');
    }
    expect(d.context.answers).toEqual({});
  });

  it('an invisible list entry is no entry; decomposed accents are stored composed', () => {
    expect(parseAnswer(fixture.byId.get('name')!, 'Ville-sur-Me\u0301e')).toEqual({
      ok: true,
      value: 'Ville-sur-Mée',
    });
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '40');
    d.say('\u200b');
    expect(d.reply('invalid').problem.code).toBe('empty');
    d.answer('\u200bDebian\n\u200b\nFe\u0301dora');
    expect(d.context.drafts.distros).toEqual(['Debian', 'Fédora']);
  });

  it('a command behind an invisible character is still the command', () => {
    expect(parseInput('\u200b!recap')).toEqual({ kind: 'command', name: 'summary' });
  });
});

describe('a list built by two people', () => {
  it('credits each entry to whoever typed it, not to whoever typed !fini, and keeps that through an edit', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '40');
    d.say('Debian', LEA);
    d.say('Fedora', MAX);
    const r = d.say('!fini', MAX);
    const set = r.effects.find((e) => e.type === 'answerSet');
    expect(set).toMatchObject({ questionId: 'distros', value: ['Debian', 'Fedora'], by: MAX });
    expect(set?.type === 'answerSet' ? set.itemsBy : undefined).toEqual([LEA, MAX]);
    // Edited later by Max: Léa's entry stays hers, the new one is Max's.
    d.say('!modifier 6', MAX);
    // The third entry fills the list (three at most): it is saved at once.
    const again = d.say('Arch', MAX).effects.find((e) => e.type === 'answerSet');
    expect(again?.type === 'answerSet' ? again.itemsBy : undefined).toEqual([LEA, MAX, MAX]);
  });

  it('a snapshot saved before entries kept their authors still restores', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '40', 'Debian');
    const state = d.snapshot.state as { context: Record<string, unknown> };
    delete state.context.draftBy;
    const old = new Driver({ snapshot: d.snapshot });
    const r = old.say('!fini', MAX);
    const set = r.effects.find((e) => e.type === 'answerSet');
    expect(set?.type === 'answerSet' ? set.itemsBy : undefined).toEqual([MAX]);
  });
});

describe('counts', () => {
  it('a question that may still apply is not counted as "does not apply"', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    d.say('!progression');
    // linux_share and distros wait for uses_linux; only kind_other is settled.
    expect(d.reply('progress')).toMatchObject({ answered: 2, notApplicable: 1, done: 3, total: 12 });
    d.say('!recap');
    expect(d.reply('summary').notApplicable).toBe(1);
    d.answer('non');
    d.say('!recap');
    expect(d.reply('summary').notApplicable).toBe(3);
  });
});

describe('quick replies in other states', () => {
  it('paused, a vote on the question being asked gets the pause answer; never the yes of a confirmation', () => {
    const d = new Driver();
    d.answer('Ville', '!pause');
    d.send(quick('kind', 'epci'));
    expect(d.kinds()).toEqual(['isPaused']);
    const c = new Driver();
    c.answer('Ville', '1', 'oui');
    c.answer('!modifier 4', '!effacer 4');
    expect(c.state).toBe('confirming');
    const r = c.send(quick('uses_linux', 'oui'));
    expect(r.replies[0]?.kind).toBe('lateQuickReply');
    expect(c.state).toBe('confirming');
    expect(c.context.answers.uses_linux?.value).toBe(true);
  });
});
