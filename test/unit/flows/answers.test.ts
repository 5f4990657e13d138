import { describe, expect, it } from 'vitest';
import { isValidValue, parseAnswer, parseDate, parseListItems, valueSchema } from '../../../flows/answers.ts';
import type { Question, QuestionOf } from '../../../flows/questionnaire.ts';
import { loadQuestionnaireById } from '../../../flows/questionnaire.ts';
import { fixture } from './fixture.ts';

const q = (id: string): Question => {
  const found = fixture.byId.get(id) ?? loadQuestionnaireById('tnl-2026').byId.get(id);
  if (!found) throw new Error(id);
  return found;
};

const ok = (id: string, text: string) => {
  const r = parseAnswer(q(id), text);
  expect(r, `${id} <- ${JSON.stringify(text)}`).toMatchObject({ ok: true });
  return r.ok ? r.value : undefined;
};
const refused = (id: string, text: string) => {
  const r = parseAnswer(q(id), text);
  expect(r.ok, `${id} <- ${JSON.stringify(text)} refused`).toBe(false);
  return r.ok ? undefined : r.problem;
};

describe('accepted answers, normalised', () => {
  it('short and long text', () => {
    expect(ok('name', '  Ville de Test  ')).toBe('Ville de Test');
    expect(ok('name', 'Ville\nde Test')).toBe('Ville de Test');
    expect(ok('notes', 'Ligne 1\nLigne 2')).toBe('Ligne 1\nLigne 2');
  });

  it('yes/no in French and English, with punctuation and case', () => {
    for (const t of ['oui', 'Oui !', 'OUI.', 'yes', 'o', 'y']) expect(ok('uses_linux', t)).toBe(true);
    for (const t of ['non', 'Non.', 'no', 'N']) expect(ok('uses_linux', t)).toBe(false);
  });

  it('integers with French thousands separators', () => {
    expect(ok('staff', '12')).toBe(12);
    expect(ok('population', '12 500')).toBe(12500);
    expect(ok('population', '12\u202f500')).toBe(12500);
  });

  it('percentages with %, a comma or a point', () => {
    expect(ok('linux_share', '45')).toBe(45);
    expect(ok('linux_share', '45 %')).toBe(45);
    expect(ok('linux_share', '12,5%')).toBe(12.5);
    expect(ok('linux_share', '0')).toBe(0);
    expect(ok('linux_share', '100')).toBe(100);
  });

  it('single choice by number, id or label in any language', () => {
    expect(ok('kind', '2')).toBe('epci');
    expect(ok('kind', '2)')).toBe('epci');
    expect(ok('kind', 'commune')).toBe('commune');
    expect(ok('kind', 'Intercommunalité')).toBe('epci');
    expect(ok('kind', 'inter-municipal body')).toBe('epci');
    expect(ok('kind', 'intercommunalite')).toBe('epci');
  });

  it('multiple choice by numbers or labels, in any separator', () => {
    expect(ok('formats', '1, 2')).toEqual(['csv', 'json']);
    expect(ok('formats', '1 2')).toEqual(['csv', 'json']);
    expect(ok('formats', 'csv et json')).toEqual(['csv', 'json']);
    expect(ok('formats', '2;1;2')).toEqual(['json', 'csv']);
    expect(ok('formats', 'Aucun')).toEqual(['none']);
  });

  it('URLs, adding https:// when people leave it out', () => {
    expect(ok('site', 'https://www.ville.fr/open-data?x=1')).toBe('https://www.ville.fr/open-data?x=1');
    expect(ok('site', 'www.ville.fr')).toBe('https://www.ville.fr');
    expect(ok('site', '<http://ville.fr>')).toBe('http://ville.fr');
  });

  it('emails', () => {
    expect(ok('email', 'jean.dupont@mairie-test.fr')).toBe('jean.dupont@mairie-test.fr');
    expect(ok('email', 'mailto:jean@test.fr')).toBe('jean@test.fr');
  });

  it('dates, day first or ISO or with month names', () => {
    expect(ok('adopted', '15/10/2025')).toBe('2025-10-15');
    expect(ok('adopted', '1.3.2024')).toBe('2024-03-01');
    expect(ok('adopted', '2024-02-29')).toBe('2024-02-29');
    expect(ok('adopted', '1er mars 2024')).toBe('2024-03-01');
    expect(ok('adopted', '14 juillet 2023')).toBe('2023-07-14');
    expect(ok('adopted', 'March 3rd, 2024')).toBe('2024-03-03');
    expect(ok('adopted', '3 Août 2022')).toBe('2022-08-03');
  });

  it('lists: one entry per line, bullets removed', () => {
    expect(ok('distros', '- Debian\n* Ubuntu\n3. Mint')).toEqual(['Debian', 'Ubuntu', 'Mint']);
  });
});

