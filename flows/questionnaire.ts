// A campaign's questionnaire is data: a YAML file under questionnaires/, validated here
// with zod at load time. Every text is a map by language code; the languages of a
// questionnaire are those of its title and every other text must have exactly those,
// so adding a language is a matter of adding texts, never code. Errors name the
// question id and the field so that the person editing the file finds the line.
//
// Why this file is long: the questionnaire file format, its zod schema and its documentation
// live together, so the documented format is the validated one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const QUESTIONNAIRES_DIR = join(import.meta.dirname, '..', 'questionnaires');

export type LocalizedText = Readonly<Record<string, string>>;

export const QUESTION_TYPES = [
  'short_text',
  'long_text',
  'yes_no',
  'integer',
  'percentage',
  'single_choice',
  'multiple_choice',
  'url',
  'email',
  'date',
  'list',
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** What an identification question stands for, so that storage and the bot can name the candidacy. */
export const IDENTITY_ROLES = [
  'collectivity_name',
  'collectivity_kind',
  'official_code',
  'population',
  'elected_name',
  'elected_role',
  'lead_name',
  'lead_email',
] as const;
export type IdentityRole = (typeof IDENTITY_ROLES)[number];
const REQUIRED_ROLES: IdentityRole[] = ['collectivity_name', 'collectivity_kind'];

export type Condition =
  | { question: string; equals: string | number | boolean }
  | { question: string; in: Array<string | number> }
  | { question: string; includes: string }
  | { question: string; answered: boolean }
  | { question: string; atLeast: number }
  | { question: string; atMost: number }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const ID = /^[a-z][a-z0-9_]*$/;
const idSchema = z
  .string()
  .regex(ID, { error: 'expected an id made of a-z, 0-9 and _, starting with a letter' });
const localizedSchema = z.record(
  z.string().regex(/^[a-z]{2,3}$/, { error: 'expected a language code such as fr or en' }),
  z.string().trim().min(1, { error: 'empty text' }),
  { error: 'expected texts by language, e.g. {fr: ..., en: ...}' },
);

const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union(
    [
      z.strictObject({ question: idSchema, equals: z.union([z.string(), z.number(), z.boolean()]) }),
      z.strictObject({ question: idSchema, in: z.array(z.union([z.string(), z.number()])).min(1) }),
      z.strictObject({ question: idSchema, includes: z.string() }),
      z.strictObject({ question: idSchema, answered: z.boolean() }),
      z.strictObject({ question: idSchema, atLeast: z.number() }),
      z.strictObject({ question: idSchema, atMost: z.number() }),
      z.strictObject({ all: z.array(conditionSchema).min(1) }),
      z.strictObject({ any: z.array(conditionSchema).min(1) }),
      z.strictObject({ not: conditionSchema }),
    ],
    {
      error:
        'expected a condition: {question, equals|in|includes|answered|atLeast|atMost} or {all: [...]}, {any: [...]}, {not: ...}',
    },
  ),
);

const base = {
  id: idSchema,
  required: z.boolean().default(true),
  text: localizedSchema,
  help: localizedSchema.optional(),
  example: localizedSchema.optional(),
  when: conditionSchema.optional(),
  role: z.enum(IDENTITY_ROLES).optional(),
};
const choiceSchema = z.strictObject({
  id: idSchema,
  label: localizedSchema,
  exclusive: z.boolean().optional(), // "none of these": cannot be combined with other choices
});

const questionSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      ...base,
      type: z.literal('short_text'),
      maxLength: z.int().positive().max(1000).default(200),
      pattern: z.string().optional(), // a regular expression the whole answer must match
    }),
    z.strictObject({
      ...base,
      type: z.literal('long_text'),
      maxLength: z.int().positive().max(20000).default(4000),
    }),
    z.strictObject({ ...base, type: z.literal('yes_no') }),
    z.strictObject({
      ...base,
      type: z.literal('integer'),
      min: z.int().default(0),
      max: z.int().optional(),
      unit: localizedSchema.optional(),
    }),
    z.strictObject({ ...base, type: z.literal('percentage') }),
    z.strictObject({ ...base, type: z.literal('single_choice'), choices: z.array(choiceSchema).min(2) }),
    z.strictObject({
      ...base,
      type: z.literal('multiple_choice'),
      choices: z.array(choiceSchema).min(2),
      minChoices: z.int().positive().default(1),
      maxChoices: z.int().positive().optional(),
    }),
    z.strictObject({ ...base, type: z.literal('url') }),
    z.strictObject({ ...base, type: z.literal('email') }),
    z.strictObject({ ...base, type: z.literal('date') }),
    z.strictObject({
      ...base,
      type: z.literal('list'),
      item: z.enum(['short_text', 'url', 'email']).default('short_text'),
      minItems: z.int().positive().default(1),
      maxItems: z.int().positive().max(200).default(50),
      maxLength: z.int().positive().max(1000).default(200),
    }),
  ],
  { error: `expected a question type among ${QUESTION_TYPES.join(', ')}` },
);

