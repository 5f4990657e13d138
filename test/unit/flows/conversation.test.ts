// The candidacy conversation driven through its pure facade (xstate `transition`), as the
// bot does: every step gets the stored snapshot and returns the next one.
import { describe, expect, it } from 'vitest';
import { MACHINE_VERSION, SnapshotError, step } from '../../../flows/conversation.ts';
import type { Effect } from '../../../flows/intents.ts';
import { validateQuestionnaire } from '../../../flows/questionnaire.ts';
import { parse } from 'yaml';
import { AFTER, BEFORE, campaign, CLOSES_AT, Driver, FIXTURE_YAML, LEA, MAX } from './fixture.ts';

/** Answers everything with the fewest questions (no GNU/Linux), up to review. */
function toReview(d = new Driver()): Driver {
  d.answer('Ville de Test', '1', 'non', '!passer', '1', '!passer', 'contact@ville.fr', '!passer', '!passer');
  expect(d.state).toBe('review');
  return d;
}

function submitted(): Driver {
  const d = toReview();
  d.answer('!soumettre', '!oui');
  expect(d.state).toBe('submitted');
  return d;
}

const answerSets = (effects: Effect[]) =>
  effects.filter((e): e is Extract<Effect, { type: 'answerSet' }> => e.type === 'answerSet');

describe('a candidacy from start to submission', () => {
  it('greets, then asks the first question', () => {
    const d = new Driver();
    expect(d.kinds()).toEqual(['welcome', 'ask']);
    expect(d.reply('welcome')).toMatchObject({ total: 12, sections: 3, closesAt: CLOSES_AT.toISOString() });
    expect(d.reply('ask')).toMatchObject({ questionId: 'name', number: 1, total: 12, newSection: true });
    expect(d.state).toBe('filling');
  });

  it('records each answer with who gave it and when, and asks the next one', () => {
    const d = new Driver();
    const r = d.say('Ville de Test', LEA, new Date('2026-09-02T10:00:00Z'));
    expect(r.accepted).toBe(true);
    expect(r.effects).toEqual([
      {
        type: 'answerSet',
        questionId: 'name',
        value: 'Ville de Test',
        by: LEA,
        at: '2026-09-02T10:00:00.000Z',
        source: 'answer',
      },
    ]);
    expect(d.asked()).toBe('kind');
    expect(r.view.questionId).toBe('kind');
  });

  it('walks to review, then submits after confirmation', () => {
    const d = toReview();
    expect(d.kinds()).toEqual(['skipped', 'review']);
    d.answer('!soumettre');
    expect(d.kinds()).toEqual(['confirmSubmit']);
    const r = d.say('!oui');
    expect(r.effects).toEqual([
      { type: 'status', status: 'submitted', previous: 'draft', by: LEA, at: BEFORE.toISOString() },
    ]);
    expect(d.kinds()).toEqual(['submitted']);
    expect(r.view.status).toBe('submitted');
  });

  it('an invalid answer gets the reason and the question again, and changes nothing', () => {
    const d = new Driver();
    d.answer('Ville');
    const before = d.snapshot;
    const r = d.say('12');
    expect(r.accepted).toBe(false);
    expect(r.snapshot).toEqual(before);
    expect(d.kinds()).toEqual(['invalid', 'ask']);
    expect(d.reply('invalid').problem.code).toBe('unknownChoice');
    expect(d.asked()).toBe('kind');
  });

  it('asks conditional follow-ups only when they apply', () => {
    const d = new Driver();
    d.answer('Ville', 'Autre');
    expect(d.asked()).toBe('kind_other');
    d.answer('Syndicat', 'oui');
    expect(d.asked()).toBe('linux_share');
    d.answer('30 %');
    expect(d.asked()).toBe('distros');

    const e = new Driver();
    e.answer('Ville', 'commune', 'non');
    expect(e.asked()).toBe('staff');
  });

  it('announces each new section once', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    expect(d.reply('ask')).toMatchObject({ questionId: 'uses_linux', newSection: true });
    d.answer('non');
    expect(d.reply('ask')).toMatchObject({ questionId: 'staff', newSection: false });
  });

  it('several people answer; each answer records who gave it', () => {
    const d = new Driver();
    d.say('Ville', LEA);
    d.say('2', MAX);
    expect(d.context.answers.name?.by).toBe(LEA);
    expect(d.context.answers.kind?.by).toBe(MAX);
    d.say('!recap', MAX);
    const summary = d.reply('summary');
    expect(summary.sections[0]?.items.map((i) => i.by)).toEqual([LEA, MAX]);
  });
});

