// A candidacy's dossier as people read it: plain text, Matrix HTML, Markdown, and a
// standalone HTML file, section by section, from the candidacy and its questionnaire.
// Pure functions (no Matrix, no storage): the jury posts it, the organisers export it.
// Every piece of candidate text is escaped for the format it goes into.
//
// Why this file is long: the dossier is rendered in three forms (thread blocks, Markdown, the
// HTML file) from one set of views, which must stay in step.
import type { AnswerValue } from '../../flows/answers.ts';
import { isRelevant } from '../../flows/navigation.ts';
import { type Question, type Questionnaire, textIn } from '../../flows/questionnaire.ts';
import { translator } from '../../locales/i18n.ts';
import { escapeHtml } from '../html-guard.ts';

/** What the renderer reads from a candidacy (a storage `Candidacy` fits). */
export interface DossierSource {
  readonly id: string;
  readonly collectivite: {
    readonly name: string;
    readonly kind: string;
    readonly officialCode?: string;
  } | null;
  readonly people: {
    readonly lead: { readonly userId: string; readonly name?: string };
    readonly eluReferent?: { readonly userId: string; readonly name?: string };
    readonly coEditors: ReadonlyArray<{ readonly userId: string; readonly name?: string }>;
  };
  readonly answers: Readonly<
    Record<string, { readonly value: unknown; readonly by: string; readonly at: Date }>
  >;
  readonly submittedAt: Date | null;
}

export interface DossierOptions {
  readonly lang: string;
  readonly timeZone: string;
  /** The campaign's name, shown in titles. */
  readonly campaignName?: string;
  /** The dossier's number in the jury (#12), if any. */
  readonly number?: number;
}

export interface Block {
  plain: string;
  html: string;
}

/** A section: the whole, and one block per question (where a long message may be split). */
export interface SectionBlock extends Block {
  blocks: Block[];
}

export interface DossierHeader {
  /** "Commune de Plouguerneau" or a placeholder. */
  readonly name: string;
  /** The kind as its choice label ("Commune"). */
  readonly kind: string | null;
  readonly population: number | null;
  readonly officialCode: string | null;
  readonly people: ReadonlyArray<{ role: 'lead' | 'elu' | 'coEditor'; userId: string; name: string | null }>;
  readonly submittedAt: Date | null;
}

export type Translate = (key: string, params?: Record<string, string | number>) => string;

/**
 * A translation as HTML: the translated text is escaped (translations may say "<level>"),
 * `params` are escaped too, `htmlParams` are inserted as they are (already safe HTML).
 * Placeholders travel as markers through the escaping, so nothing is escaped twice.
 */
export function translateHtml(
  t: unknown,
  key: string,
  params: Record<string, string | number> = {},
  htmlParams: Record<string, string> = {},
): string {
  const marked: Record<string, string | number> = {};
  const values: string[] = [];
  const mark = (html: string) => {
    values.push(html);
    return `\uE000${values.length - 1}\uE001`;
  };
  for (const [k, v] of Object.entries(params)) {
    marked[k] = k === 'count' && typeof v === 'number' ? v : mark(escapeHtml(String(v)));
  }
  for (const [k, v] of Object.entries(htmlParams)) marked[k] = mark(v);
  return escapeHtml((t as Translate)(key, marked)).replace(
    /\uE000(\d+)\uE001/g,
    (_, i: string) => values[Number(i)] ?? '',
  );
}

const locales: Record<string, string> = { fr: 'fr-FR', en: 'en-GB' };
const localeOf = (lang: string) => locales[lang] ?? lang;

export function formatDateTime(date: Date, lang: string, timeZone: string): string {
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'long', timeStyle: 'short', timeZone }).format(
    date,
  );
}

export function formatNumber(n: number, lang: string): string {
  return new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: 2 }).format(n);
}

function formatIsoDate(iso: string, lang: string): string {
  const parsed = Date.parse(`${iso}T12:00:00Z`);
  if (Number.isNaN(parsed)) return iso;
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'long', timeZone: 'UTC' }).format(parsed);
}

