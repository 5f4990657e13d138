// Campaigns declared in the config file, for a fresh install: each entry is created
// once (if no campaign has its id yet) and never overwritten afterwards; from then on
// the organisers' commands rule. config/schema.ts uses `campaignSeedSchema` for its
// `campaigns:` list.
import { z } from 'zod';
import { CAMPAIGN_ID, type CreateFields } from './commands.ts';
import type { Level } from './model.ts';

const localized = z.record(z.string().regex(/^[a-z]{2,3}$/), z.string().min(1));
const levelEntry = z.union([
  z.string().min(1),
  z.int().nonnegative(),
  z.strictObject({ id: z.string().min(1), labels: localized }),
]);
const dateText = z.union([z.string().min(1), z.date()], {
  error: 'expected a date-time such as "2026-10-19 18:00" (in the campaign time zone)',
});

export const campaignSeedSchema = z.strictObject({
  id: z.string().regex(CAMPAIGN_ID, { error: 'expected an id such as tnl-2026 (a-z, 0-9, -)' }).optional(),
  year: z.int().min(2000).max(2200),
  name: z.string().min(1).optional(),
  questionnaire: z.string().min(1),
  opens: dateText,
  closes: dateText,
  jury: dateText.optional(),
  timeZone: z.string().optional(),
  /** "1-5", [1, 2, 3, 4, 5], ["Badge", "Bronze", "Argent", "Or"] or [{id, labels: {fr, en}}]. */
  levels: z.union([z.string().min(1), z.array(levelEntry).min(2)]).optional(),
  /** ["7d", "2d"], "7d,2d" or [] for none. */
  reminders: z.union([z.string(), z.array(z.union([z.string(), z.int().positive()]))]).optional(),
  /** draft: created only; open: created and opened (accepts candidacies from `opens`). */
  status: z.enum(['draft', 'open']).default('draft'),
});
export type CampaignSeed = z.output<typeof campaignSeedSchema>;

function dateField(value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  // YAML may give a timestamp: keep it as an exact instant.
  return value instanceof Date ? value.toISOString() : value;
}

/** The seed as the fields of `!campagne créer`, plus structured levels when given. */
export function seedToFields(seed: CampaignSeed): { fields: CreateFields; levels?: Level[] } {
  const fields: CreateFields = {
    year: String(seed.year),
    questionnaire: seed.questionnaire,
    ...(seed.id ? { id: seed.id } : {}),
    ...(seed.name ? { name: seed.name } : {}),
    ...(seed.timeZone ? { timeZone: seed.timeZone } : {}),
  };
  const opens = dateField(seed.opens);
  const closes = dateField(seed.closes);
  const jury = dateField(seed.jury);
  if (opens) fields.opens = opens;
  if (closes) fields.closes = closes;
  if (jury) fields.jury = jury;
  if (seed.reminders !== undefined) {
    fields.reminders = Array.isArray(seed.reminders)
      ? seed.reminders.length === 0
        ? 'none'
        : seed.reminders.map((r) => (typeof r === 'number' ? `${r}d` : r)).join(',')
      : seed.reminders;
  }
  if (typeof seed.levels === 'string') return { fields: { ...fields, levels: seed.levels } };
  if (!seed.levels) return { fields };
  if (seed.levels.every((l) => typeof l !== 'object')) {
    // Plain names or numbers: the same rules as the command.
    const names = seed.levels.map(String);
    const numeric = names.every((n, i) => n === String(i + 1));
    return { fields: { ...fields, levels: numeric ? String(names.length) : names.join(',') } };
  }
  const levels: Level[] = seed.levels.map((l) =>
    typeof l === 'object'
      ? { id: l.id, labels: l.labels }
      : { id: String(l), labels: { fr: String(l), en: String(l) } },
  );
  return { fields, levels };
}