describe('going back', () => {
  it('cannot go back from the first question', () => {
    const d = new Driver();
    d.say('!retour');
    expect(d.kinds()).toEqual(['cannotGoBack', 'current']);
    expect(d.last.accepted).toBe(false);
  });

  it('goes to the previous question that applied, showing the current answer', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    expect(d.asked()).toBe('staff');
    d.answer('!retour');
    expect(d.reply('ask')).toMatchObject({ questionId: 'uses_linux', current: false });
    d.answer('!retour');
    expect(d.reply('ask')).toMatchObject({ questionId: 'kind', current: 'commune' });
    // kind_other (Q3) does not apply: back from kind goes to name.
    d.answer('!back');
    expect(d.asked()).toBe('name');
  });

  it('after going back and answering, continues where the person was', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '!retour', '!retour', '2');
    expect(d.asked()).toBe('staff');
  });

  it('changing an answer a condition depends on drops what no longer applies and says so', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '40', 'Debian', '!fini');
    expect(d.asked()).toBe('staff');
    d.answer('!retour');
    // distros' entries are the saved answer: back goes on to the previous question.
    expect(d.reply('ask')).toMatchObject({ questionId: 'distros', items: ['Debian'] });
    d.answer('!retour', '!retour');
    expect(d.asked()).toBe('uses_linux');
    const r = d.say('non');
    expect(
      r.effects.map((e) => [e.type, 'questionId' in e ? e.questionId : '', 'reason' in e ? e.reason : '']),
    ).toEqual([
      ['answerSet', 'uses_linux', ''],
      ['answerCleared', 'linux_share', 'notApplicable'],
      ['answerCleared', 'distros', 'notApplicable'],
    ]);
    expect(d.reply('dropped').questions.map((q) => q.questionId)).toEqual(['linux_share', 'distros']);
    expect(d.asked()).toBe('staff');
    expect(d.context.answers.linux_share).toBeUndefined();
    // Going back now skips the questions that no longer apply.
    d.answer('!retour');
    expect(d.asked()).toBe('uses_linux');
  });

  it('back from review goes to the last question that applies', () => {
    const d = toReview();
    d.answer('!retour');
    expect(d.reply('ask')).toMatchObject({ questionId: 'notes' });
    d.answer('!passer');
    expect(d.state).toBe('review');
  });
});

describe('editing an answer', () => {
  it('by number, then back to where the person was', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    d.answer('!modifier 1');
    expect(d.reply('ask')).toMatchObject({ questionId: 'name', current: 'Ville', newSection: true });
    const r = d.say('Ville-sur-Mer');
    expect(answerSets(r.effects)[0]).toMatchObject({
      questionId: 'name',
      value: 'Ville-sur-Mer',
      previous: 'Ville',
    });
    expect(d.asked()).toBe('staff');
  });

  it('by id; a change that makes questions relevant asks them, then returns', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '5');
    expect(d.asked()).toBe('formats');
    d.answer('!edit uses_linux', 'oui');
    expect(d.asked()).toBe('linux_share');
    d.answer('20', 'Debian', '!done');
    expect(d.asked()).toBe('formats');
  });

  it('!annuler leaves the answer as it was and returns', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '!modifier 2', '!annuler');
    expect(d.asked()).toBe('staff');
    expect(d.last.effects).toEqual([]);
  });

  it('!passer on an answered question keeps it', () => {
    const d = new Driver();
    d.answer('Ville', '1', '!modifier 1', '!passer');
    expect(d.kinds()).toEqual(['kept', 'ask']);
    expect(d.context.answers.name?.value).toBe('Ville');
  });

  it('unknown or not applicable questions', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    d.say('!modifier 99');
    expect(d.reply('unknownQuestion')).toMatchObject({ target: '99', total: 12 });
    d.say('!modifier kind_other');
    expect(d.reply('notApplicable')).toMatchObject({ questionId: 'kind_other', number: 3 });
    d.say('!modifier');
    expect(d.kinds()).toEqual(['missingArgument', 'current']);
  });

  it('from review returns to review', () => {
    const d = toReview();
    d.answer('!modifier 10', 'autre@ville.fr');
    expect(d.state).toBe('review');
    expect(d.kinds()).toEqual(['review']);
  });

  it('a submitted dossier stays editable until the deadline, and stays submitted', () => {
    const d = submitted();
    d.answer('!modifier 1', 'Ville-Neuve');
    expect(d.state).toBe('submitted');
    expect(d.kinds()).toEqual(['submittedState']);
    expect(d.last.view.status).toBe('submitted');
    expect(d.effects.filter((e) => e.type === 'status')).toHaveLength(1);
  });

  it('in a submitted dossier, a change that makes a required question relevant asks it first', () => {
    const d = submitted();
    d.answer('!modifier 4', 'oui');
    expect(d.asked()).toBe('linux_share');
    d.say('!passer');
    expect(d.kinds()).toEqual(['cannotSkip', 'ask']);
    d.answer('10', 'Debian', '!fini');
    expect(d.state).toBe('submitted');
  });
});

