// Walks every question of both shipped questionnaires, in French and in English, with
// answers generated from each question's type, to submission. Several passes choose
// different choices and yes/no answers so that together they reach every conditional
// question. Every reply is rendered in the person's language along the way.
import { describe, expect, it } from 'vitest';
import { parseAnswer } from '../../../flows/answers.ts';
import { commandName } from '../../../flows/commands.ts';
import { loadQuestionnaireById, type Question, type Questionnaire } from '../../../flows/questionnaire.ts';
import { missingKeys, renderReplies } from '../../../bot/render/candidacy.ts';
import { Driver } from './fixture.ts';
import { CLIENT_TAGS } from '../../../bot/render/html.ts';

const ALLOWED_TAGS = new Set<string>(CLIENT_TAGS);
const PASSES = 8;

/** Messages that answer `q` in `lang` for pass `k` (a list takes several messages). */
function answersFor(q: Question, k: number, lang: string): string[] {
  const fr = lang === 'fr';
  const example = q.example?.[lang];
  const valid = (text: string | undefined): text is string => text !== undefined && parseAnswer(q, text).ok;
  switch (q.type) {
    case 'yes_no':
      return [k % 2 === 0 ? (fr ? 'oui' : 'yes') : fr ? 'non' : 'no'];
    case 'single_choice':
    case 'multiple_choice':
      return [String((k % q.choices.length) + 1)];
    case 'short_text':
      return [valid(example) ? example : fr ? 'Une réponse courte' : 'A short answer'];
    case 'long_text':
      return [valid(example) ? example : fr ? 'Une réponse\nsur deux lignes.' : 'An answer\non two lines.'];
    case 'integer':
      return [valid(example) ? example : String(q.min)];
    case 'percentage':
      return [`${(k * 13) % 101} %`];
    case 'url':
      return ['www.example.org/page'];
    case 'email':
      return ['lead@example.org'];
    case 'date':
      return [fr ? '15/03/2024' : 'March 15, 2024'];
    case 'list':
      return [fr ? 'Première entrée' : 'First entry', '- B\n- C', `!${commandName('done', lang)}`];
  }
}

function walk(questionnaire: Questionnaire, lang: string, k: number): Set<string> {
  const asked = new Set<string>();
  const d = new Driver({ questionnaire });
  const check = () => {
    for (const message of renderReplies(d.replies, lang, questionnaire)) {
      expect(message.plain.trim()).not.toBe('');
      for (const [, tag] of message.html.matchAll(/<\/?([a-z0-9]+)/g)) expect(ALLOWED_TAGS).toContain(tag);
    }
  };
  check();
  d.say(`!${commandName('language', lang)} ${lang}`);
  check();
  for (let guard = 0; d.state === 'filling' && guard < 200; guard++) {
    const id = d.last.view.questionId;
    const q = id ? questionnaire.byId.get(id) : undefined;
    if (!q) throw new Error(`no question at step ${guard}`);
    asked.add(q.id);
    for (const text of answersFor(q, k, lang)) {
      const r = d.say(text);
      expect(r.accepted, `${questionnaire.id}/${lang}/pass ${k}: Q${q.number} ${q.id} <- ${text}`).toBe(true);
      check();
    }
  }
  expect(d.state).toBe('review');
  for (const command of ['summary', 'progress', 'submit', 'yes'] as const) {
    d.say(`!${commandName(command, lang)}`);
    check();
  }
  expect(d.last.view.status).toBe('submitted');
  expect(d.effects.filter((e) => e.type === 'status')).toHaveLength(1);
  return asked;
}

describe.each(['tnl-2026', 'badge-2026'])('questionnaire %s', (id) => {
  const questionnaire = loadQuestionnaireById(id);
  describe.each(['fr', 'en'])('in %s', (lang) => {
    it('every question is reached and answered, and the dossier is submitted', () => {
      const asked = new Set<string>();
      for (let k = 0; k < PASSES; k++) for (const q of walk(questionnaire, lang, k)) asked.add(q);
      expect([...asked].sort()).toEqual(questionnaire.questions.map((q) => q.id).sort());
      expect([...missingKeys]).toEqual([]);
    });
  });
});
