import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateQuestionnaire } from '../../../flows/questionnaire.ts';
import { formatAnswer, missingKeys, renderReplies } from '../../../bot/render/candidacy.ts';
import type { ReplyIntent } from '../../../flows/intents.ts';
import { CLIENT_TAGS } from '../../../bot/render/html.ts';
import { readLocaleFiles } from '../../../locales/i18n.ts';
import { fixture } from '../flows/fixture.ts';
import { EVIL, SAMPLES } from './candidacy-samples.ts';

const ALLOWED_TAGS = new Set<string>(CLIENT_TAGS);
const ALL: ReplyIntent[] = Object.values(SAMPLES).flat();

const one = (intent: ReplyIntent, lang = 'fr') => {
  const messages = renderReplies([intent], lang, fixture);
  expect(messages).toHaveLength(1);
  return messages[0] as { plain: string; html: string };
};

describe('rendering every reply intent', () => {
  for (const lang of ['fr', 'en']) {
    it(`in ${lang}: text for every kind, only allowed tags, user text escaped`, () => {
      missingKeys.clear();
      for (const intent of ALL) {
        for (const message of renderReplies([intent], lang, fixture)) {
          expect(message.plain.trim(), intent.kind).not.toBe('');
          expect(message.plain, intent.kind).not.toMatch(/\{\{|\}\}/);
          expect(message.plain, intent.kind).not.toContain('\u0001');
          for (const [, tag] of message.html.matchAll(/<\/?([a-zA-Z0-9]+)/g))
            expect(ALLOWED_TAGS, `${intent.kind}: <${tag}>`).toContain(tag);
          expect(message.html).not.toContain('<script');
          expect(message.html).not.toContain('<b>');
        }
      }
      expect([...missingKeys]).toEqual([]);
    });
  }

  it('people-supplied text appears as typed in plain text and escaped in HTML', () => {
    const m = one({ kind: 'replaced', questionId: 'name', number: 1, value: EVIL });
    expect(m.plain).toContain(EVIL);
    expect(m.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;',
    );
  });

  it('a refusal followed by the question again shows the example once', () => {
    const messages = renderReplies(
      [
        { kind: 'invalid', questionId: 'email', number: 10, problem: { code: 'notEmail', params: {} } },
        { kind: 'ask', questionId: 'email', number: 10, total: 12, newSection: false },
      ],
      'fr',
      fixture,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]?.plain.match(/Exemple/g)).toHaveLength(1);
    expect(messages[0]?.plain).toContain('Q10/12 · Courriel ?');
  });

  it('merges one step into one message; a summary is its own message', () => {
    const messages = renderReplies(
      [SAMPLES.kept[0]!, SAMPLES.ask[0]!, SAMPLES.summary[0]!, SAMPLES.review[0]!],
      'fr',
      fixture,
    );
    expect(messages).toHaveLength(3);
    expect(messages[0]?.plain).toMatch(/conservée[\s\S]*Q1\/12/);
  });
});