describe('skipping', () => {
  it('an optional question', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '!passer');
    expect(d.kinds()).toEqual(['skipped', 'ask']);
    expect(d.asked()).toBe('formats');
  });

  it('never a required one', () => {
    const d = new Driver();
    const r = d.say('!passer');
    expect(r.accepted).toBe(false);
    expect(d.kinds()).toEqual(['cannotSkip', 'ask']);
  });
});

describe('repeatable lists', () => {
  const atDistros = () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '50');
    expect(d.asked()).toBe('distros');
    return d;
  };

  it('collects entries one per message or several lines at once, until !fini', () => {
    const d = atDistros();
    d.answer('Debian');
    expect(d.reply('listItemsAdded')).toMatchObject({ added: ['Debian'], count: 1 });
    expect(d.last.effects).toEqual([]);
    d.answer('- Ubuntu');
    expect(d.reply('listItemsAdded')).toMatchObject({ added: ['Ubuntu'], count: 2 });
    const r = d.say('!fini');
    expect(answerSets(r.effects)[0]).toMatchObject({ questionId: 'distros', value: ['Debian', 'Ubuntu'] });
    expect(d.asked()).toBe('staff');
  });

  it('refuses duplicates, !retour removes the last entry, !effacer empties the list', () => {
    const d = atDistros();
    d.answer('Debian\nUbuntu');
    d.say('debian');
    expect(d.reply('invalid').problem).toEqual({ code: 'duplicateItem', params: { item: 'debian' } });
    d.answer('!retour');
    expect(d.reply('listItemRemoved')).toMatchObject({ item: 'Ubuntu', count: 1 });
    d.answer('!effacer');
    expect(d.kinds()).toEqual(['listCleared']);
    d.say('!fini');
    expect(d.reply('invalid').problem.code).toBe('tooFewItems');
  });

  it('saves by itself when the list is full', () => {
    const d = atDistros();
    d.answer('Debian', 'Ubuntu\nMint');
    expect(answerSets(d.last.effects)[0]?.value).toEqual(['Debian', 'Ubuntu', 'Mint']);
    expect(d.asked()).toBe('staff');
  });

  it('editing a saved list starts from its entries', () => {
    const d = atDistros();
    d.answer('Debian', '!fini', '!modifier distros');
    expect(d.reply('ask')).toMatchObject({ questionId: 'distros', items: ['Debian'] });
    d.answer('Fedora', '!fini');
    expect(d.context.answers.distros?.value).toEqual(['Debian', 'Fedora']);
  });

  it('an optional list left empty is skipped', () => {
    const data = parse(FIXTURE_YAML) as { sections: Array<{ questions: Array<Record<string, unknown>> }> };
    const distros = data.sections[0]?.questions[2];
    if (distros) distros.required = false;
    const d = new Driver({ questionnaire: validateQuestionnaire(data) });
    d.answer('Ville', '1', 'oui', '50', '!fini');
    expect(d.kinds()).toEqual(['skipped', 'ask']);
  });

  it('!fini outside a list is not available', () => {
    const d = new Driver();
    d.say('!fini');
    expect(d.reply('notAvailable').command).toBe('done');
  });
});

