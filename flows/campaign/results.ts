// The results of a campaign: the "palmarès" (labelled collectivités by level, highest
// first) and the open-data records published for a data portal. Only awarded decisions
// are public; what a candidacy was told privately stays in its room.
import type { Campaign } from './model.ts';

export interface DecisionForResults {
  readonly candidacyId: string;
  readonly collectivity: string;
  readonly kind: string | null;
  readonly officialCode: string | null;
  readonly population: number | null;
  readonly level: string;
  readonly mentions: readonly string[];
  readonly decidedAt: Date;
}

export interface PalmaresGroup {
  readonly levelId: string;
  /** 1 = lowest level of the scale. */
  readonly rank: number;
  readonly entries: readonly DecisionForResults[];
}

export interface Palmares {
  /** Highest level first; levels nobody reached are left out. */
  readonly groups: readonly PalmaresGroup[];
  /** Special mentions: mention -> collectivités. */
  readonly mentions: ReadonlyArray<{ mention: string; collectivities: readonly string[] }>;
  /** Decisions whose level is not on the campaign's scale (a scale edited after votes). */
  readonly unknownLevels: readonly DecisionForResults[];
}

const byName = (a: DecisionForResults, b: DecisionForResults) =>
  a.collectivity.localeCompare(b.collectivity, 'fr') || a.candidacyId.localeCompare(b.candidacyId);

export function palmares(
  campaign: Pick<Campaign, 'levels'>,
  decisions: readonly DecisionForResults[],
): Palmares {
  const groups: PalmaresGroup[] = [];
  campaign.levels.forEach((level, index) => {
    const entries = decisions.filter((d) => d.level === level.id).sort(byName);
    if (entries.length > 0) groups.push({ levelId: level.id, rank: index + 1, entries });
  });
  groups.reverse();
  const known = new Set(campaign.levels.map((l) => l.id));
  const mentionMap = new Map<string, string[]>();
  for (const d of [...decisions].sort(byName)) {
    for (const mention of d.mentions) {
      const list = mentionMap.get(mention) ?? [];
      list.push(d.collectivity);
      mentionMap.set(mention, list);
    }
  }
  return {
    groups,
    mentions: [...mentionMap.entries()]
      .sort(([a], [b]) => a.localeCompare(b, 'fr'))
      .map(([mention, collectivities]) => ({ mention, collectivities })),
    unknownLevels: decisions.filter((d) => !known.has(d.level)).sort(byName),
  };
}

/** One row of the open-data file. Field names and meaning: docs/results-schema.md. */
export interface ResultRecord {
  campaign_id: string;
  campaign_year: number;
  campaign_name: string;
  collectivity_name: string;
  collectivity_kind: string | null;
  official_code: string | null;
  population: number | null;
  level_id: string;
  level_rank: number;
  level_count: number;
  level_label_fr: string;
  level_label_en: string;
  mentions: string[];
  decided_at: string;
  published_at: string;
}

export function resultRecords(
  campaign: Pick<Campaign, 'id' | 'year' | 'name' | 'levels'>,
  decisions: readonly DecisionForResults[],
  publishedAt: Date,
): ResultRecord[] {
  const records: ResultRecord[] = [];
  const sorted = [...decisions].sort(byName);
  for (const d of sorted) {
    const index = campaign.levels.findIndex((l) => l.id === d.level);
    if (index < 0) continue;
    const level = campaign.levels[index];
    records.push({
      campaign_id: campaign.id,
      campaign_year: campaign.year,
      campaign_name: campaign.name,
      collectivity_name: d.collectivity,
      collectivity_kind: d.kind,
      official_code: d.officialCode,
      population: d.population,
      level_id: d.level,
      level_rank: index + 1,
      level_count: campaign.levels.length,
      level_label_fr: level?.labels.fr ?? d.level,
      level_label_en: level?.labels.en ?? level?.labels.fr ?? d.level,
      mentions: [...d.mentions],
      decided_at: d.decidedAt.toISOString(),
      published_at: publishedAt.toISOString(),
    });
  }
  // Highest level first, then by name: the order of the palmarès.
  return records.sort((a, b) => b.level_rank - a.level_rank);
}