const partSchema = {
  title: localizedSchema,
  intro: localizedSchema.optional(),
  questions: z.array(questionSchema).min(1, { error: 'a part needs at least one question' }),
};
const documentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected an id such as tnl-2026' }),
  version: z.int().positive(),
  title: localizedSchema,
  intro: localizedSchema.optional(),
  identification: z.strictObject(partSchema),
  sections: z.array(z.strictObject({ id: idSchema, ...partSchema })).min(1),
});

type RawQuestion = z.output<typeof questionSchema>;
type WithPlace<T> = T extends unknown ? T & { readonly number: number; readonly sectionId: string } : never;
/** A question as the flows see it: its number (1-based, stable: `!edit 12`) and its section. */
export type Question = WithPlace<RawQuestion>;
export type QuestionOf<T extends QuestionType> = Extract<Question, { type: T }>;
export type Choice = z.output<typeof choiceSchema>;

export interface Section {
  readonly id: string; // 'identification' for the identification part
  readonly title: LocalizedText;
  readonly intro?: LocalizedText;
  readonly questionIds: readonly string[];
}

export interface Questionnaire {
  readonly id: string;
  readonly version: number;
  readonly title: LocalizedText;
  readonly intro?: LocalizedText;
  /** Languages every text exists in; always includes 'fr'. */
  readonly languages: readonly string[];
  readonly sections: readonly Section[];
  /** Every question in asking order (identification first). */
  readonly questions: readonly Question[];
  readonly byId: ReadonlyMap<string, Question>;
}

export const IDENTIFICATION = 'identification';

export class QuestionnaireError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: string[]) {
    super(`Invalid questionnaire ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'QuestionnaireError';
    this.problems = problems;
  }
}

/** Text in the wanted language, else French, else any. */
export function textIn(text: LocalizedText | undefined, lang: string): string {
  if (!text) return '';
  return text[lang] ?? text.fr ?? Object.values(text)[0] ?? '';
}

export function loadQuestionnaire(path: string): Questionnaire {
  return parseQuestionnaire(readFileSync(path, 'utf8'), path);
}

/** Loads questionnaires/<id>.yaml. */
export function loadQuestionnaireById(id: string, dir: string = QUESTIONNAIRES_DIR): Questionnaire {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new QuestionnaireError(id, ['invalid questionnaire id']);
  return loadQuestionnaire(join(dir, `${id}.yaml`));
}

const resolved = new Map<string, Questionnaire>();

/**
 * A campaign's questionnaire, as every part of the bot reads it: an id under
 * questionnaires/ ("tnl-2026") or a path to a YAML file. Loaded once per reference.
 */
export function resolveQuestionnaire(ref: string): Questionnaire {
  let questionnaire = resolved.get(ref);
  if (!questionnaire) {
    questionnaire = /^[a-z0-9][a-z0-9-]*$/.test(ref) ? loadQuestionnaireById(ref) : loadQuestionnaire(ref);
    resolved.set(ref, questionnaire);
  }
  return questionnaire;
}

export function parseQuestionnaire(yamlText: string, source = 'questionnaire'): Questionnaire {
  let data: unknown;
  try {
    data = parseYaml(yamlText, { prettyErrors: true });
  } catch (error) {
    throw new QuestionnaireError(source, [`not valid YAML: ${(error as Error).message}`]);
  }
  return validateQuestionnaire(data, source);
}

/** Where a path inside the document points, in words a questionnaire author understands. */
function describePath(data: unknown, path: ReadonlyArray<PropertyKey>): string {
  const at = (value: unknown, key: PropertyKey): unknown =>
    value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  const field = (rest: ReadonlyArray<PropertyKey>) => (rest.length ? rest.map(String).join('.') : '(whole)');
  let part: unknown;
  let partName: string;
  let rest: ReadonlyArray<PropertyKey>;
  if (path[0] === 'identification') {
    part = at(data, 'identification');
    partName = 'identification';
    rest = path.slice(1);
  } else if (path[0] === 'sections' && typeof path[1] === 'number') {
    part = at(at(data, 'sections'), path[1]);
    const id = at(part, 'id');
    partName = typeof id === 'string' ? `section "${id}"` : `section #${path[1] + 1}`;
    rest = path.slice(2);
  } else {
    return `field ${field(path)}`;
  }
  if (rest[0] === 'questions' && typeof rest[1] === 'number') {
    const id = at(at(at(part, 'questions'), rest[1]), 'id');
    const name = typeof id === 'string' ? `question "${id}"` : `question #${rest[1] + 1}`;
    return `${name} (${partName}), field ${field(rest.slice(2))}`;
  }
  return `${partName}, field ${field(rest)}`;
}