describe('summary, progress, help', () => {
  it('summary by section, with numbers, missing required questions listed', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    d.say('!recap');
    expect(d.last.accepted).toBe(false);
    const s = d.reply('summary');
    expect(s.sections.map((x) => x.sectionId)).toEqual(['identification', 'tech', 'contact']);
    expect(s.sections[1]?.items.map((i) => [i.number, i.value])).toEqual([
      [4, false],
      [7, undefined],
      [8, undefined],
    ]);
    expect(s.missing.map((m) => m.number)).toEqual([8, 10]);
  });

  it('progress counts every question, as the question numbers do, and carries the deadline', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    d.say('!progression');
    expect(d.reply('progress')).toMatchObject({
      answered: 3,
      notApplicable: 3,
      done: 6,
      total: 12,
      missing: 2,
      currentSectionId: 'tech',
      status: 'draft',
      closesAt: CLOSES_AT.toISOString(),
      timeZone: 'Europe/Paris',
      now: BEFORE.toISOString(),
    });
  });

  it('help about the current question and the commands that apply', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '40');
    d.say('!aide');
    const help = d.reply('help');
    expect(help.questionId).toBe('distros');
    expect(help.commands).toEqual(expect.arrayContaining(['done', 'clear', 'back', 'edit', 'summary']));
    d.say('!aide 2');
    expect(d.reply('help').questionId).toBe('kind');
    d.say('!aide 77');
    expect(d.kinds()).toEqual(['unknownQuestion', 'current']);
  });
});

describe('submitting and withdrawing', () => {
  it('submission lists what is missing', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    d.say('!soumettre');
    expect(d.reply('submitBlocked').missing.map((m) => m.questionId)).toEqual([
      'uses_linux',
      'formats',
      'email',
    ]);
    expect(d.state).toBe('filling');
  });

  it('can submit as soon as the required questions are answered; the rest count as unanswered', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '!passer', '1', '!passer', 'a@b.fr');
    expect(d.asked()).toBe('adopted');
    d.answer('!soumettre', 'oui');
    expect(d.state).toBe('submitted');
    d.answer('!modifier 1', 'Autre nom');
    expect(d.state).toBe('submitted'); // optional questions left are not asked again
  });

  it('a confirmation waits for yes or no; other messages remind it', () => {
    const d = toReview();
    d.answer('!soumettre');
    d.say('peut-être');
    expect(d.reply('confirmationPending').about).toBe('submit');
    expect(d.state).toBe('confirming');
    d.answer('non');
    expect(d.kinds()).toEqual(['submitCancelled', 'review']);
    d.answer('!soumettre', '!oui');
    d.say('!soumettre');
    expect(d.kinds()).toEqual(['alreadySubmitted']);
  });

  it('withdrawal needs confirmation, then freezes the candidacy', () => {
    const d = submitted();
    d.answer('!retirer');
    expect(d.reply('confirmWithdraw').status).toBe('submitted');
    d.answer('!non');
    expect(d.state).toBe('submitted');
    const r = d.answer('!retirer', '!oui');
    expect(r.effects).toEqual([
      { type: 'status', status: 'withdrawn', previous: 'submitted', by: LEA, at: BEFORE.toISOString() },
    ]);
    d.say('!modifier 1');
    expect(d.reply('frozen').status).toBe('withdrawn');
    d.say('!recap');
    expect(d.kinds()).toEqual(['summary']);
  });
});