describe('questions', () => {
  it('number the question and say how to answer', () => {
    const m = one(SAMPLES.ask[0]!);
    expect(m.plain).toContain('Partie 1 sur 3 : Identification');
    expect(m.plain).toContain('Q1/12 · Nom ?');
    expect(m.plain).toContain('Répondez en une ligne.');
    expect(m.html).toContain('<strong>Q1/12</strong>');
  });

  it('number the choices so that a person can type the number', () => {
    const fr = one(SAMPLES.ask[1]!);
    expect(fr.plain).toContain(
      'Tapez le numéro de votre réponse :\n\n1. Commune\n2. Intercommunalité\n3. Autre',
    );
    expect(fr.html).toContain('<ol><li>Commune</li><li>Intercommunalité</li><li>Autre</li></ol>');
    expect(fr.plain).toContain('Réponse actuelle : Intercommunalité');
    const en = one(SAMPLES.ask[1]!, 'en');
    expect(en.plain).toContain('1. Municipality');
    expect(en.plain).toContain('Current answer: Inter-municipal body');
  });

  it('yes/no, bounds and units, optional questions, last year', () => {
    const yesNo = one(SAMPLES.ask[2]!);
    expect(yesNo.plain).toContain('Répondez oui ou non.');
    expect(yesNo.plain).toContain("L'an dernier : Oui");
    expect(yesNo.plain).not.toContain('pour garder');
    const staff = one(SAMPLES.ask[5]!);
    expect(staff.plain).toContain('entre 0 et 1000');
    expect(staff.plain).toContain('(facultatif : !passer pour ne pas répondre)');
    expect(staff.plain).toContain("L'an dernier : 1200");
    expect(one(SAMPLES.ask[5]!, 'en').plain).toContain('Answer with a whole number between 0 and 1000.');
  });

  it('lists show their entries and how to finish', () => {
    const m = one(SAMPLES.ask[4]!);
    expect(m.plain).toContain('!fini');
    expect(m.plain).toContain('• Debian');
    expect(m.html).toContain('<li>&lt;script&gt;');
  });

  it('answers are shown the way people read them', () => {
    expect(formatAnswer(fixture, 'formats', ['csv', 'json'], 'fr').plain).toBe('CSV, JSON');
    expect(formatAnswer(fixture, 'uses_linux', false, 'en').plain).toBe('No');
    expect(formatAnswer(fixture, 'linux_share', 12.5, 'fr').plain).toMatch(/^12,5\s%$/);
    expect(formatAnswer(fixture, 'adopted', '2024-03-01', 'fr').plain).toBe('1 mars 2024');
    expect(formatAnswer(fixture, 'adopted', '2024-03-01', 'en').plain).toBe('1 March 2024');
    expect(formatAnswer(fixture, 'site', 'https://x.fr/?a=1&b=2', 'fr').html).toBe(
      '<a href="https://x.fr/?a=1&amp;b=2">https://x.fr/?a=1&amp;b=2</a>',
    );
    expect(formatAnswer(fixture, 'email', 'a@b.fr', 'fr').html).toBe('<a href="mailto:a@b.fr">a@b.fr</a>');
  });
});

describe('refusals say what was expected, with an example', () => {
  it('unknown choice', () => {
    const m = one(SAMPLES.invalid[0]!);
    expect(m.plain).toContain('ne correspond à aucun choix ; tapez un numéro entre 1 et 3.');
    expect(m.plain).toContain('Exemple : 2');
  });

  it('email, in both languages', () => {
    expect(one(SAMPLES.invalid[5]!).plain).toMatch(/adresse électronique[\s\S]*Exemple : prenom\.nom@/);
    expect(one(SAMPLES.invalid[5]!, 'en').plain).toMatch(/email address[\s\S]*Example: firstname\.lastname@/);
  });

  it('plural forms', () => {
    expect(one(SAMPLES.invalid[3]!).plain).toContain('au moins 1 entrée.');
    expect(one(SAMPLES.dropped[1]!, 'en').plain).toContain('these questions no longer apply');
    expect(one(SAMPLES.dropped[0]!, 'en').plain).toContain('this question no longer applies');
  });
});

describe('progress and deadlines', () => {
  it('a text progress bar, sections, and the time left in the campaign time zone', () => {
    const m = one(SAMPLES.progress[0]!);
    expect(m.plain).toMatch(/▓{10}░{10} 50\s%/);
    expect(m.plain).toContain('Technique : 3/5 ← vous êtes ici');
    expect(m.plain).toContain('Identification : 3/3 ✓');
    // Over the same twelve questions as "Q8/12", and why one is left out.
    expect(m.plain).toContain(
      '5 réponses sur 12. (1 question ne vous concerne pas, compte tenu de vos réponses.)',
    );
    expect(m.plain).toContain('Clôture le jeudi 15 octobre 2026 à 23:59 (dans 44 jours).');
    const en = one(SAMPLES.progress[0]!, 'en');
    expect(en.plain).toContain('Closes on Thursday, 15 October 2026 at 23:59 (in 44 days).');
    expect(en.plain).toContain('• Technical: 3/5 ← you are here');
    expect(en.plain).toContain(
      '5 answers out of 12. (1 question does not apply to you, given your answers.)',
    );
  });

  it('after closing, the closing date', () => {
    expect(one(SAMPLES.progress[1]!).plain).toContain(
      'Les candidatures sont closes depuis le jeudi 15 octobre 2026',
    );
    expect(one(SAMPLES.closed[0]!).plain).toBe(
      'Les candidatures sont closes depuis le jeudi 15 octobre 2026 à 23:59 : les réponses ne peuvent plus être modifiées.',
    );
  });
});

