// The JSON exports' shapes, as zod schemas: the exporters build values of these types,
// tests parse the files back with them, and `npm run export -- --schemas` writes them
// as JSON Schema files (docs/schemas/) for people who consume the files elsewhere.
import { z } from 'zod';

const localized = z.record(z.string(), z.string()).describe('Text by language code (fr, en...)');
const isoDateTime = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time (UTC)');

const level = z.object({
  id: z.string().describe('Stable id stored in votes and decisions'),
  rank: z.int().min(1).describe('1 = lowest level of the scale'),
  labels: localized,
});

const campaign = z.object({
  id: z.string(),
  year: z.int(),
  name: z.string(),
  timeZone: z.string().describe('IANA time zone of the campaign dates'),
  opensAt: isoDateTime,
  closesAt: isoDateTime,
  juryDeadline: isoDateTime.nullable(),
  status: z.enum(['draft', 'open', 'closed', 'published']),
  levels: z.array(level),
});

const condition: z.ZodType<unknown> = z.lazy(() => z.record(z.string(), z.unknown()));

const question = z.object({
  id: z.string(),
  number: z.int().min(1).describe('Number shown to candidates (stable within the questionnaire version)'),
  type: z
    .string()
    .describe(
      'short_text, long_text, yes_no, integer, percentage, single_choice, multiple_choice, url, email, date, list',
    ),
  required: z.boolean(),
  text: localized,
  help: localized.optional(),
  unit: localized.optional(),
  choices: z.array(z.object({ id: z.string(), label: localized })).optional(),
  when: condition.optional().describe('Condition on earlier answers for the question to apply'),
});

const questionnaire = z.object({
  id: z.string(),
  version: z.int(),
  title: localized,
  sections: z.array(z.object({ id: z.string(), title: localized, questions: z.array(question) })),
});

const answerValue = z
  .union([z.string(), z.number(), z.boolean(), z.array(z.string())])
  .describe(
    'Text and dates (YYYY-MM-DD) as strings, yes/no as booleans, numbers, choice ids or list entries as arrays',
  );

const person = z.object({ userId: z.string().describe('Matrix user id'), name: z.string().optional() });

export const candidacyRecordSchema = z.object({
  id: z.string(),
  status: z.enum(['draft', 'submitted', 'under_review', 'decided', 'withdrawn']).describe('Stored status'),
  stage: z
    .enum(['draft', 'submitted', 'review', 'frozen', 'decided', 'withdrawn'])
    .describe('Where the candidacy stands; frozen = a draft not submitted when the campaign closed'),
  language: z.string(),
  collectivite: z
    .object({ name: z.string(), kind: z.string(), officialCode: z.string().optional() })
    .nullable(),
  people: z.object({ lead: person, eluReferent: person.optional(), coEditors: z.array(person) }),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  submittedAt: isoDateTime.nullable(),
  progress: z.object({
    answered: z.int().min(0).describe('Required questions that apply and have an answer'),
    required: z.int().min(0).describe('Required questions that apply given the answers'),
  }),
  answers: z.record(
    z.string().describe('Question id'),
    z.object({
      value: answerValue,
      by: z.string(),
      at: isoDateTime,
      itemsBy: z
        .array(z.string())
        .optional()
        .describe('List answers: who typed each entry, in the order of the entries'),
    }),
  ),
});

export const candidaciesExportSchema = z
  .object({
    format: z.literal('tnl-candidacies'),
    formatVersion: z.literal(1),
    exportedAt: isoDateTime,
    campaign,
    questionnaire,
    candidacies: z.array(candidacyRecordSchema),
  })
  .describe('Every candidacy of a campaign with its answers, and the questionnaire that gives them meaning');
export type CandidaciesExport = z.infer<typeof candidaciesExportSchema>;

export const resultRecordSchema = z.object({
  campaign_id: z.string().describe('Campaign id, e.g. tnl-2026'),
  campaign_year: z.int().describe('Year of the label'),
  campaign_name: z.string(),
  collectivity_name: z.string().describe('Name of the labelled collectivité'),
  collectivity_kind: z
    .string()
    .nullable()
    .describe('Kind (choice id): commune, epci, departement, region, other_public_body'),
  official_code: z.string().nullable().describe('Official code (INSEE, SIREN) when the candidacy gave one'),
  population: z.int().nullable().describe('Population declared in the candidacy'),
  level_id: z.string().describe('Id of the level awarded'),
  level_rank: z.int().min(1).describe('Position of the level on the scale, 1 = lowest'),
  level_count: z.int().min(1).describe('Number of levels on the scale'),
  level_label_fr: z.string(),
  level_label_en: z.string(),
  mentions: z.array(z.string()).describe('Special mentions given by the jury'),
  decided_at: isoDateTime,
  published_at: isoDateTime,
});

export const resultsExportSchema = z
  .object({
    format: z.literal('tnl-results'),
    formatVersion: z.literal(1),
    campaign: campaign.omit({ status: true }),
    publishedAt: isoDateTime,
    results: z.array(resultRecordSchema),
  })
  .describe('Published results of a Territoire Numérique Libre campaign (open data)');
export type ResultsExport = z.infer<typeof resultsExportSchema>;

/** The JSON Schema documents (draft 2020-12) of the exports, by file name. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'candidacies.schema.json': z.toJSONSchema(candidaciesExportSchema, { io: 'output' }),
    'results.schema.json': z.toJSONSchema(resultsExportSchema, { io: 'output' }),
  };
}