describe('clearing answers, message edits and redactions', () => {
  it('!effacer N asks for confirmation, then clears', () => {
    const d = toReview();
    d.answer('!effacer 10');
    expect(d.reply('confirmClear')).toMatchObject({ questionId: 'email', value: 'contact@ville.fr' });
    const r = d.say('!oui');
    expect(r.effects).toEqual([
      {
        type: 'answerCleared',
        questionId: 'email',
        previous: 'contact@ville.fr',
        by: LEA,
        at: BEFORE.toISOString(),
        reason: 'cleared',
      },
    ]);
    // A required answer gone: the question is asked again.
    expect(d.asked()).toBe('email');
  });

  it('an edited answer message replaces the answer and the conversation continues', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    const r = d.send({ type: 'replace', questionId: 'name', text: 'Ville corrigée', sender: LEA });
    expect(answerSets(r.effects)[0]).toMatchObject({
      questionId: 'name',
      value: 'Ville corrigée',
      source: 'replace',
    });
    expect(d.kinds()).toEqual(['replaced', 'ask']);
    expect(d.asked()).toBe('staff');
  });

  it('an edit into an invalid answer is refused and changes nothing', () => {
    const d = new Driver();
    d.answer('Ville', '1');
    const r = d.send({ type: 'replace', questionId: 'kind', text: 'un ministère', sender: LEA });
    expect(r.accepted).toBe(false);
    expect(d.reply('invalid')).toMatchObject({ questionId: 'kind', problem: { code: 'unknownChoice' } });
  });

  it('an edit that makes questions relevant asks them before going on', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '3');
    d.send({ type: 'replace', questionId: 'uses_linux', text: 'oui', sender: LEA });
    expect(d.asked()).toBe('linux_share');
    d.answer('25', 'Debian', '!fini');
    expect(d.asked()).toBe('formats');
  });

  it('a redacted answer message offers to clear the answer', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    d.send({ type: 'redacted', questionId: 'uses_linux', sender: LEA });
    expect(d.reply('confirmClear').questionId).toBe('uses_linux');
    d.answer('non');
    expect(d.kinds()).toEqual(['clearCancelled', 'ask']);
    expect(d.context.answers.uses_linux?.value).toBe(false);
    // Nothing to clear: no reply, nothing changes.
    const r = d.send({ type: 'redacted', questionId: 'site', sender: LEA });
    expect([r.accepted, r.replies]).toEqual([false, []]);
  });
});

describe('pause, language', () => {
  it('pause and resume', () => {
    const d = new Driver();
    d.answer('Ville');
    const r = d.say('!pause');
    expect(r.effects).toEqual([{ type: 'paused', by: LEA, at: BEFORE.toISOString() }]);
    d.say('commune');
    expect(d.kinds()).toEqual(['isPaused']);
    expect(d.context.answers.kind).toBeUndefined();
    d.say('!progression');
    // Paused: no question is being asked, so none is recalled.
    expect(d.kinds()).toEqual(['progress']);
    d.answer('!reprendre');
    expect(d.kinds()).toEqual(['resumed', 'ask']);
    expect(d.asked()).toBe('kind');
    d.say('!reprendre');
    expect(d.kinds()).toEqual(['notPaused', 'current']);
  });

  it('language per person, among the questionnaire languages', () => {
    const d = new Driver();
    const r = d.say('!langue en', MAX);
    expect(r.effects).toEqual([{ type: 'language', person: MAX, lang: 'en', at: BEFORE.toISOString() }]);
    expect(d.kinds()).toEqual(['languageChanged', 'ask']);
    d.say('!language Français');
    expect(d.reply('languageChanged').lang).toBe('fr');
    d.say('!langue de');
    expect(d.reply('languageUnknown')).toEqual({
      kind: 'languageUnknown',
      requested: 'de',
      available: ['en', 'fr'],
    });
  });

  it('unknown commands are answered, never ignored', () => {
    const d = new Driver();
    const r = d.say('!abracadabra');
    expect(r.replies).toEqual([
      { kind: 'unknownCommand', command: 'abracadabra' },
      { kind: 'current', questionId: 'name', number: 1 },
    ]);
    expect(r.accepted).toBe(false);
  });
});

