import { describe, expect, it } from 'vitest';
import {
  type DossierSource,
  dossierChanges,
  dossierFileName,
  dossierHeader,
  dossierHtmlDocument,
  dossierMarkdown,
  dossierSections,
  escapeMarkdown,
  formatAnswer,
} from '../../../bot/render/dossier.ts';
import { MAX_CONTENT_BYTES, splitMessage } from '../../../bot/matrix-messenger.ts';
import { parseQuestionnaire } from '../../../flows/questionnaire.ts';
import { QUESTIONNAIRE_YAML } from './fixture.ts';

const questionnaire = parseQuestionnaire(QUESTIONNAIRE_YAML);
const at = new Date('2026-10-12T12:03:00Z');
const answer = (value: unknown) => ({ value, by: '@lead:test', at });

const source: DossierSource = {
  id: 'c1',
  collectivite: { name: 'Saint-Étienne <b>', kind: 'commune' },
  people: {
    lead: { userId: '@lead:test', name: 'Léa Dupont' },
    eluReferent: { userId: '@elu:test', name: 'Marc Élu' },
    coEditors: [{ userId: '@co:test' }],
  },
  answers: {
    name: answer('Saint-Étienne <b>'),
    kind: answer('commune'),
    population: answer(171000),
    uses_linux: answer(false),
    strategy: answer('# Not a title\n* not a bullet\n1. not a list\n<img src=x onerror=alert(1)>'),
  },
  submittedAt: at,
};
const options = { lang: 'fr', timeZone: 'Europe/Paris', campaignName: 'Label 2026', number: 4 };

describe('dossier rendering', () => {
  it('names the collectivité, its kind, population and people', () => {
    const header = dossierHeader(source, questionnaire, 'en');
    expect(header.name).toBe('Saint-Étienne <b>');
    expect(header.kind).toBe('Municipality');
    expect(header.population).toBe(171000);
    expect(header.people.map((p) => p.role)).toEqual(['lead', 'elu', 'coEditor']);
    expect(dossierFileName(header, 4)).toBe('dossier-4-saint-etienne-b');
  });

  it('formats answers by type in the reader language', () => {
    const byId = (id: string) => {
      const q = questionnaire.byId.get(id);
      if (!q) throw new Error(id);
      return q;
    };
    expect(formatAnswer(byId('uses_linux'), true, 'fr')).toEqual(['Oui']);
    expect(formatAnswer(byId('uses_linux'), false, 'en')).toEqual(['No']);
    expect(formatAnswer(byId('kind'), 'epci', 'fr')).toEqual(['Intercommunalité']);
    expect(formatAnswer(byId('population'), 171000, 'en')).toEqual(['171,000']);
    expect(formatAnswer(byId('distros'), ['Debian', 'Arch'], 'fr')).toEqual(['Debian', 'Arch']);
  });

  it('leaves out questions that do not apply and marks unanswered ones', () => {
    const sections = dossierSections(source, questionnaire, options);
    expect(sections).toHaveLength(2);
    expect(sections[1]?.plain).not.toContain('Distributions'); // uses_linux is false
    expect(sections[1]?.plain).toContain('4. Postes sous GNU/Linux ?\n   Non');
    expect(sections[1]?.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const empty = dossierSections({ ...source, answers: {} }, questionnaire, options);
    expect(empty[0]?.plain).toContain('(pas de réponse)');
  });

  it('cuts a long section between questions so each part fits in one event', () => {
    const long = 'Une stratégie détaillée. '.repeat(1600); // about 40 KB of text
    const big = {
      ...source,
      answers: { ...source.answers, uses_linux: answer(true), strategy: answer(long) },
    };
    const section = dossierSections(big, questionnaire, options)[1];
    if (!section) throw new Error('no section');
    expect(section.blocks.map((b) => b.plain.split('\n')[0])).toEqual([
      '2. LOGICIELS LIBRES',
      '4. Postes sous GNU/Linux ?',
      '5. Distributions ?',
      '6. Votre stratégie ?',
    ]);
    const parts = splitMessage(section);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts)
      expect(Buffer.byteLength(part.plain) + Buffer.byteLength(part.html)).toBeLessThan(
        2 * MAX_CONTENT_BYTES,
      );
    expect(parts[0]?.plain).toContain('4. Postes sous GNU/Linux ?');
    expect(parts.map((p) => p.plain).join('')).toContain('Une stratégie détaillée.');
  });

  it('writes Markdown where candidate text cannot become markup', () => {
    expect(escapeMarkdown('a *b* [c](d) <e>')).toBe('a \\*b\\* \\[c\\](d) \\<e\\>');
    const md = dossierMarkdown(source, questionnaire, options);
    expect(md.startsWith('# #4 · Candidature de Saint-Étienne \\<b\\> — Label 2026\n')).toBe(true);
    expect(md).toContain('- **Type** : Commune');
    expect(md).toContain('\\# Not a title');
    expect(md).toContain('\\* not a bullet');
    expect(md).toContain('1\\. not a list');
    expect(md).toContain('\\<img src=x onerror=alert(1)\\>');
    expect(md).not.toMatch(/(^|[^\\])<img/);
    expect(md).toContain('## 2. Logiciels libres');
    expect(md).toContain('**4. Postes sous GNU/Linux ?**');
  });

  it('writes a standalone HTML document with everything escaped', () => {
    const html = dossierHtmlDocument(source, questionnaire, { ...options, lang: 'en' });
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>#4 · Candidacy of Saint-Étienne &lt;b&gt; — Label 2026</title>');
    expect(html).toContain('<th>Elected official</th><td>Marc Élu (@elu:test)</td>');
    expect(html).toContain('<h2>2. Free software</h2>');
    expect(html).not.toContain('<img');
    expect(html).toContain('12 October 2026');
  });

  it('lists what changed, before and after', () => {
    const block = dossierChanges(
      [
        { questionId: 'population', before: 170000, after: 171000 },
        { questionId: 'strategy', before: undefined, after: 'New <b>plan</b>' },
        { questionId: 'uses_linux', before: true, after: undefined },
        { questionId: 'unknown', before: 1, after: 2 },
      ],
      questionnaire,
      'en',
    );
    expect(block.plain.split('\n')).toEqual([
      '3. Population?',
      '   before: 170,000',
      '   now: 171,000',
      '6. Your strategy?',
      '   before: (no answer)',
      '   now: New <b>plan</b>',
      '4. Workstations on GNU/Linux?',
      '   before: Yes',
      '   now: (answer cleared)',
    ]);
    expect(block.html).toContain('now: <em>New &lt;b&gt;plan&lt;/b&gt;</em>');
    expect(block.html).toContain('before: <del>170,000</del>');
  });
});
