import { describe, expect, it } from 'vitest';
import { aggregate, compare, isLargeSpread, rank } from '../../../flows/jury/majority.ts';

// Grades are level positions: 0 = level 1 ... 4 = level 5. Expected values below were
// worked out by hand (sorted grades, lower median at index floor((n-1)/2)).
describe('majority judgment of one dossier', () => {
  it('takes the median of an odd count and computes the gauge, mean and spread', () => {
    const r = aggregate([4, 0, 2, 1, 3], 5);
    expect(r.majorityGrade).toBe(2);
    expect(r.histogram).toEqual([1, 1, 1, 1, 1]);
    expect(r.above).toBe(2);
    expect(r.below).toBe(2);
    expect(r.gauge).toEqual({ sign: '-', count: 2 }); // p = q: the grade is "2-"
    expect(r.mean).toBe(3);
    expect(r.spread).toBe(4);
    // Removing one median at a time: [0,1,2,3,4]->2, [0,1,3,4]->1, [0,3,4]->3, [0,4]->0, [4]->4
    expect(r.majorityValue).toEqual([2, 1, 3, 0, 4]);
  });

  it('takes the lower of the two middle grades for an even count', () => {
    const r = aggregate([1, 2, 3, 4], 5);
    expect(r.majorityGrade).toBe(2);
    expect(r.gauge).toEqual({ sign: '+', count: 2 });
    expect(r.mean).toBe(3.5);
    const two = aggregate([1, 4], 5);
    expect(two.majorityGrade).toBe(1);
  });

  it('has no majority grade without grades', () => {
    const r = aggregate([], 4);
    expect(r.majorityGrade).toBeNull();
    expect(r.mean).toBeNull();
    expect(r.histogram).toEqual([0, 0, 0, 0]);
    expect(isLargeSpread(r, 2)).toBe(false);
  });

  it('refuses a grade outside the scale', () => {
    expect(() => aggregate([5], 5)).toThrow(RangeError);
    expect(() => aggregate([-1], 5)).toThrow(RangeError);
  });

  it('flags a spread at or above the threshold', () => {
    const wide = aggregate([0, 0, 3], 5);
    expect(wide.spread).toBe(3);
    expect(wide.mean).toBe(2); // (1 + 1 + 4) / 3
    expect(isLargeSpread(wide, 2)).toBe(true);
    expect(isLargeSpread(aggregate([2, 3], 5), 2)).toBe(false);
    expect(isLargeSpread(aggregate([1, 3], 5), 2)).toBe(true);
  });
});

describe('comparing dossiers (majority judgment tie-break)', () => {
  it('ranks by majority grade first', () => {
    const c = compare(aggregate([4, 4, 0], 5), aggregate([3, 3, 3], 5));
    expect(c).toEqual({ order: 1, decidedBy: 'majorityGrade' });
  });

  it('puts a "+" majority grade before a "-" one', () => {
    // [2,2,3]: median 2, 1/3 above, none below -> 2+.  [1,2,2]: 1/3 below -> 2-.
    expect(compare(aggregate([2, 2, 3], 5), aggregate([1, 2, 2], 5))).toEqual({
      order: 1,
      decidedBy: 'gauge',
    });
    expect(compare(aggregate([1, 2, 2], 5), aggregate([2, 2, 3], 5))).toEqual({
      order: -1,
      decidedBy: 'gauge',
    });
  });

  it('among "-" grades, a smaller share below is better, whatever the number of voters', () => {
    // [1,2,2]: q = 1/3; [0,1,2,2,2]: median 2, q = 2/5 > 1/3.
    expect(compare(aggregate([1, 2, 2], 5), aggregate([0, 1, 2, 2, 2], 5))).toEqual({
      order: 1,
      decidedBy: 'gauge',
    });
  });

  it('among "+" grades, a larger share above is better, as shares not counts', () => {
    // [3,4]: lower median 3, p = 1/2.  [3,3,4]: median 3, p = 1/3.
    expect(compare(aggregate([3, 4], 5), aggregate([3, 3, 4], 5))).toEqual({ order: 1, decidedBy: 'gauge' });
  });

  it('falls back to removing median grades when the gauges are equal', () => {
    // Both median 2 with p = 2/4 above and p > q.  A: [2,2,3,4] -> 2, [2,3,4] -> 3, [2,4] -> 2, [4] -> 4.
    // B: [1,2,3,3] -> 2, [1,3,3] -> 3, [1,3] -> 1, [3] -> 3.  Third median: 2 > 1, A first.
    const a = aggregate([2, 2, 3, 4], 5);
    const b = aggregate([1, 2, 3, 3], 5);
    expect(a.majorityValue).toEqual([2, 3, 2, 4]);
    expect(b.majorityValue).toEqual([2, 3, 1, 3]);
    expect(compare(a, b)).toEqual({ order: 1, decidedBy: 'majorityValue' });
  });

  it('separates equal "-" gauges by the grade below the median', () => {
    // [0,2,2,2,4] and [1,2,2,2,3]: both 2- with q = 1/5. Medians removed: 2,2,2,0,4 vs 2,2,2,1,3.
    expect(compare(aggregate([0, 2, 2, 2, 4], 5), aggregate([1, 2, 2, 2, 3], 5))).toEqual({
      order: -1,
      decidedBy: 'majorityValue',
    });
  });

  it('reports a tie when nothing separates the dossiers', () => {
    expect(compare(aggregate([2, 3], 5), aggregate([3, 2], 5))).toEqual({ order: 0, decidedBy: 'tie' });
  });

  it('ranks a dossier without grades last', () => {
    expect(compare(aggregate([], 5), aggregate([0], 5))).toEqual({ order: -1, decidedBy: 'noVotes' });
  });
});

describe('ranking', () => {
  it('orders best first, shares ranks on ties and says what separated neighbours', () => {
    const ranked = rank([
      { item: 'c', result: aggregate([1, 2, 2], 5) },
      { item: 'a', result: aggregate([3, 3, 4], 5) },
      { item: 'b', result: aggregate([2, 2, 3], 5) },
      { item: 'd', result: aggregate([2, 1, 2], 5) },
      { item: 'e', result: aggregate([], 5) },
    ]);
    expect(ranked.map((r) => [r.item, r.rank])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 3],
      ['e', 5],
    ]);
    expect(ranked.map((r) => r.againstPrevious?.decidedBy ?? null)).toEqual([
      null,
      'majorityGrade',
      'gauge',
      'tie',
      'noVotes',
    ]);
  });
});