describe('the deadline', () => {
  it('answers after the closing time are refused with the closing date', () => {
    const d = new Driver();
    d.answer('Ville');
    const r = d.say('1', LEA, AFTER);
    expect(r.replies).toEqual([
      { kind: 'closed', submitted: false, closesAt: CLOSES_AT.toISOString(), timeZone: 'Europe/Paris' },
    ]);
    expect(answerSets(r.effects)).toEqual([]);
    expect(d.state).toBe('closed');
    d.say('1', LEA, AFTER);
    expect(d.reply('closed').submitted).toBe(false);
    d.say('!recap', LEA, AFTER);
    expect(d.kinds()).toEqual(['summary']);
  });

  it('the message time decides, not the time it is handled', () => {
    const d = new Driver();
    d.now = AFTER; // handled late (after a restart, say) but sent before closing
    d.say('Ville', LEA, new Date(CLOSES_AT.getTime() - 1000));
    expect(d.context.answers.name?.value).toBe('Ville');
    d.say('1', LEA, CLOSES_AT);
    expect(d.kinds()).toEqual(['closed']);
  });

  it('submission after the deadline is refused', () => {
    const d = toReview();
    d.say('!soumettre', LEA, AFTER);
    expect(d.kinds()).toEqual(['closed']);
    expect(d.last.view.status).toBe('draft');
  });

  it('a confirmation given after the deadline does not submit', () => {
    const d = toReview();
    d.answer('!soumettre');
    const r = d.say('!oui', LEA, AFTER);
    expect(r.effects).toEqual([]);
    expect(d.state).toBe('closed');
  });

  it('a submitted dossier freezes and goes under review', () => {
    const d = submitted();
    const r = d.say('!modifier 1', LEA, AFTER);
    expect(r.replies).toEqual([
      { kind: 'closed', submitted: true, closesAt: CLOSES_AT.toISOString(), timeZone: 'Europe/Paris' },
    ]);
    expect(r.effects).toEqual([
      { type: 'status', status: 'under_review', previous: 'submitted', by: LEA, at: AFTER.toISOString() },
    ]);
    expect(d.state).toBe('underReview');
    d.say('Nouveau nom', LEA, AFTER);
    expect(d.reply('closed').submitted).toBe(true);
  });

  it('the scheduler closes the campaign; the jury decides', () => {
    const d = submitted();
    const r = d.send({ type: 'close', at: AFTER });
    expect([r.replies, r.effects.map((e) => e.type), d.state]).toEqual([[], ['status'], 'underReview']);
    expect(d.send({ type: 'close', at: AFTER }).accepted).toBe(false);
    const decided = d.send({ type: 'decide', level: 'Argent', at: AFTER });
    expect(decided.effects).toMatchObject([{ type: 'status', status: 'decided', previous: 'under_review' }]);
    expect(d.kinds()).toEqual(['decided']);
    d.say('!modifier 1', LEA, AFTER);
    expect(d.reply('frozen').status).toBe('decided');
  });

  it('a candidacy started after the deadline is closed at once', () => {
    const d = new Driver({ now: AFTER });
    expect(d.kinds()).toEqual(['closed']);
    expect(d.state).toBe('closed');
  });
});

describe('year-over-year renewal', () => {
  const lastYear = {
    name: 'Ville de Test',
    kind: 'commune',
    uses_linux: true,
    linux_share: 20,
    distros: ['Debian'],
    formats: ['csv'],
    staff: 'not a number', // invalid now: not offered
    gone_question: 'x', // no longer in the questionnaire
  };

  it('offers last year answers that still fit, then asks to confirm or change each one', () => {
    const d = new Driver({ lastYear });
    expect(d.kinds()).toEqual(['welcome', 'renewalOffer']);
    expect(d.reply('renewalOffer').reusable).toBe(6);
    d.answer('oui');
    expect(d.reply('ask')).toMatchObject({ questionId: 'name', lastYear: 'Ville de Test' });
    const kept = d.say('!oui');
    expect(answerSets(kept.effects)[0]).toMatchObject({
      questionId: 'name',
      value: 'Ville de Test',
      source: 'renewal',
    });
    expect(d.kinds()).toEqual(['kept', 'ask']);
    d.answer('2'); // changed: EPCI this year
    expect(d.context.answers.kind?.value).toBe('epci');
    expect(d.reply('ask')).toMatchObject({ questionId: 'uses_linux', lastYear: true });
    d.answer('!oui'); // on a yes/no question, the answer itself
    expect(d.reply('ask')).toMatchObject({ questionId: 'linux_share', lastYear: 20 });
    d.answer('!non'); // not last year's: asked plainly
    expect(d.reply('ask')).not.toHaveProperty('lastYear');
    d.answer('35', '!oui');
    expect(d.context.answers.distros?.value).toEqual(['Debian']);
    expect(d.reply('ask')).toMatchObject({ questionId: 'staff' });
    expect(d.reply('ask')).not.toHaveProperty('lastYear');
  });

  it('on a yes/no question, !non answers no even when last year said yes', () => {
    const d = new Driver({ lastYear });
    d.answer('oui', '!oui', '1');
    expect(d.asked()).toBe('uses_linux');
    const r = d.say('!non');
    expect(answerSets(r.effects)[0]).toMatchObject({
      questionId: 'uses_linux',
      value: false,
      source: 'answer',
    });
    expect(d.asked()).toBe('staff');
  });

  it('can start from a blank questionnaire instead', () => {
    const d = new Driver({ lastYear });
    d.answer('!non');
    expect(d.kinds()).toEqual(['renewalDeclined', 'ask']);
    expect(d.reply('ask')).not.toHaveProperty('lastYear');
  });

  it('reminds the choice when something else is typed', () => {
    const d = new Driver({ lastYear });
    d.say('Ville de Test');
    expect(d.reply('confirmationPending').about).toBe('renewal');
  });
});