export function validateQuestionnaire(data: unknown, source = 'questionnaire'): Questionnaire {
  const parsed = documentSchema.safeParse(data);
  if (!parsed.success) {
    throw new QuestionnaireError(
      source,
      parsed.error.issues.map((issue) => `${describePath(data, issue.path)}: ${issue.message}`),
    );
  }
  const doc = parsed.data;
  const problems: string[] = [];
  const languages = Object.keys(doc.title).sort();
  if (!languages.includes('fr')) problems.push('title: a French ("fr") text is required');

  const checkTexts = (where: string, field: string, text: LocalizedText | undefined) => {
    if (!text) return;
    const have = Object.keys(text);
    const missing = languages.filter((l) => !have.includes(l));
    const extra = have.filter((l) => !languages.includes(l));
    if (missing.length) problems.push(`${where}, field ${field}: missing text in ${missing.join(', ')}`);
    if (extra.length)
      problems.push(
        `${where}, field ${field}: language ${extra.join(', ')} is not in the title (languages: ${languages.join(', ')})`,
      );
  };
  checkTexts('questionnaire', 'intro', doc.intro);

  const parts = [{ id: IDENTIFICATION, ...doc.identification }, ...doc.sections.map((s) => ({ ...s }))];
  const sections: Section[] = [];
  const questions: Question[] = [];
  const byId = new Map<string, Question>();
  const roles = new Map<IdentityRole, string>();
  const sectionIds = new Set<string>();

  for (const part of parts) {
    const partName = part.id === IDENTIFICATION ? 'identification' : `section "${part.id}"`;
    if (sectionIds.has(part.id)) problems.push(`${partName}: duplicate section id`);
    sectionIds.add(part.id);
    checkTexts(partName, 'title', part.title);
    checkTexts(partName, 'intro', part.intro);
    for (const raw of part.questions) {
      const where = `question "${raw.id}" (${partName})`;
      if (byId.has(raw.id)) problems.push(`${where}, field id: duplicate question id`);
      checkTexts(where, 'text', raw.text);
      checkTexts(where, 'help', raw.help);
      checkTexts(where, 'example', raw.example);
      problems.push(...checkQuestion(raw, where, byId, checkTexts));
      if (raw.role) {
        if (part.id !== IDENTIFICATION) problems.push(`${where}, field role: roles belong to identification`);
        if (roles.has(raw.role)) problems.push(`${where}, field role: "${raw.role}" is already given`);
        roles.set(raw.role, raw.id);
      }
      const question = { ...raw, number: questions.length + 1, sectionId: part.id } as Question;
      questions.push(question);
      byId.set(question.id, question);
    }
    sections.push({
      id: part.id,
      title: part.title,
      ...(part.intro ? { intro: part.intro } : {}),
      questionIds: part.questions.map((q) => q.id),
    });
  }
  for (const role of REQUIRED_ROLES) {
    if (!roles.has(role)) problems.push(`identification: a question with role "${role}" is required`);
  }
  const kindId = roles.get('collectivity_kind');
  if (kindId && byId.get(kindId)?.type !== 'single_choice')
    problems.push(
      `question "${kindId}" (identification), field type: role collectivity_kind needs single_choice`,
    );

  if (problems.length) throw new QuestionnaireError(source, problems);
  return {
    id: doc.id,
    version: doc.version,
    title: doc.title,
    ...(doc.intro ? { intro: doc.intro } : {}),
    languages,
    sections,
    questions,
    byId,
  };
}

