// Every dossier of a campaign, in open formats: CSV and ODS (one row per candidacy, one
// column per question, ready for a spreadsheet), JSON (exact values with the questionnaire's
// structure, see schemas.ts) and one HTML or Markdown file per dossier (the jury's
// dossier rendering).
import type { Campaign } from '../../flows/campaign/model.ts';
import { answersView, requiredProgress } from '../../flows/campaign/progress.ts';
import { type Question, type Questionnaire, textIn } from '../../flows/questionnaire.ts';
import { translator } from '../../locales/i18n.ts';
import type { Candidacy } from '../../storage/index.ts';
import { stageOf } from '../organisers/store.ts';
import { dossierFileName, dossierHeader, dossierHtmlDocument, dossierMarkdown } from '../render/dossier.ts';
import { type Cell, guardFormula, toCsv } from './csv.ts';
import { toOds } from './ods.ts';
import { type CandidaciesExport, candidaciesExportSchema } from './schemas.ts';

export interface ExportFile {
  name: string;
  mimetype: string;
  data: Buffer;
}

export interface CampaignData {
  campaign: Campaign;
  questionnaire: Questionnaire;
  candidacies: readonly Candidacy[];
}

/**
 * The candidacy's own columns, before the questions, in this order. Each is written with
 * METADATA_PREFIX: question ids cannot contain a dot, so no header can repeat a question's
 * (a questionnaire may well have a `collectivity_name` question).
 */
export const METADATA_COLUMNS = [
  'id',
  'collectivity_name',
  'collectivity_kind',
  'official_code',
  'stage',
  'language',
  'lead',
  'elu_referent',
  'created_at',
  'updated_at',
  'submitted_at',
  'required_answered',
  'required_total',
] as const;
export const METADATA_PREFIX = 'candidacy.';

/**
 * A spreadsheet cell for an answer: numbers stay numbers, choices become their labels, lists
 * one entry per line (with who typed it, when several people built the list).
 */