describe('restoring a stored conversation', () => {
  /** Continues from a JSON copy of the snapshot and from the original: same results. */
  function sameAfterRestore(d: Driver, ...texts: string[]) {
    const restored = new Driver({ snapshot: d.snapshot });
    expect(restored.state).toBe(d.state);
    for (const text of texts) {
      const a = d.say(text);
      const b = restored.say(text);
      expect(b.replies).toEqual(a.replies);
      expect(b.effects).toEqual(a.effects);
      expect(b.snapshot).toEqual(a.snapshot);
    }
  }

  const path = [
    'Ville',
    '3',
    'Syndicat',
    'oui',
    '50',
    'Debian',
    '!fini',
    '12',
    '1, 2',
    'ville.fr',
    'a@b.fr',
    '1/2/2024',
  ];
  for (let i = 0; i < path.length; i++) {
    it(`in the middle of question ${i + 1}`, () => {
      const d = new Driver();
      d.answer(...path.slice(0, i));
      sameAfterRestore(d, 'invalid !', path[i] ?? '', '!retour', '!recap');
    });
  }

  it('in the middle of a list, with entries typed but not finished', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'oui', '50', 'Debian', 'Ubuntu');
    const restored = new Driver({ snapshot: d.snapshot });
    expect(restored.context.drafts.distros).toEqual(['Debian', 'Ubuntu']);
    sameAfterRestore(d, '!retour', 'Mint', '!fini');
  });

  it('with a confirmation pending', () => {
    const d = toReview();
    d.answer('!soumettre');
    sameAfterRestore(d, 'oui');
  });

  it('while editing (where to return is kept)', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non', '!modifier 1');
    sameAfterRestore(d, 'Autre ville');
    expect(d.asked()).toBe('staff');
  });

  it('while paused, and during a renewal', () => {
    const p = new Driver();
    p.answer('Ville', '!pause');
    sameAfterRestore(p, 'x', '!reprendre');
    const r = new Driver({ lastYear: { name: 'Ville' } });
    sameAfterRestore(r, 'oui', '!oui');
  });

  it('after the questionnaire file changed: answers kept, the conversation moves off a removed question', () => {
    const d = new Driver();
    d.answer('Ville', '1', 'non');
    expect(d.asked()).toBe('staff');
    const data = parse(FIXTURE_YAML) as {
      version: number;
      sections: Array<{ questions: Array<{ id: string }> }>;
    };
    data.version = 2;
    const tech = data.sections[0];
    if (tech) tech.questions = tech.questions.filter((x) => x.id !== 'staff');
    const v2 = new Driver({ questionnaire: validateQuestionnaire(data), snapshot: d.snapshot });
    expect(v2.last.view.questionId).toBe('formats');
    expect(v2.context.answers.name?.value).toBe('Ville');
    v2.answer('1');
    expect(v2.asked()).toBe('site');
  });

  it('refuses snapshots it cannot restore, with a clear error', () => {
    const d = new Driver();
    const event = { type: 'text' as const, text: 'x', sender: LEA };
    const run = (snapshot: unknown) => () =>
      step({ questionnaire: d.questionnaire, campaign, snapshot: snapshot as never, event, now: BEFORE });
    expect(run({ ...d.snapshot, machineVersion: MACHINE_VERSION + 1 })).toThrow(SnapshotError);
    expect(run({ ...d.snapshot, questionnaireId: 'other' })).toThrow(/questionnaire other/);
    expect(run({ ...d.snapshot, state: { value: 'nowhere', context: {} } })).toThrow(/corrupt/);
  });
});
