// Reads what an export needs from storage and builds its files. Shared by the
// organisers' room (files sent as attachments) and the command line (scripts/export.ts).
import type { ExportFormat } from '../../flows/campaign/commands.ts';
import { type Questionnaire, resolveQuestionnaire } from '../../flows/questionnaire.ts';
import type { AuditEntry, Storage } from '../../storage/index.ts';
import { campaignFromStored } from '../organisers/store.ts';
import { auditCsv } from './audit.ts';
import {
  type ExportFile,
  candidaciesCsv,
  candidaciesJson,
  candidaciesOds,
  dossierFiles,
  jsonFile,
} from './candidacies.ts';
import { ODS_MIMETYPE } from './ods.ts';
import { decisionsForResults, resultsFiles } from './results.ts';

export type { ExportFile };

export type ExportOutcome =
  | { ok: true; files: ExportFile[]; count: number }
  | { ok: false; reason: 'unknownCampaign' | 'notPublished' | 'questionnaire'; detail?: string };

export interface ExportOptions {
  lang: string;
  now: Date;
  /** Dossier files as HTML (default) or Markdown. */
  dossierFormat?: 'html' | 'md';
  /** How a questionnaire reference is read (default: resolveQuestionnaire; tests give a fixture). */
  loadQuestionnaire?: (ref: string) => Questionnaire;
}

export async function buildExport(
  storage: Storage,
  campaignId: string,
  format: ExportFormat,
  options: ExportOptions,
): Promise<ExportOutcome> {
  const stored = await storage.campaigns.get(campaignId);
  if (!stored) return { ok: false, reason: 'unknownCampaign' };
  const campaign = campaignFromStored(stored);
  let questionnaire: Questionnaire;
  try {
    questionnaire = (options.loadQuestionnaire ?? resolveQuestionnaire)(campaign.questionnaireId);
  } catch (error) {
    return { ok: false, reason: 'questionnaire', detail: (error as Error).message };
  }
  const candidacies = [];
  for await (const c of storage.candidacies.listByCampaign(campaignId)) candidacies.push(c);
  const data = { campaign, questionnaire, candidacies };
  const stamp = options.now.toISOString().slice(0, 10);

  switch (format) {
    case 'csv':
      return {
        ok: true,
        count: candidacies.length,
        files: [
          {
            name: `${campaign.id}-dossiers-${stamp}.csv`,
            mimetype: 'text/csv',
            data: candidaciesCsv(data, options.lang),
          },
        ],
      };
    case 'ods':
      return {
        ok: true,
        count: candidacies.length,
        files: [
          {
            name: `${campaign.id}-dossiers-${stamp}.ods`,
            mimetype: ODS_MIMETYPE,
            data: candidaciesOds(data, options.lang),
          },
        ],
      };
    case 'json':
      return {
        ok: true,
        count: candidacies.length,
        files: [jsonFile(`${campaign.id}-dossiers-${stamp}.json`, candidaciesJson(data, options.now))],
      };
    case 'dossiers': {
      const files = dossierFiles(data, options.lang, options.dossierFormat ?? 'html');
      return { ok: true, count: files.length, files };
    }
    case 'audit': {
      const entries: AuditEntry[] = [];
      for await (const e of storage.candidacies.auditByCampaign(campaignId)) entries.push(e);
      const data = {
        campaign: stored,
        candidacies,
        entries,
        broadcasts: await storage.broadcasts.list({ campaignId }),
        decisions: await storage.jury.listDecisions(campaignId),
      };
      return {
        ok: true,
        count: entries.length,
        files: [{ name: `${campaign.id}-audit-${stamp}.csv`, mimetype: 'text/csv', data: auditCsv(data) }],
      };
    }
    case 'results': {
      if (!campaign.publishedAt) return { ok: false, reason: 'notPublished' };
      const decisions = await storage.jury.listDecisions(campaignId);
      const { files, count } = resultsFiles(
        campaign,
        decisionsForResults(candidacies, decisions, questionnaire),
        campaign.publishedAt,
      );
      return { ok: true, files, count };
    }
  }
}
