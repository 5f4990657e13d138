// The published results as open data (CSV and JSON) for a data portal. Schema:
// docs/results-schema.md and docs/schemas/results.schema.json.
import type { Campaign } from '../../flows/campaign/model.ts';
import { type DecisionForResults, type ResultRecord, resultRecords } from '../../flows/campaign/results.ts';
import type { Questionnaire } from '../../flows/questionnaire.ts';
import type { Candidacy, Decision } from '../../storage/index.ts';
import { campaignJson, type ExportFile, jsonFile } from './candidacies.ts';
import { toCsv } from './csv.ts';
import { type ResultsExport, resultsExportSchema } from './schemas.ts';

/** Decided, non-withdrawn candidacies joined with their decision, for the palmarès and the files. */
export function decisionsForResults(
  candidacies: readonly Candidacy[],
  decisions: readonly Decision[],
  questionnaire: Questionnaire | null,
): DecisionForResults[] {
  const byId = new Map(candidacies.map((c) => [c.id, c]));
  const populationQuestion = questionnaire?.questions.find((q) => q.role === 'population');
  const out: DecisionForResults[] = [];
  for (const d of decisions) {
    const c = byId.get(d.candidacyId);
    if (!c || c.status === 'withdrawn') continue;
    const population = populationQuestion ? c.answers[populationQuestion.id]?.value : undefined;
    out.push({
      candidacyId: c.id,
      collectivity: c.collectivite?.name ?? c.id,
      kind: c.collectivite?.kind ?? null,
      officialCode: c.collectivite?.officialCode ?? null,
      population: typeof population === 'number' ? population : null,
      level: d.level,
      mentions: [...d.mentions],
      decidedAt: d.decidedAt,
    });
  }
  return out;
}

export const RESULT_COLUMNS: ReadonlyArray<keyof ResultRecord> = [
  'campaign_id',
  'campaign_year',
  'campaign_name',
  'collectivity_name',
  'collectivity_kind',
  'official_code',
  'population',
  'level_id',
  'level_rank',
  'level_count',
  'level_label_fr',
  'level_label_en',
  'mentions',
  'decided_at',
  'published_at',
];

/** Mentions are joined with " | " in the CSV (a mention may contain commas or semicolons). */
export function resultsCsv(records: readonly ResultRecord[]): Buffer {
  return toCsv(
    RESULT_COLUMNS,
    records.map((r) => RESULT_COLUMNS.map((key) => (key === 'mentions' ? r.mentions.join(' | ') : r[key]))),
  );
}

export function resultsJson(
  campaign: Campaign,
  records: readonly ResultRecord[],
  publishedAt: Date,
): ResultsExport {
  const { status: _status, ...rest } = campaignJson(campaign);
  return resultsExportSchema.parse({
    format: 'tnl-results',
    formatVersion: 1,
    campaign: rest,
    publishedAt: publishedAt.toISOString(),
    results: records,
  });
}

export function resultsFiles(
  campaign: Campaign,
  decisions: readonly DecisionForResults[],
  publishedAt: Date,
): { files: ExportFile[]; count: number } {
  const records = resultRecords(campaign, decisions, publishedAt);
  return {
    count: records.length,
    files: [
      { name: `${campaign.id}-results.csv`, mimetype: 'text/csv', data: resultsCsv(records) },
      jsonFile(`${campaign.id}-results.json`, resultsJson(campaign, records, publishedAt)),
    ],
  };
}
