import { describe, expect, it } from 'vitest';
import { computeDashboard, percentOf, textBar } from '../../../flows/campaign/dashboard.ts';
import { CLOSES, DAY, campaign } from './fixtures.ts';

const now = new Date(CLOSES.getTime() - 3 * DAY);
const candidacies = [
  { id: 'a', name: 'Bordeaux', stage: 'draft' as const, answered: 10, required: 40, lastActivityAt: now },
  { id: 'b', name: 'Arles', stage: 'draft' as const, answered: 40, required: 40, lastActivityAt: now },
  { id: 'c', name: 'Caen', stage: 'submitted' as const, answered: 38, required: 38, lastActivityAt: now },
];

describe('dashboard', () => {
  it('counts by stage, sorts candidacies by name with their progress', () => {
    const data = computeDashboard({ campaign: campaign(), now, candidacies, jury: [], failedDeliveries: [] });
    expect(data.phase).toBe('accepting');
    expect(data.counts).toMatchObject({ draft: 2, submitted: 1, review: 0 });
    expect(data.candidacies.map((c) => [c.name, c.percent])).toEqual([
      ['Arles', 100],
      ['Bordeaux', 25],
      ['Caen', 100],
    ]);
  });

  it('flags incomplete drafts near closing, inactive drafts earlier, and failed deliveries', () => {
    const near = computeDashboard({
      campaign: campaign(),
      now,
      candidacies,
      jury: [],
      failedDeliveries: [{ broadcastId: 'b1', count: 2 }],
    });
    expect(near.late).toEqual([
      { kind: 'incompleteNearClosing', id: 'a', name: 'Bordeaux', answered: 10, required: 40 },
      { kind: 'failedDeliveries', broadcastId: 'b1', count: 2 },
    ]);
    const early = new Date(CLOSES.getTime() - 20 * DAY);
    const stale = [{ ...candidacies[0]!, lastActivityAt: new Date(early.getTime() - 15 * DAY) }];
    const data = computeDashboard({
      campaign: campaign(),
      now: early,
      candidacies: stale,
      jury: [],
      failedDeliveries: [],
    });
    expect(data.late).toEqual([{ kind: 'inactive', id: 'a', name: 'Bordeaux', sinceMs: 15 * DAY }]);
  });

  it('flags undecided dossiers after the jury deadline, and those without quorum just before it', () => {
    const c = campaign({ status: 'closed' });
    const jury = [
      { candidacyId: 'c', votes: 1, eligible: 6, quorumReached: false, decided: false },
      { candidacyId: 'b', votes: 5, eligible: 6, quorumReached: true, decided: false },
      { candidacyId: 'a', votes: 6, eligible: 6, quorumReached: true, decided: true },
    ];
    const before = new Date(c.juryDeadline!.getTime() - DAY);
    const soon = computeDashboard({ campaign: c, now: before, candidacies, jury, failedDeliveries: [] });
    expect(soon.late.map((l) => l.kind === 'juryOverdue' && l.id)).toEqual(['c']);
    const after = new Date(c.juryDeadline!.getTime() + DAY);
    const overdue = computeDashboard({ campaign: c, now: after, candidacies, jury, failedDeliveries: [] });
    expect(overdue.late.map((l) => l.kind === 'juryOverdue' && l.name)).toEqual(['Arles', 'Caen']);
  });

  it('draws bars and percentages', () => {
    expect(textBar(5, 10, 10)).toBe('█████░░░░░');
    expect(textBar(0, 0, 4)).toBe('░░░░');
    expect(textBar(12, 10, 4)).toBe('████');
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(0, 0)).toBe(100);
  });
});