describe('refused answers say why', () => {
  it('empty', () => {
    expect(refused('name', '   ')?.code).toBe('empty');
  });

  it('too long', () => {
    expect(refused('notes', 'x'.repeat(51))).toEqual({ code: 'tooLong', params: { max: 50 } });
  });

  it('pattern', () => {
    expect(refused('official_code', '12345678')?.code).toBe('patternMismatch');
    expect(ok('official_code', '213 105 554')).toBe('213 105 554');
    expect(ok('official_code', '2A004')).toBe('2A004');
  });

  it('not yes or no', () => {
    expect(refused('uses_linux', 'peut-être')?.code).toBe('notYesNo');
  });

  it('not an integer, or out of bounds', () => {
    expect(refused('staff', 'douze')?.code).toBe('notInteger');
    expect(refused('staff', '12,5')?.code).toBe('notInteger');
    expect(refused('staff', '-1')).toEqual({ code: 'tooSmall', params: { min: 0 } });
    expect(refused('staff', '1001')).toEqual({ code: 'tooLarge', params: { max: 1000 } });
  });

  it('not a percentage', () => {
    expect(refused('linux_share', 'beaucoup')?.code).toBe('notPercentage');
    expect(refused('linux_share', '120')?.code).toBe('notPercentage');
    expect(refused('linux_share', '-5')?.code).toBe('notPercentage');
  });

  it('unknown choices', () => {
    expect(refused('kind', '4')).toEqual({ code: 'unknownChoice', params: { input: '4', count: 3 } });
    expect(refused('kind', 'ministère')?.code).toBe('unknownChoice');
    expect(refused('formats', '1, 7')).toEqual({ code: 'unknownChoice', params: { input: '7', count: 3 } });
  });

  it('an exclusive choice combined with others', () => {
    expect(refused('formats', '1, 3')?.code).toBe('exclusiveChoice');
  });

  it('too few or too many choices', () => {
    const question = { ...(q('formats') as QuestionOf<'multiple_choice'>), minChoices: 2, maxChoices: 2 };
    expect(parseAnswer(question, '1')).toMatchObject({ ok: false, problem: { code: 'tooFewChoices' } });
    expect(parseAnswer({ ...question, minChoices: 1, maxChoices: 1 }, '1, 2')).toMatchObject({
      ok: false,
      problem: { code: 'tooManyChoices', params: { max: 1 } },
    });
  });

  it('not a URL', () => {
    for (const t of ['pas un site', 'ftp://ville.fr', 'javascript:alert(1)', 'https://localhost'])
      expect(refused('site', t)?.code).toBe('notUrl');
  });

  it('not an email', () => {
    for (const t of ['jean', 'jean@', 'jean dupont@ville.fr'])
      expect(refused('email', t)?.code).toBe('notEmail');
  });

  it('not a date', () => {
    for (const t of ['demain', '31/02/2024', '15/13/2024', '2024-13-01', '1er brumaire 2024'])
      expect(refused('adopted', t)?.code).toBe('notDate');
  });

  it('list entries: duplicates, too many, invalid entry named', () => {
    const distros = q('distros') as QuestionOf<'list'>;
    expect(parseListItems(distros, 'Debian', ['debian'])).toEqual({
      problem: { code: 'duplicateItem', params: { item: 'Debian' } },
    });
    expect(parseListItems(distros, 'Mint\nFedora', ['Debian', 'Ubuntu'])).toMatchObject({
      problem: { code: 'tooManyItems', params: { max: 3 } },
    });
    expect(parseListItems(distros, 'x'.repeat(201))).toMatchObject({ problem: { code: 'tooLong' } });
    const urls = { ...distros, item: 'url' as const };
    expect(parseListItems(urls, 'https://a.fr\nnope')).toMatchObject({
      problem: { code: 'notUrl', params: { item: 'nope' } },
    });
  });
});

describe('value schemas (storage can check stored answers with them)', () => {
  it('validate stored values by type', () => {
    expect(isValidValue(q('uses_linux'), true)).toBe(true);
    expect(isValidValue(q('uses_linux'), 'oui')).toBe(false);
    expect(isValidValue(q('formats'), ['csv'])).toBe(true);
    expect(isValidValue(q('formats'), ['csv', 'none'])).toBe(false);
    expect(isValidValue(q('adopted'), '2024-02-30')).toBe(false);
    expect(valueSchema(q('staff')).safeParse(5).success).toBe(true);
  });

  it('parseDate gives ISO dates', () => {
    expect(parseDate('29/02/2023')).toBeUndefined();
    expect(parseDate('29/02/2024')).toBe('2024-02-29');
  });
});