describe('languages', () => {
  it('the language change is confirmed in the new language', () => {
    expect(one({ kind: 'languageChanged', lang: 'en' }, 'fr').plain).toBe(
      'I will speak English with you from now on.',
    );
  });

  it('an unknown language falls back to French', () => {
    expect(one({ kind: 'cannotGoBack' }, 'xx').plain).toBe(one({ kind: 'cannotGoBack' }, 'fr').plain);
  });

  it('commands are shown in the person language', () => {
    expect(one({ kind: 'notPaused' }, 'fr').plain).toContain('!recap');
    expect(one({ kind: 'notPaused' }, 'en').plain).toContain('!summary');
  });
});

describe('long summaries', () => {
  it('are split into several messages under the size limit', () => {
    const long = 'x'.repeat(3000);
    const intent: ReplyIntent = {
      kind: 'summary',
      missing: [],
      notApplicable: 0,
      sections: ['identification', 'tech', 'contact'].map((sectionId) => ({
        sectionId,
        items: Array.from({ length: 4 }, (_, i) => ({
          questionId: 'notes',
          number: 12,
          value: `${long}${i}`,
          required: false,
          skipped: false,
        })),
      })),
    };
    const messages = renderReplies([intent], 'fr', fixture);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(m.html.length).toBeLessThan(30_000);
    expect(messages.map((m) => m.plain).join('\n')).toContain(
      'Toutes les questions obligatoires ont une réponse.',
    );
  });
});

describe('candidacy locale files', () => {
  const locales = readLocaleFiles();
  const flatten = (tree: unknown, prefix = ''): Record<string, string> =>
    typeof tree === 'string'
      ? { [prefix]: tree }
      : Object.assign(
          {},
          ...Object.entries(tree as Record<string, unknown>).map(([k, v]) =>
            flatten(v, prefix ? `${prefix}.${k}` : k),
          ),
        );
  const stem = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');
  const placeholders = (entries: Record<string, string>) => {
    const out: Record<string, string[]> = {};
    for (const [key, text] of Object.entries(entries))
      out[stem(key)] = [
        ...new Set([
          ...(out[stem(key)] ?? []),
          ...[...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? ''),
        ]),
      ].sort();
    return out;
  };
  const fr = flatten(locales.fr?.candidacy);
  const en = flatten(locales.en?.candidacy);

  it('have the same keys and placeholders in French and English', () => {
    expect(Object.keys(fr).length).toBeGreaterThan(100);
    expect(placeholders(en)).toEqual(placeholders(fr));
  });

  it('have the plural forms each language needs', () => {
    for (const [lang, entries] of [
      ['fr', fr],
      ['en', en],
    ] as const) {
      const plurals = new Set(
        Object.keys(entries)
          .filter((k) => /_(one|other)$/.test(k))
          .map(stem),
      );
      for (const key of plurals)
        for (const form of new Intl.PluralRules(lang).resolvedOptions().pluralCategories)
          expect(entries, `${lang} ${key}_${form}`).toHaveProperty([`${key}_${form}`]);
    }
  });
});

