// From the fields of `!campagne créer` (or a `campaigns:` entry of the config file) to
// a campaign draft: dates read in the campaign's time zone, level scale and reminder
// offsets parsed, every problem named so the organiser can fix the command.
import type { CreateFields } from './commands.ts';
import type { CampaignDraft } from './lifecycle.ts';
import { CAMPAIGN_ID } from './commands.ts';
import { DEFAULT_REMINDER_OFFSETS_MS, type Level, defaultCampaignId, parseLevels } from './model.ts';
import { parseDateTime, parseDuration } from './time.ts';

export type FieldProblem =
  | { code: 'badYear'; value: string }
  | { code: 'badId'; value: string }
  | { code: 'badDate'; field: 'opens' | 'closes' | 'jury'; value: string }
  | { code: 'badTimeZone'; value: string }
  | { code: 'badLevels'; value: string }
  | { code: 'badReminders'; value: string }
  | { code: 'badEarlyFinal'; value: string }
  | { code: 'unknownQuestionnaire'; value: string };

export interface DraftContext {
  defaultTimeZone: string;
  takenIds: readonly string[];
  isValidTimeZone(name: string): boolean;
  questionnaireExists(id: string): boolean;
}

export function parseReminderOffsets(text: string): number[] | undefined {
  const t = text.trim().toLowerCase();
  if (['aucune', 'none', 'non', 'no', '0'].includes(t)) return [];
  const parts = t.split(/[,;\s]+/).filter(Boolean);
  const offsets = parts.map(parseDuration);
  if (offsets.length === 0 || offsets.some((o) => o === undefined)) return undefined;
  return [...new Set(offsets as number[])].sort((a, b) => b - a);
}

export function draftFromFields(
  fields: CreateFields,
  context: DraftContext,
  levelsOverride?: readonly Level[],
): { ok: true; draft: CampaignDraft } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const year = Number(fields.year);
  if (!/^\d{4}$/.test(fields.year ?? '') || year < 2000 || year > 2200)
    problems.push({ code: 'badYear', value: fields.year ?? '' });
  const timeZone = fields.timeZone ?? context.defaultTimeZone;
  if (!context.isValidTimeZone(timeZone)) problems.push({ code: 'badTimeZone', value: timeZone });
  const zone = context.isValidTimeZone(timeZone) ? timeZone : context.defaultTimeZone;
  if (fields.id !== undefined && !CAMPAIGN_ID.test(fields.id))
    problems.push({ code: 'badId', value: fields.id });
  const questionnaireId = fields.questionnaire ?? '';
  if (!context.questionnaireExists(questionnaireId))
    problems.push({ code: 'unknownQuestionnaire', value: questionnaireId });

  const date = (field: 'opens' | 'closes' | 'jury', endOfDay: boolean): Date | undefined => {
    const value = fields[field];
    if (value === undefined) return undefined;
    const parsed = parseDateTime(value, zone, { endOfDay });
    if (!parsed) problems.push({ code: 'badDate', field, value });
    return parsed;
  };
  const opensAt = date('opens', false);
  const closesAt = date('closes', true);
  const juryDeadline = date('jury', true);

  let levels = levelsOverride;
  if (!levels && fields.levels !== undefined) {
    levels = parseLevels(fields.levels);
    if (!levels) problems.push({ code: 'badLevels', value: fields.levels });
  }
  let reminderOffsetsMs: readonly number[] = DEFAULT_REMINDER_OFFSETS_MS;
  if (fields.reminders !== undefined) {
    const parsed = parseReminderOffsets(fields.reminders);
    if (parsed) reminderOffsetsMs = parsed;
    else problems.push({ code: 'badReminders', value: fields.reminders });
  }
  let earlyFinal = false;
  if (fields.earlyFinal !== undefined) {
    const word = fields.earlyFinal.trim().toLowerCase();
    if (['oui', 'yes', 'o', 'y', 'true'].includes(word)) earlyFinal = true;
    else if (!['non', 'no', 'n', 'false'].includes(word))
      problems.push({ code: 'badEarlyFinal', value: fields.earlyFinal });
  }
  if (problems.length > 0 || !opensAt || !closesAt) return { ok: false, problems };
  const name = fields.name?.trim() || `Territoire Numérique Libre ${year}`;
  return {
    ok: true,
    draft: {
      id: fields.id ?? defaultCampaignId(year, context.takenIds),
      year,
      name,
      questionnaireId,
      opensAt,
      closesAt,
      timeZone: zone,
      juryDeadline: juryDeadline ?? null,
      ...(levels ? { levels } : {}),
      reminderOffsetsMs,
      earlyFinal,
    },
  };
}