/** An answer as a list of lines (several for lists and multiple choices), in the reader's language. */
export function formatAnswer(q: Question, value: unknown, lang: string): string[] {
  const t = translator(lang, 'jury');
  const v = value as AnswerValue;
  const choiceLabel = (id: string) => {
    if (q.type !== 'single_choice' && q.type !== 'multiple_choice') return id;
    const choice = q.choices.find((c) => c.id === id);
    return choice ? textIn(choice.label, lang) : id;
  };
  switch (q.type) {
    case 'yes_no':
      return [v === true ? t('dossier.yes') : v === false ? t('dossier.no') : String(v)];
    case 'integer': {
      const unit = q.unit ? ` ${textIn(q.unit, lang)}` : '';
      return [typeof v === 'number' ? `${formatNumber(v, lang)}${unit}` : String(v)];
    }
    case 'percentage':
      return [typeof v === 'number' ? `${formatNumber(v, lang)} %` : String(v)];
    case 'single_choice':
      return [choiceLabel(String(v))];
    case 'multiple_choice':
      return Array.isArray(v) ? v.map(choiceLabel) : [String(v)];
    case 'list':
      return Array.isArray(v) ? v.map(String) : [String(v)];
    case 'date':
      return [typeof v === 'string' ? formatIsoDate(v, lang) : String(v)];
    default:
      return [String(v)];
  }
}

/** Whether the answer is a list of separate entries (shown as bullets). */
function isListy(q: Question): boolean {
  return q.type === 'multiple_choice' || q.type === 'list';
}

function relevanceView(source: DossierSource) {
  const answers: Record<string, { value: AnswerValue; by: string; at: string }> = {};
  for (const [id, a] of Object.entries(source.answers)) {
    answers[id] = { value: a.value as AnswerValue, by: a.by, at: a.at.toISOString() };
  }
  return answers;
}

export function dossierHeader(
  source: DossierSource,
  questionnaire: Questionnaire,
  lang: string,
): DossierHeader {
  const t = translator(lang, 'jury');
  const byRole = (role: string) => questionnaire.questions.find((q) => q.role === role);
  const kindQuestion = byRole('collectivity_kind');
  const populationQuestion = byRole('population');
  const nameQuestion = byRole('collectivity_name');
  const answer = (q: Question | undefined) => (q ? source.answers[q.id]?.value : undefined);
  const rawKind = source.collectivite?.kind ?? answer(kindQuestion);
  const kind =
    typeof rawKind === 'string'
      ? kindQuestion
        ? (formatAnswer(kindQuestion, rawKind, lang)[0] ?? rawKind)
        : rawKind
      : null;
  const population = answer(populationQuestion);
  const name = source.collectivite?.name ?? answer(nameQuestion);
  const people: Array<DossierHeader['people'][number]> = [];
  const leadName = answer(byRole('lead_name'));
  const eluName = answer(byRole('elected_name'));
  people.push({
    role: 'lead',
    userId: source.people.lead.userId,
    name: source.people.lead.name ?? (typeof leadName === 'string' ? leadName : null),
  });
  if (source.people.eluReferent || typeof eluName === 'string') {
    people.push({
      role: 'elu',
      userId: source.people.eluReferent?.userId ?? '',
      name: source.people.eluReferent?.name ?? (typeof eluName === 'string' ? eluName : null),
    });
  }
  for (const p of source.people.coEditors)
    people.push({ role: 'coEditor', userId: p.userId, name: p.name ?? null });
  return {
    name: typeof name === 'string' && name ? name : t('dossier.unnamed'),
    kind,
    population: typeof population === 'number' ? population : null,
    officialCode: source.collectivite?.officialCode ?? null,
    people,
    submittedAt: source.submittedAt,
  };
}

function personText(p: DossierHeader['people'][number]): string {
  if (p.name && p.userId) return `${p.name} (${p.userId})`;
  return p.name ?? p.userId;
}

/** Header facts as label/value pairs, shared by every format. */
function headerFacts(header: DossierHeader, options: DossierOptions): Array<[string, string]> {
  const t = translator(options.lang, 'jury');
  const facts: Array<[string, string]> = [];
  if (header.kind) facts.push([t('dossier.kind'), header.kind]);
  if (header.population !== null)
    facts.push([t('dossier.population'), formatNumber(header.population, options.lang)]);
  if (header.officialCode) facts.push([t('dossier.officialCode'), header.officialCode]);
  for (const p of header.people) facts.push([t(`dossier.role.${p.role}`), personText(p)]);
  facts.push([
    t('dossier.submittedAt'),
    header.submittedAt
      ? formatDateTime(header.submittedAt, options.lang, options.timeZone)
      : t('dossier.notSubmitted'),
  ]);
  return facts;
}