describe('side replies, quick replies and counts', () => {
  it('the current question in one line, which is not taken for a question asked anew', () => {
    const m = one({ kind: 'current', questionId: 'kind', number: 2 });
    expect(m.plain).toBe('Question en cours, Q2 : Type ?');
    expect(m.plain).not.toMatch(/\bQ\d+\s*\/\s*\d+/);
    expect(m.plain.split('\n')).toHaveLength(1);
    expect(one({ kind: 'current', questionId: 'kind', number: 2 }, 'en').plain).toBe(
      'Current question, Q2: Kind?',
    );
  });

  it('ends the last message of a summary rather than making one of its own', () => {
    const messages = renderReplies(
      [SAMPLES.summary[0]!, { kind: 'current', questionId: 'uses_linux', number: 4 }],
      'fr',
      fixture,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]?.plain).toMatch(
      /Pour modifier une réponse[\s\S]*\n\nQuestion en cours, Q4 : GNU\/Linux \?$/,
    );
  });

  it('a late vote or reaction says the answer and how to change it', () => {
    expect(one(SAMPLES.lateQuickReply[0]!).plain).toBe(
      'La Q2 a déjà une réponse : Intercommunalité. Pour la changer : !modifier 2',
    );
    expect(one(SAMPLES.lateQuickReply[0]!, 'en').plain).toBe(
      'Q2 already has an answer: Inter-municipal body. To change it: !edit 2',
    );
    expect(one(SAMPLES.lateQuickReply[1]!).plain).toBe(
      "La Q4 n'est pas la question en cours. Pour y répondre : !modifier 4",
    );
  });

  it('help examples name a question that exists: the one the help is about, else an early one', () => {
    const about = one({
      kind: 'help',
      questionId: 'distros',
      number: 6,
      commands: ['help', 'edit', 'clear'],
    });
    expect(about.plain).toContain('!aide 6 pour l’aide sur la Q6'.replace('’', "'"));
    expect(about.plain).toContain('!modifier 6 ou !modifier identifiant');
    expect(about.plain).not.toMatch(/ 12\b/);
    const small = validateSmall();
    const [general] = renderReplies([{ kind: 'help', commands: ['help', 'edit'] }], 'fr', small);
    expect(general?.plain).toContain('!aide 3 pour');
    expect(general?.plain).not.toMatch(/\b12\b/);
    const [missing] = renderReplies([{ kind: 'missingArgument', command: 'edit' }], 'fr', small);
    expect(missing?.plain).toContain('!modifier 3');
  });

  it('counts in plural forms: "1 réponse", "2 réponses", never "(s)"', () => {
    const count = (answered: number, lang = 'fr') =>
      one({ ...SAMPLES.progress[0]!, answered, notApplicable: 0 }, lang).plain;
    expect(count(1)).toContain('1 réponse sur 12.');
    expect(count(0)).toContain('0 réponse sur 12.');
    expect(count(2)).toContain('2 réponses sur 12.');
    expect(count(1, 'en')).toContain('1 answer out of 12.');
    expect(count(0, 'en')).toContain('0 answers out of 12.');
    for (const lang of ['fr', 'en'])
      for (const ns of ['candidacy', 'bot'])
        expect(JSON.stringify(readLocaleFiles()[lang]?.[ns]), `${lang}/${ns}.json`).not.toContain('(s)');
  });
});

/** A questionnaire of three questions (the smallest valid one). */
function validateSmall() {
  return validateQuestionnaire(
    parse(`
id: small
version: 1
title: { fr: Petit, en: Small }
identification:
  title: { fr: Identification, en: Identification }
  questions:
    - { id: name, role: collectivity_name, type: short_text, text: { fr: Nom ?, en: Name? } }
    - id: kind
      role: collectivity_kind
      type: single_choice
      text: { fr: Type ?, en: Kind? }
      choices:
        - { id: commune, label: { fr: Commune, en: Municipality } }
        - { id: other, label: { fr: Autre, en: Other } }
sections:
  - id: only
    title: { fr: Seule, en: Only }
    questions:
      - { id: c, type: short_text, text: { fr: C ?, en: C? } }
`),
  );
}
