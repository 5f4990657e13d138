// The level scale of a campaign: an ordered list of levels, worst first. Votes and
// decisions store a level's id; aggregation works on its position (0 = lowest), so a
// scale of named grades (entry badge, bronze, silver, gold) works like 1 to 5.
import type { LocalizedText } from '../questionnaire.ts';
import { textIn } from '../questionnaire.ts';
import { fold } from '../text.ts';

export interface Level {
  readonly id: string;
  readonly labels: LocalizedText;
}

export interface LevelScale {
  /** Lowest first. */
  readonly levels: readonly Level[];
}

/** Levels 1 to 5, the label's historical scale until 2024. */
export const DEFAULT_SCALE: LevelScale = {
  levels: [1, 2, 3, 4, 5].map((n) => ({ id: String(n), labels: { fr: `niveau ${n}`, en: `level ${n}` } })),
};

/**
 * A scale from campaign settings: plain names ("Bronze"), localized names, or
 * {id, label} entries, lowest first. Ids are derived from French (else first) names.
 */
export function makeScale(levels: ReadonlyArray<string | LocalizedText | Level>): LevelScale {
  if (levels.length < 2) throw new Error('a level scale needs at least two levels');
  const out: Level[] = levels.map((entry) => {
    if (typeof entry === 'string') return { id: slug(entry), labels: { fr: entry } };
    if ('id' in entry && 'labels' in entry && typeof entry.labels === 'object') return entry as Level;
    const text = entry as LocalizedText;
    return { id: slug(textIn(text, 'fr')), labels: text };
  });
  const ids = new Set(out.map((l) => l.id));
  if (ids.size !== out.length) throw new Error('level ids must be distinct');
  return { levels: out };
}

function slug(text: string): string {
  return (
    fold(text)
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'level'
  );
}

export function levelLabel(scale: LevelScale, index: number, lang: string): string {
  const level = scale.levels[index];
  return level ? textIn(level.labels, lang) : '?';
}

export function levelIndex(scale: LevelScale, id: string): number | null {
  const index = scale.levels.findIndex((l) => l.id === id);
  return index < 0 ? null : index;
}

const LEVEL_WORDS = /^(niveau|level|niv\.?|lvl)\s*/;

/**
 * A level as a person types it: its position (1 = lowest), its id, or its label in any
 * language, case and accents ignored ("Argent", "silver", "niveau 3", "3"). Null if none fits.
 */
export function parseLevel(scale: LevelScale, input: string): number | null {
  const word = fold(input).replace(/[.!]+$/, '');
  if (!word) return null;
  for (const [i, level] of scale.levels.entries()) {
    if (fold(level.id) === word) return i;
    if (Object.values(level.labels).some((label) => fold(label) === word)) return i;
  }
  const numeric = word.replace(LEVEL_WORDS, '');
  if (/^\d+$/.test(numeric)) {
    const position = Number(numeric);
    if (position >= 1 && position <= scale.levels.length) return position - 1;
  }
  return null;
}