export function dossierTitle(header: DossierHeader, options: DossierOptions): string {
  const t = translator(options.lang, 'jury');
  const number = options.number !== undefined ? `#${options.number} · ` : '';
  const campaign = options.campaignName ? ` — ${options.campaignName}` : '';
  return `${number}${t('dossier.title', { name: header.name })}${campaign}`;
}

interface SectionView {
  id: string;
  /** Section number: 0 for identification. */
  index: number;
  title: string;
  items: Array<{ q: Question; text: string; lines: string[] | null }>;
}

function sectionViews(source: DossierSource, questionnaire: Questionnaire, lang: string): SectionView[] {
  const answers = relevanceView(source);
  return questionnaire.sections.map((section, index) => ({
    id: section.id,
    index,
    title: textIn(section.title, lang),
    items: section.questionIds
      .map((id) => questionnaire.byId.get(id))
      .filter((q): q is Question => q !== undefined && isRelevant(q, answers))
      .map((q) => {
        const a = source.answers[q.id];
        return {
          q,
          text: textIn(q.text, lang),
          lines: a === undefined ? null : formatAnswer(q, a.value, lang),
        };
      }),
  }));
}

/** Numbered as the conversation numbers its parts ("Partie 1 sur 2 : …"), the first one too. */
function sectionHeading(s: SectionView): string {
  return `${s.index + 1}. ${s.title}`;
}

