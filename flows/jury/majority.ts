// Majority judgment ("jugement majoritaire", Balinski and Laraki) on one dossier's grades.
//
// Grades are level positions (0 = lowest). The majority grade is the median grade,
// the lower of the two middle grades when the count is even: the best grade that at
// least half the jurors consider deserved.
//
// Dossiers with the same majority grade are separated, as usual, by the majority
// gauge: p = share of grades strictly above the majority grade, q = share strictly
// below. If p > q the dossier is "majority grade +" (ranked by p, more is better),
// otherwise "majority grade −" (ranked by q, more is worse); any "+" comes before any
// "−". Shares, not counts, so dossiers with different numbers of voters (recusals)
// compare fairly. If the gauges are equal too, the majority values decide: remove one
// median grade at a time and compare the successive medians, first difference wins.
// If those agree as far as both go, the dossiers are tied.

export interface Gauge {
  /** '+' when more grades are above the majority grade than below it. */
  readonly sign: '+' | '-';
  /** Number of grades above ('+') or below ('-') the majority grade. */
  readonly count: number;
}

export interface Aggregate {
  /** Number of grades (abstentions and recused jurors excluded). */
  readonly count: number;
  /** Grades per level position. */
  readonly histogram: readonly number[];
  /** Lower median position; null without grades. */
  readonly majorityGrade: number | null;
  readonly above: number;
  readonly below: number;
  readonly gauge: Gauge | null;
  /** Successive lower medians when removing one median grade at a time. */
  readonly majorityValue: readonly number[];
  /** Mean of positions counted from 1 (level 1 = 1); null without grades. */
  readonly mean: number | null;
  /** Highest minus lowest grade, in levels; null without grades. */
  readonly spread: number | null;
}

function lowerMedian(sorted: readonly number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** `grades`: level positions, 0 = lowest; `levels`: size of the scale. */
export function aggregate(grades: readonly number[], levels: number): Aggregate {
  for (const g of grades) {
    if (!Number.isInteger(g) || g < 0 || g >= levels)
      throw new RangeError(`grade ${g} outside 0..${levels - 1}`);
  }
  const histogram = Array.from({ length: levels }, (_, level) => grades.filter((g) => g === level).length);
  if (grades.length === 0) {
    return {
      count: 0,
      histogram,
      majorityGrade: null,
      above: 0,
      below: 0,
      gauge: null,
      majorityValue: [],
      mean: null,
      spread: null,
    };
  }
  const sorted = [...grades].sort((a, b) => a - b);
  const median = lowerMedian(sorted);
  const above = sorted.filter((g) => g > median).length;
  const below = sorted.filter((g) => g < median).length;
  const majorityValue: number[] = [];
  const rest = [...sorted];
  while (rest.length > 0) {
    const m = lowerMedian(rest);
    majorityValue.push(m);
    rest.splice(rest.indexOf(m), 1);
  }
  return {
    count: grades.length,
    histogram,
    majorityGrade: median,
    above,
    below,
    gauge: above > below ? { sign: '+', count: above } : { sign: '-', count: below },
    majorityValue,
    mean: sorted.reduce((sum, g) => sum + g + 1, 0) / sorted.length,
    spread: (sorted[sorted.length - 1] as number) - (sorted[0] as number),
  };
}

/** Large disagreement among jurors, to be discussed before deciding. */
export function isLargeSpread(result: Aggregate, threshold: number): boolean {
  return result.spread !== null && result.spread >= threshold;
}

/** Which step of the rule separated two dossiers. */
export type DecidedBy = 'majorityGrade' | 'gauge' | 'majorityValue' | 'tie' | 'noVotes';

export interface Comparison {
  /** > 0: a ranks before b; < 0: b before a; 0: tied. */
  readonly order: number;
  readonly decidedBy: DecidedBy;
}

/** Compares two shares num1/den1 and num2/den2 exactly. */
function compareShares(num1: number, den1: number, num2: number, den2: number): number {
  return Math.sign(num1 * den2 - num2 * den1);
}

export function compare(a: Aggregate, b: Aggregate): Comparison {
  if (a.majorityGrade === null || b.majorityGrade === null) {
    if (a.majorityGrade === b.majorityGrade) return { order: 0, decidedBy: 'noVotes' };
    return { order: a.majorityGrade === null ? -1 : 1, decidedBy: 'noVotes' };
  }
  if (a.majorityGrade !== b.majorityGrade) {
    return { order: Math.sign(a.majorityGrade - b.majorityGrade), decidedBy: 'majorityGrade' };
  }
  const ga = a.gauge as Gauge;
  const gb = b.gauge as Gauge;
  if (ga.sign !== gb.sign) return { order: ga.sign === '+' ? 1 : -1, decidedBy: 'gauge' };
  const shares = compareShares(ga.count, a.count, gb.count, b.count);
  if (shares !== 0) return { order: ga.sign === '+' ? shares : -shares, decidedBy: 'gauge' };
  const length = Math.min(a.majorityValue.length, b.majorityValue.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.majorityValue[i] as number) - (b.majorityValue[i] as number);
    if (diff !== 0) return { order: Math.sign(diff), decidedBy: 'majorityValue' };
  }
  return { order: 0, decidedBy: 'tie' };
}

export interface Ranked<T> {
  readonly item: T;
  readonly result: Aggregate;
  /** 1 = best; tied dossiers share a rank. */
  readonly rank: number;
  /** How this dossier was separated from the one ranked just above it (null for the first). */
  readonly againstPrevious: Comparison | null;
}

/** Ranks dossiers best first; ties keep their input order and share a rank. */
export function rank<T>(items: ReadonlyArray<{ item: T; result: Aggregate }>): Array<Ranked<T>> {
  const sorted = items
    .map((entry, index) => ({ ...entry, index }))
    .sort((x, y) => compare(y.result, x.result).order || x.index - y.index);
  const out: Array<Ranked<T>> = [];
  sorted.forEach((entry, i) => {
    const previous = out[i - 1];
    const against = previous ? compare(previous.result, entry.result) : null;
    const tied = against !== null && against.order === 0;
    out.push({
      item: entry.item,
      result: entry.result,
      rank: tied && previous ? previous.rank : i + 1,
      againstPrevious: against,
    });
  });
  return out;
}