/** Checks that need more than the question's own shape: bounds, choices, conditions on earlier questions. */
function checkQuestion(
  q: RawQuestion,
  where: string,
  earlier: ReadonlyMap<string, Question>,
  checkTexts: (where: string, field: string, text: LocalizedText | undefined) => void,
): string[] {
  const problems: string[] = [];
  switch (q.type) {
    case 'short_text':
      if (q.pattern !== undefined) {
        try {
          new RegExp(q.pattern, 'u');
        } catch (error) {
          problems.push(`${where}, field pattern: ${(error as Error).message}`);
        }
      }
      break;
    case 'integer':
      if (q.max !== undefined && q.max < q.min) problems.push(`${where}, field max: smaller than min`);
      checkTexts(where, 'unit', q.unit);
      break;
    case 'single_choice':
    case 'multiple_choice': {
      const seen = new Set<string>();
      q.choices.forEach((choice, i) => {
        if (seen.has(choice.id))
          problems.push(`${where}, field choices.${i}.id: duplicate choice "${choice.id}"`);
        seen.add(choice.id);
        checkTexts(where, `choices.${i}.label`, choice.label);
        if (choice.exclusive && q.type === 'single_choice')
          problems.push(`${where}, field choices.${i}.exclusive: only for multiple_choice`);
      });
      if (q.type === 'multiple_choice') {
        const max = q.maxChoices ?? q.choices.length;
        if (max > q.choices.length)
          problems.push(`${where}, field maxChoices: more than the number of choices`);
        if (q.minChoices > max) problems.push(`${where}, field minChoices: more than maxChoices`);
      }
      break;
    }
    case 'list':
      if (q.minItems > q.maxItems) problems.push(`${where}, field minItems: more than maxItems`);
      break;
    default:
      break;
  }
  if (q.role === 'lead_email' && q.type !== 'email')
    problems.push(`${where}, field type: lead_email needs email`);
  if (q.role === 'population' && q.type !== 'integer')
    problems.push(`${where}, field type: population needs integer`);
  if (q.when) problems.push(...checkCondition(q.when, `${where}, field when`, q.id, earlier));
  return problems;
}

function checkCondition(
  c: Condition,
  where: string,
  self: string,
  earlier: ReadonlyMap<string, Question>,
): string[] {
  if ('all' in c) return c.all.flatMap((x) => checkCondition(x, where, self, earlier));
  if ('any' in c) return c.any.flatMap((x) => checkCondition(x, where, self, earlier));
  if ('not' in c) return checkCondition(c.not, where, self, earlier);
  const target = earlier.get(c.question);
  if (!target) {
    return [
      c.question === self
        ? `${where}: a question cannot depend on itself`
        : `${where}: "${c.question}" is not an earlier question`,
    ];
  }
  const choiceIds =
    target.type === 'single_choice' || target.type === 'multiple_choice'
      ? target.choices.map((x) => x.id)
      : [];
  const numeric = target.type === 'integer' || target.type === 'percentage';
  const fits = (value: string | number | boolean): boolean => {
    if (target.type === 'yes_no') return typeof value === 'boolean';
    if (target.type === 'single_choice') return typeof value === 'string' && choiceIds.includes(value);
    if (numeric) return typeof value === 'number';
    return typeof value === 'string';
  };
  const problems: string[] = [];
  if ('equals' in c && !fits(c.equals))
    problems.push(
      `${where}: ${JSON.stringify(c.equals)} cannot be an answer to "${c.question}" (${target.type})`,
    );
  if ('in' in c) {
    if (target.type === 'multiple_choice' || target.type === 'list' || target.type === 'yes_no')
      problems.push(`${where}: "in" does not apply to "${c.question}" (${target.type})`);
    for (const v of c.in.filter((v) => !fits(v)))
      problems.push(`${where}: ${JSON.stringify(v)} cannot be an answer to "${c.question}" (${target.type})`);
  }
  if ('includes' in c) {
    if (target.type !== 'multiple_choice' && target.type !== 'list')
      problems.push(
        `${where}: "includes" needs a multiple_choice or list question, "${c.question}" is ${target.type}`,
      );
    else if (target.type === 'multiple_choice' && !choiceIds.includes(c.includes))
      problems.push(`${where}: "${c.includes}" is not a choice of "${c.question}"`);
  }
  if (('atLeast' in c || 'atMost' in c) && !numeric)
    problems.push(
      `${where}: atLeast/atMost need an integer or percentage question, "${c.question}" is ${target.type}`,
    );
  return problems;
}