/** One block per section, for Matrix messages (the HTML is Matrix-safe). */
export function dossierSections(
  source: DossierSource,
  questionnaire: Questionnaire,
  options: DossierOptions,
): SectionBlock[] {
  const t = translator(options.lang, 'jury');
  return sectionViews(source, questionnaire, options.lang).map((s) => {
    const blocks: Block[] = [
      // A bold line, not <h4>: Element X keeps only a few tags in messages (shared/CLIENTS.md).
      {
        plain: sectionHeading(s).toUpperCase(),
        html: `<p><strong>${escapeHtml(sectionHeading(s))}</strong></p>`,
      },
    ];
    for (const item of s.items) {
      const label = `${item.q.number}. ${item.text}`;
      if (item.lines === null) {
        blocks.push({
          plain: `${label}\n   ${t('dossier.noAnswer')}`,
          html: `<p><b>${escapeHtml(label)}</b><br><i>${escapeHtml(t('dossier.noAnswer'))}</i></p>`,
        });
      } else if (isListy(item.q)) {
        blocks.push({
          plain: [label, ...item.lines.map((l) => `   • ${l}`)].join('\n'),
          html: `<p><b>${escapeHtml(label)}</b></p><ul>${item.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
        });
      } else {
        const text = item.lines.join('\n');
        blocks.push({
          plain: [label, ...text.split('\n').map((l) => `   ${l}`)].join('\n'),
          html: `<p><b>${escapeHtml(label)}</b><br>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`,
        });
      }
    }
    return {
      plain: blocks.map((b) => b.plain).join('\n\n'),
      html: blocks.map((b) => b.html).join(''),
      blocks,
    };
  });
}

/** Backslash-escapes what Markdown reads as markup inside a line (emphasis, links, HTML, tables). */
export function escapeMarkdownInline(text: string): string {
  return text.replace(/[\\`*_[\]<>|{}]/g, (c) => `\\${c}`);
}

/** Also what Markdown reads at the start of a line (titles, lists, quotes), so candidate text stays text. */
export function escapeMarkdown(text: string): string {
  return escapeMarkdownInline(text)
    .replace(/^(\s*)([#+\-=>])/gm, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/gm, '$1\\$2');
}

export function dossierMarkdown(
  source: DossierSource,
  questionnaire: Questionnaire,
  options: DossierOptions,
): string {
  const t = translator(options.lang, 'jury');
  const header = dossierHeader(source, questionnaire, options.lang);
  const out = [`# ${escapeMarkdownInline(dossierTitle(header, options))}`, ''];
  for (const [label, value] of headerFacts(header, options)) {
    out.push(
      `- ${t('dossier.fact', { label: `**${escapeMarkdownInline(label)}**`, value: escapeMarkdownInline(value) })}`,
    );
  }
  for (const s of sectionViews(source, questionnaire, options.lang)) {
    out.push('', `## ${escapeMarkdownInline(sectionHeading(s))}`);
    for (const item of s.items) {
      out.push('', `**${escapeMarkdownInline(`${item.q.number}. ${item.text}`)}**`, '');
      if (item.lines === null) out.push(`*${t('dossier.noAnswer')}*`);
      else if (isListy(item.q)) out.push(...item.lines.map((l) => `- ${escapeMarkdown(l)}`));
      else out.push(item.lines.map((l) => escapeMarkdown(l).replace(/\n/g, '  \n')).join('  \n'));
    }
  }
  return `${out.join('\n')}\n`;
}

/** A standalone HTML document (UTF-8), readable in any browser and importable in an office suite. */
export function dossierHtmlDocument(
  source: DossierSource,
  questionnaire: Questionnaire,
  options: DossierOptions,
): string {
  const header = dossierHeader(source, questionnaire, options.lang);
  const title = escapeHtml(dossierTitle(header, options));
  const facts = headerFacts(header, options)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const sections = dossierSections(source, questionnaire, options)
    .map((b) => `<section>${b.html.replace(/^<p><strong>(.*?)<\/strong><\/p>/, '<h2>$1</h2>')}</section>`)
    .join('\n');
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(options.lang)}">`,
    '<head><meta charset="utf-8">',
    `<title>${title}</title>`,
    '<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.4}' +
      'th{text-align:left;padding-right:1em}section{margin-top:2em}</style>',
    '</head><body>',
    `<h1>${title}</h1>`,
    `<table>${facts}</table>`,
    sections,
    '</body></html>',
    '',
  ].join('\n');
}

/** A short file name for the dossier ("dossier-12-commune-de-plouguerneau"). */
export function dossierFileName(header: DossierHeader, number: number | undefined): string {
  const slug = header.name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return ['dossier', ...(number !== undefined ? [String(number)] : []), slug || 'candidature'].join('-');
}

/** The dossier header as one Matrix message block (used by the jury's root message). */
export function dossierHeaderBlock(header: DossierHeader, options: DossierOptions): Block {
  const t = translator(options.lang, 'jury');
  const title = dossierTitle(header, options);
  const facts = headerFacts(header, options);
  return {
    plain: [title, ...facts.map(([label, value]) => t('dossier.fact', { label, value }))].join('\n'),
    html:
      `<p><b>${escapeHtml(title)}</b></p><ul>` +
      facts
        .map(([label, value]) => `<li>${translateHtml(t, 'dossier.fact', { label, value })}</li>`)
        .join('') +
      '</ul>',
  };
}

/** One answer that changed: its value before (undefined: unanswered) and now (undefined: cleared). */
export interface AnswerChange {
  readonly questionId: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** The changes of a dossier since its last posted version, as one block (Matrix-safe HTML). */
export function dossierChanges(
  changes: readonly AnswerChange[],
  questionnaire: Questionnaire,
  lang: string,
): Block {
  const t = translator(lang, 'jury');
  const plain: string[] = [];
  const html: string[] = [];
  const show = (q: Question, value: unknown) =>
    value === undefined ? t('dossier.cleared') : formatAnswer(q, value, lang).join(' ; ');
  for (const change of changes) {
    const q = questionnaire.byId.get(change.questionId);
    if (!q) continue;
    const label = `${q.number}. ${textIn(q.text, lang)}`;
    const before = change.before === undefined ? t('dossier.noAnswer') : show(q, change.before);
    const after = show(q, change.after);
    const fact = (key: 'dossier.before' | 'dossier.after', value: string) =>
      t('dossier.fact', { label: t(key), value });
    plain.push(label, `   ${fact('dossier.before', before)}`, `   ${fact('dossier.after', after)}`);
    const htmlFact = (key: 'dossier.before' | 'dossier.after', value: string, tag: string) =>
      translateHtml(
        t,
        'dossier.fact',
        { label: t(key) },
        { value: `<${tag}>${escapeHtml(value).replace(/\n/g, '<br>')}</${tag}>` },
      );
    html.push(
      `<li><b>${escapeHtml(label)}</b><br>${htmlFact('dossier.before', before, 'del')}<br>${htmlFact('dossier.after', after, 'em')}</li>`,
    );
  }
  return { plain: plain.join('\n'), html: `<ul>${html.join('')}</ul>` };
}
