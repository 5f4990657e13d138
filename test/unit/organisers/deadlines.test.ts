import { describe, expect, it } from 'vitest';
import {
  type CandidacyClockView,
  decide,
  dueReminder,
  nextDeadline,
  reminderKey,
} from '../../../flows/campaign/deadlines.ts';
import { CLOSES, DAY, HOUR, OPENS, campaign } from './fixtures.ts';

const candidacies: CandidacyClockView[] = [
  { id: 'early-draft', stage: 'draft', createdAt: new Date(OPENS.getTime() + DAY) },
  { id: 'late-draft', stage: 'draft', createdAt: new Date(CLOSES.getTime() - 3 * DAY) },
  { id: 'submitted', stage: 'submitted', createdAt: new Date(OPENS.getTime() + DAY) },
  { id: 'withdrawn', stage: 'withdrawn', createdAt: new Date(OPENS.getTime() + DAY) },
];

const at = (ms: number) => new Date(CLOSES.getTime() + ms);

describe('clock decisions', () => {
  it('does nothing while a campaign is far from its deadlines', () => {
    expect(
      decide({ now: at(-20 * DAY), campaign: campaign(), candidacies, remindersDone: new Set() }),
    ).toEqual([]);
  });

  it('sends the 7-day reminder to drafts that existed at that time, once', () => {
    const c = campaign();
    const now = at(-7 * DAY + HOUR);
    const actions = decide({ now, campaign: c, candidacies, remindersDone: new Set() });
    expect(actions).toEqual([
      {
        kind: 'remind',
        campaignId: 'tnl-2026',
        key: reminderKey(c, 7 * DAY),
        offsetMs: 7 * DAY,
        dueAt: at(-7 * DAY),
        targets: ['early-draft'],
      },
    ]);
    expect(
      decide({ now, campaign: c, candidacies, remindersDone: new Set([reminderKey(c, 7 * DAY)]) }),
    ).toEqual([]);
  });

  it('sends only the latest reminder when the bot was down through several', () => {
    const c = campaign();
    const due = dueReminder(c, at(-1 * DAY));
    expect(due?.offsetMs).toBe(2 * DAY);
    const actions = decide({ now: at(-DAY), campaign: c, candidacies, remindersDone: new Set() });
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      kind: 'remind',
      offsetMs: 2 * DAY,
      targets: ['early-draft', 'late-draft'],
    });
  });

  it('starts a new series of reminders after an extension, but never one already late when set', () => {
    const extendedAt = at(-DAY);
    const c = campaign({ closesAt: at(10 * DAY), deadlineSetAt: extendedAt });
    // New 7-day reminder time (closing + 3 days) is after the extension: it is sent.
    const due = dueReminder(c, at(3 * DAY + HOUR));
    expect(due?.key).toBe(reminderKey(c, 7 * DAY));
    expect(due?.key).not.toBe(reminderKey(campaign(), 7 * DAY));
    // Extended to 1 day later: both reminder times had passed when it was set.
    const short = campaign({ closesAt: at(DAY), deadlineSetAt: at(-HOUR) });
    expect(dueReminder(short, at(0))).toBeUndefined();
  });

  it('no reminders before opening, after closing or for drafts campaigns', () => {
    expect(dueReminder(campaign({ status: 'draft' }), at(-DAY))).toBeUndefined();
    expect(dueReminder(campaign(), at(0))).toBeUndefined();
    expect(dueReminder(campaign({ opensAt: at(-HOUR) }), at(-2 * HOUR))).toBeUndefined();
  });

  it('closes at the closing time: drafts frozen, submitted dossiers to review', () => {
    const actions = decide({ now: at(0), campaign: campaign(), candidacies, remindersDone: new Set() });
    expect(actions).toEqual([
      {
        kind: 'close',
        campaignId: 'tnl-2026',
        markClosed: true,
        freeze: ['early-draft', 'late-draft'],
        review: ['submitted'],
      },
    ]);
  });

  it('catches up a closing missed while the bot was down, and repairs one cut short', () => {
    const weekLater = decide({
      now: at(7 * DAY),
      campaign: campaign(),
      candidacies,
      remindersDone: new Set(),
    });
    expect(weekLater.map((a) => a.kind)).toEqual(['close']);
    const halfDone = decide({
      now: at(7 * DAY),
      campaign: campaign({ status: 'closed' }),
      candidacies: [{ id: 'submitted', stage: 'submitted', createdAt: OPENS }],
      remindersDone: new Set(),
    });
    expect(halfDone).toEqual([
      { kind: 'close', campaignId: 'tnl-2026', markClosed: false, freeze: [], review: ['submitted'] },
    ]);
    const settled = decide({
      now: at(7 * DAY),
      campaign: campaign({ status: 'closed' }),
      candidacies: [{ id: 'x', stage: 'review', createdAt: OPENS }],
      remindersDone: new Set(),
    });
    expect(settled).toEqual([]);
  });

  it('publishes the results when their time comes, not before', () => {
    const c = campaign({ status: 'closed', resultsAt: at(30 * DAY) });
    expect(decide({ now: at(29 * DAY), campaign: c, candidacies: [], remindersDone: new Set() })).toEqual([]);
    expect(decide({ now: at(30 * DAY), campaign: c, candidacies: [], remindersDone: new Set() })).toEqual([
      { kind: 'publish', campaignId: 'tnl-2026' },
    ]);
    expect(
      decide({
        now: at(31 * DAY),
        campaign: { ...c, status: 'published' },
        candidacies: [],
        remindersDone: new Set(),
      }),
    ).toEqual([]);
  });

  it('names the next deadline to look at', () => {
    expect(nextDeadline(campaign(), at(-20 * DAY))).toEqual(at(-7 * DAY));
    expect(nextDeadline(campaign(), at(-DAY))).toEqual(CLOSES);
    expect(nextDeadline(campaign({ status: 'closed', resultsAt: at(5 * DAY) }), at(DAY))).toEqual(
      at(5 * DAY),
    );
    expect(nextDeadline(campaign({ status: 'closed' }), at(DAY))).toBeUndefined();
  });
});