export function answerCell(
  q: Question,
  value: unknown,
  lang: string,
  itemsBy?: readonly string[],
  guard: (text: string) => string = guardFormula,
): Cell {
  const yesNo = translator(lang, 'jury');
  const label = (id: string) => {
    if (q.type !== 'single_choice' && q.type !== 'multiple_choice') return id;
    const choice = q.choices.find((c) => c.id === id);
    return choice ? textIn(choice.label, lang) : id;
  };
  switch (q.type) {
    case 'yes_no':
      return value === true ? yesNo('dossier.yes') : value === false ? yesNo('dossier.no') : String(value);
    case 'integer':
    case 'percentage':
      return typeof value === 'number' ? value : String(value);
    case 'single_choice':
      return label(String(value));
    case 'multiple_choice':
      return Array.isArray(value) ? value.map((v) => label(String(v))).join('\n') : String(value);
    case 'list': {
      if (!Array.isArray(value)) return String(value);
      const several = new Set(itemsBy ?? []).size > 1;
      return value
        .map((v, i) => guard(several ? `${String(v)} (${itemsBy?.[i] ?? ''})` : String(v)))
        .join('\n');
    }
    default:
      return guard(String(value));
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export interface Table {
  header: string[];
  rows: Cell[][];
}

/**
 * Every candidacy as one row: its own columns, then one per question (named by its id).
 * `guard` protects text cells of formats a spreadsheet may run as formulas (CSV).
 */
export function candidaciesTable(
  data: CampaignData,
  lang: string,
  guard: (text: string) => string = guardFormula,
): Table {
  const { campaign, questionnaire } = data;
  const header = [
    ...METADATA_COLUMNS.map((c) => `${METADATA_PREFIX}${c}`),
    ...questionnaire.questions.map((q) => q.id),
  ];
  if (new Set(header).size !== header.length) throw new Error('export: two columns with the same name');
  const rows = data.candidacies.map((c) => {
    const progress = requiredProgress(questionnaire, answersView(c.answers));
    const fixed: Cell[] = [
      c.id,
      c.collectivite ? guard(c.collectivite.name) : null,
      c.collectivite?.kind ?? null,
      c.collectivite?.officialCode ?? null,
      stageOf(c, campaign),
      c.language,
      c.people.lead.userId,
      c.people.eluReferent?.userId ?? null,
      iso(c.createdAt),
      iso(c.updatedAt),
      iso(c.submittedAt),
      progress.answered,
      progress.required,
    ];
    const answers = questionnaire.questions.map((q) => {
      const a = c.answers[q.id];
      return a === undefined ? null : answerCell(q, a.value, lang, a.itemsBy, guard);
    });
    return [...fixed, ...answers];
  });
  return { header, rows };
}

export function candidaciesCsv(data: CampaignData, lang: string): Buffer {
  const { header, rows } = candidaciesTable(data, lang);
  return toCsv(header, rows);
}

/** The same table as a spreadsheet: typed cells, text exactly as typed. */
export function candidaciesOds(data: CampaignData, lang: string): Buffer {
  const { header, rows } = candidaciesTable(data, lang, (text) => text);
  return toOds(data.campaign.id, header, rows);
}

export function campaignJson(campaign: Campaign) {
  return {
    id: campaign.id,
    year: campaign.year,
    name: campaign.name,
    timeZone: campaign.timeZone,
    opensAt: campaign.opensAt.toISOString(),
    closesAt: campaign.closesAt.toISOString(),
    juryDeadline: iso(campaign.juryDeadline),
    status: campaign.status,
    levels: campaign.levels.map((l, i) => ({ id: l.id, rank: i + 1, labels: { ...l.labels } })),
  };
}

function questionnaireJson(q: Questionnaire): CandidaciesExport['questionnaire'] {
  return {
    id: q.id,
    version: q.version,
    title: { ...q.title },
    sections: q.sections.map((s) => ({
      id: s.id,
      title: { ...s.title },
      questions: s.questionIds
        .map((id) => q.byId.get(id))
        .filter((x): x is Question => x !== undefined)
        .map((x) => ({
          id: x.id,
          number: x.number,
          type: x.type,
          required: x.required,
          text: { ...x.text },
          ...(x.help ? { help: { ...x.help } } : {}),
          ...(x.type === 'integer' && x.unit ? { unit: { ...x.unit } } : {}),
          ...(x.type === 'single_choice' || x.type === 'multiple_choice'
            ? { choices: x.choices.map((c) => ({ id: c.id, label: { ...c.label } })) }
            : {}),
          ...(x.when ? { when: x.when as unknown as Record<string, unknown> } : {}),
        })),
    })),
  };
}

export function candidaciesJson(data: CampaignData, now: Date): CandidaciesExport {
  const { campaign, questionnaire } = data;
  const value: CandidaciesExport = {
    format: 'tnl-candidacies',
    formatVersion: 1,
    exportedAt: now.toISOString(),
    campaign: campaignJson(campaign),
    questionnaire: questionnaireJson(questionnaire),
    candidacies: data.candidacies.map((c) => {
      const progress = requiredProgress(questionnaire, answersView(c.answers));
      return {
        id: c.id,
        status: c.status,
        stage: stageOf(c, campaign),
        language: c.language,
        collectivite: c.collectivite
          ? {
              name: c.collectivite.name,
              kind: c.collectivite.kind,
              ...(c.collectivite.officialCode ? { officialCode: c.collectivite.officialCode } : {}),
            }
          : null,
        people: {
          lead: { ...c.people.lead },
          ...(c.people.eluReferent ? { eluReferent: { ...c.people.eluReferent } } : {}),
          coEditors: c.people.coEditors.map((p) => ({ ...p })),
        },
        createdAt: c.createdAt.toISOString(),
        updatedAt: c.updatedAt.toISOString(),
        submittedAt: iso(c.submittedAt),
        progress: { answered: progress.answered, required: progress.required },
        answers: Object.fromEntries(
          Object.entries(c.answers).map(([id, a]) => [
            id,
            {
              value: a.value as string | number | boolean | string[],
              by: a.by,
              at: a.at.toISOString(),
              ...(a.itemsBy ? { itemsBy: [...a.itemsBy] } : {}),
            },
          ]),
        ),
      };
    }),
  };
  // The file must match its published schema: check before anyone relies on it.
  return candidaciesExportSchema.parse(value);
}

export function jsonFile(name: string, value: unknown): ExportFile {
  return {
    name,
    mimetype: 'application/json',
    data: Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8'),
  };
}

/** One file per dossier: HTML (opens in any browser or office suite) or Markdown. */
export function dossierFiles(data: CampaignData, lang: string, format: 'html' | 'md' = 'html'): ExportFile[] {
  const used = new Set<string>();
  return data.candidacies
    .filter((c) => c.status !== 'withdrawn')
    .map((c, index) => {
      const options = { lang, timeZone: data.campaign.timeZone, campaignName: data.campaign.name };
      const header = dossierHeader(c, data.questionnaire, lang);
      let base = dossierFileName(header, index + 1);
      while (used.has(base)) base = `${base}-${c.id.slice(0, 6)}`;
      used.add(base);
      return format === 'html'
        ? {
            name: `${base}.html`,
            mimetype: 'text/html',
            data: Buffer.from(dossierHtmlDocument(c, data.questionnaire, options), 'utf8'),
          }
        : {
            name: `${base}.md`,
            mimetype: 'text/markdown',
            data: Buffer.from(dossierMarkdown(c, data.questionnaire, options), 'utf8'),
          };
    });
}
