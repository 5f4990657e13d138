// Answers: what a stored value looks like for each question type (a zod schema, also
// usable by storage to check documents it reads back) and how a person's free text
// becomes such a value. A refusal is a Problem code with parameters; the renderer turns
// it into "what was expected, with an example" in the person's language.
import { z } from 'zod';
import type { Choice, Question, QuestionOf } from './questionnaire.ts';
import { cleanText, fold, foldWord } from './text.ts';

/** A stored answer: text types and dates (YYYY-MM-DD) are strings, yes/no a boolean,
 *  numbers numbers, multiple choices a list of choice ids, lists a list of entries. */
export type AnswerValue = string | number | boolean | string[];

export interface AnswerRecord {
  readonly value: AnswerValue;
  /** Who gave it (a Matrix user id, or whatever id the caller uses). */
  readonly by: string;
  /** When (ISO 8601). */
  readonly at: string;
  /** List answers: who typed each entry, in the order of the entries. */
  readonly itemsBy?: readonly string[];
}

export const PROBLEM_CODES = [
  'empty',
  'tooLong',
  'patternMismatch',
  'notYesNo',
  'notInteger',
  'tooSmall',
  'tooLarge',
  'notPercentage',
  'unknownChoice',
  'tooFewChoices',
  'tooManyChoices',
  'exclusiveChoice',
  'notUrl',
  'notEmail',
  'notDate',
  'duplicateItem',
  'tooManyItems',
  'tooFewItems',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** Why an answer was refused. `item` names the offending entry of a list or the unknown choice. */
export interface Problem {
  readonly code: ProblemCode;
  readonly params: Readonly<Record<string, string | number>>;
}

export type ParseResult = { ok: true; value: AnswerValue } | { ok: false; problem: Problem };

const URL_SCHEMA = z.url({ protocol: /^https?$/, hostname: z.regexes.domain, error: 'notUrl' });
const EMAIL_SCHEMA = z.email({ error: 'notEmail' });

function textSchema(maxLength: number, pattern?: string) {
  let schema = z
    .string({ error: 'empty' })
    .trim()
    .min(1, { error: 'empty' })
    .max(maxLength, { error: 'tooLong' });
  if (pattern !== undefined) schema = schema.regex(new RegExp(pattern, 'u'), { error: 'patternMismatch' });
  return schema;
}

function itemSchema(q: QuestionOf<'list'>) {
  if (q.item === 'url') return URL_SCHEMA;
  if (q.item === 'email') return EMAIL_SCHEMA;
  return textSchema(q.maxLength);
}

const schemaCache = new WeakMap<Question, z.ZodType<AnswerValue>>();

/** The zod schema of a stored answer to this question; issue messages are Problem codes. */
export function valueSchema(q: Question): z.ZodType<AnswerValue> {
  const cached = schemaCache.get(q);
  if (cached) return cached;
  let schema: z.ZodType<AnswerValue>;
  switch (q.type) {
    case 'short_text':
      schema = textSchema(q.maxLength, q.pattern);
      break;
    case 'long_text':
      schema = textSchema(q.maxLength);
      break;
    case 'yes_no':
      schema = z.boolean({ error: 'notYesNo' });
      break;
    case 'integer': {
      let n = z.int({ error: 'notInteger' }).min(q.min, { error: 'tooSmall' });
      if (q.max !== undefined) n = n.max(q.max, { error: 'tooLarge' });
      schema = n;
      break;
    }
    case 'percentage':
      schema = z.number({ error: 'notPercentage' }).min(0, { error: 'notPercentage' }).max(100, {
        error: 'notPercentage',
      });
      break;
    case 'single_choice':
      schema = z.enum(q.choices.map((c) => c.id) as [string, ...string[]], { error: 'unknownChoice' });
      break;
    case 'multiple_choice': {
      const exclusive = q.choices.filter((c) => c.exclusive).map((c) => c.id);
      schema = z
        .array(z.enum(q.choices.map((c) => c.id) as [string, ...string[]], { error: 'unknownChoice' }))
        .min(q.minChoices, { error: 'tooFewChoices' })
        .max(q.maxChoices ?? q.choices.length, { error: 'tooManyChoices' })
        .refine((ids) => new Set(ids).size === ids.length, { error: 'unknownChoice' })
        .refine((ids) => ids.length === 1 || !ids.some((id) => exclusive.includes(id)), {
          error: 'exclusiveChoice',
        });
      break;
    }
    case 'url':
      schema = URL_SCHEMA;
      break;
    case 'email':
      schema = EMAIL_SCHEMA;
      break;
    case 'date':
      schema = z.iso.date({ error: 'notDate' });
      break;
    case 'list':
      schema = z
        .array(itemSchema(q))
        .min(q.minItems, { error: 'tooFewItems' })
        .max(q.maxItems, { error: 'tooManyItems' })
        .refine((items) => new Set(items.map(fold)).size === items.length, { error: 'duplicateItem' });
      break;
  }
  schemaCache.set(q, schema);
  return schema;
}

/** True when `value` is a valid stored answer to `q` (used to filter last year's answers). */
export function isValidValue(q: Question, value: unknown): value is AnswerValue {
  return valueSchema(q).safeParse(value).success;
}

function problem(q: Question, code: ProblemCode, extra: Record<string, string | number> = {}): Problem {
  const params: Record<string, string | number> = { ...extra };
  if (code === 'tooLong' && 'maxLength' in q) params.max = q.maxLength;
  if (code === 'tooSmall' && q.type === 'integer') params.min = q.min;
  if (code === 'tooLarge' && q.type === 'integer' && q.max !== undefined) params.max = q.max;
  if (q.type === 'multiple_choice') {
    if (code === 'tooFewChoices') params.min = q.minChoices;
    if (code === 'tooManyChoices') params.max = q.maxChoices ?? q.choices.length;
  }
  if (q.type === 'list') {
    if (code === 'tooFewItems') params.min = q.minItems;
    if (code === 'tooManyItems') params.max = q.maxItems;
  }
  if (q.type === 'single_choice' || q.type === 'multiple_choice') params.count = q.choices.length;
  return { code, params };
}

/** Validates a value (not text) against the question, with the same Problem codes. */
export function checkValue(
  q: Question,
  value: unknown,
  extra: Record<string, string | number> = {},
): ParseResult {
  const result = valueSchema(q).safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const code = result.error.issues[0]?.message as ProblemCode;
  return { ok: false, problem: problem(q, PROBLEM_CODES.includes(code) ? code : 'empty', extra) };
}

const YES = new Set(['oui', 'o', 'yes', 'y', 'ouais', 'vrai', 'true', 'ok', 'si']);
const NO = new Set(['non', 'n', 'no', 'faux', 'false']);

/** Parses a person's message as an answer to `q`. Never throws. */
export function parseAnswer(q: Question, text: string): ParseResult {
  // Only invisible characters (zero-width, bidi controls, NBSP...) is an empty answer.
  const trimmed = cleanText(text);
  if (trimmed === '') return { ok: false, problem: problem(q, 'empty') };
  switch (q.type) {
    case 'short_text':
      return checkValue(q, trimmed.replace(/\s*\n\s*/g, ' '));
    case 'long_text':
      return checkValue(q, trimmed);
    case 'yes_no': {
      const word = foldWord(trimmed);
      if (YES.has(word)) return { ok: true, value: true };
      if (NO.has(word)) return { ok: true, value: false };
      return { ok: false, problem: problem(q, 'notYesNo') };
    }
    case 'integer':
      return checkValue(q, parseInteger(trimmed));
    case 'percentage':
      return checkValue(q, parsePercentage(trimmed));
    case 'single_choice': {
      const id = resolveChoice(q.choices, trimmed);
      return id === undefined
        ? { ok: false, problem: problem(q, 'unknownChoice', { input: trimmed }) }
        : checkValue(q, id);
    }
    case 'multiple_choice':
      return parseMultipleChoice(q, trimmed);
    case 'url':
      return checkValue(q, normaliseUrl(trimmed));
    case 'email':
      return checkValue(q, trimmed.replace(/^mailto:/i, '').replace(/^<(.*)>$/, '$1'));
    case 'date': {
      const iso = parseDate(trimmed);
      return iso === undefined ? { ok: false, problem: problem(q, 'notDate') } : checkValue(q, iso);
    }
    case 'list': {
      const items = parseListItems(q, trimmed);
      return 'problem' in items ? { ok: false, problem: items.problem } : checkValue(q, items.items);
    }
  }
}

function parseInteger(text: string): number | string {
  const compact = text.replace(/[\s\u00a0\u202f'_]/g, '');
  if (/^[+-]?\d+$/.test(compact)) return Number(compact);
  return text; // not a number: the schema says notInteger
}

function parsePercentage(text: string): number | string {
  const compact = text
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(/%$/, '')
    .replace(',', '.');
  if (/^\d+(\.\d+)?$/.test(compact)) return Math.round(Number(compact) * 100) / 100;
  return text;
}

/** A choice by its number ("2", "2)", "n°2"), its id, or its label in any language. */
export function resolveChoice(choices: readonly Choice[], text: string): string | undefined {
  const word = foldWord(text)
    .replace(/^(n°|no|#)\s*/, '')
    .replace(/[).]$/, '');
  if (/^\d+$/.test(word)) return choices[Number(word) - 1]?.id;
  for (const choice of choices) {
    if (choice.id === word) return choice.id;
    if (Object.values(choice.label).some((label) => foldWord(label) === word)) return choice.id;
  }
  return undefined;
}

function parseMultipleChoice(q: QuestionOf<'multiple_choice'>, text: string): ParseResult {
  // "1, 3 et 4", "1 3 4", one per line, or labels separated by commas/semicolons.
  let tokens = text
    .split(/[,;\n]|\s+(?:et|and|\+)\s+/i)
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.length === 1 && /^\d+(\s+\d+)+$/.test(tokens[0] ?? '')) tokens = (tokens[0] ?? '').split(/\s+/);
  const ids: string[] = [];
  for (const token of tokens) {
    const id = resolveChoice(q.choices, token);
    if (id === undefined) return { ok: false, problem: problem(q, 'unknownChoice', { input: token }) };
    if (!ids.includes(id)) ids.push(id);
  }
  return checkValue(q, ids);
}

function normaliseUrl(text: string): string {
  const url = text.replace(/^<(.*)>$/, '$1').trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  // "www.ville.fr" or "ville.fr/open-data": people rarely type the scheme.
  if (/^[\w-]+(\.[\w-]+)+(\/\S*)?$/.test(url)) return `https://${url}`;
  return url;
}

const MONTHS: Record<string, number> = {};
const MONTH_NAMES = [
  ['janvier', 'janv', 'january', 'jan'],
  ['fevrier', 'fevr', 'fev', 'february', 'feb'],
  ['mars', 'march', 'mar'],
  ['avril', 'avr', 'april', 'apr'],
  ['mai', 'may'],
  ['juin', 'june', 'jun'],
  ['juillet', 'juil', 'july', 'jul'],
  ['aout', 'august', 'aug'],
  ['septembre', 'sept', 'september', 'sep'],
  ['octobre', 'october', 'oct'],
  ['novembre', 'november', 'nov'],
  ['decembre', 'december', 'dec'],
];
MONTH_NAMES.forEach((names, i) => names.forEach((n) => (MONTHS[n] = i + 1)));

/** Day first (15/10/2026, 15.10.2026), ISO (2026-10-15), or with a month name in French or English. */
export function parseDate(text: string): string | undefined {
  const t = fold(text).replace(/[.,]$/, '');
  let y: number | undefined;
  let m: number | undefined;
  let d: number | undefined;
  let match: RegExpMatchArray | null;
  if ((match = t.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/))) [y, m, d] = [+match[1]!, +match[2]!, +match[3]!];
  else if ((match = t.match(/^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/)))
    [d, m, y] = [+match[1]!, +match[2]!, +match[3]!];
  else if ((match = t.match(/^(\d{1,2})(?:er|st|nd|rd|th)?\s+([a-z]+)\.?\s+(\d{4})$/)))
    [d, m, y] = [+match[1]!, MONTHS[match[2]!], +match[3]!];
  else if ((match = t.match(/^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/)))
    [m, d, y] = [MONTHS[match[1]!], +match[2]!, +match[3]!];
  if (y === undefined || m === undefined || d === undefined || y < 1900 || y > 2200) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return undefined;
  return date.toISOString().slice(0, 10);
}

/** Entries of a list from one message: one per line, bullets and numbering removed. */
export function parseListItems(
  q: QuestionOf<'list'>,
  text: string,
  already: readonly string[] = [],
): { items: string[] } | { problem: Problem } {
  const lines = text
    .split('\n')
    .map((line) => cleanText(cleanText(line).replace(/^(?:[-*•–]|\d+[.)])\s+/, '')))
    .filter(Boolean);
  if (lines.length === 0) return { problem: problem(q, 'empty') };
  const items: string[] = [];
  const seen = new Set(already.map(fold));
  const single = itemSchema(q);
  for (const line of lines) {
    const candidate = q.item === 'url' ? normaliseUrl(line) : line;
    const result = single.safeParse(candidate);
    if (!result.success) {
      const code = (result.error.issues[0]?.message ?? 'empty') as ProblemCode;
      return { problem: problem(q, code, { item: line }) };
    }
    if (seen.has(fold(result.data))) return { problem: problem(q, 'duplicateItem', { item: line }) };
    seen.add(fold(result.data));
    items.push(result.data);
  }
  if (already.length + items.length > q.maxItems) return { problem: problem(q, 'tooManyItems') };
  return { items };
}
