import { describe, expect, it } from 'vitest';
import {
  closeCampaign,
  createCampaign,
  extendCampaign,
  markPublished,
  openCampaign,
  scheduleResults,
} from '../../../flows/campaign/lifecycle.ts';
import { acceptsCandidacies, currentCampaign, parseLevels, phaseOf } from '../../../flows/campaign/model.ts';
import { CLOSES, DAY, OPENS, T0, campaign } from './fixtures.ts';

const draftInput = {
  id: 'tnl-2027',
  year: 2027,
  name: 'TNL 2027',
  questionnaireId: 'tnl-2026',
  opensAt: new Date('2027-09-01T07:00:00Z'),
  closesAt: new Date('2027-10-01T16:00:00Z'),
  timeZone: 'Europe/Paris',
};

describe('campaign lifecycle', () => {
  it('creates a draft with the default scale and reminders, recording who and when', () => {
    const result = createCampaign(draftInput, [], '@orga:localhost', T0);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.campaign.status).toBe('draft');
    expect(result.campaign.levels.map((l) => l.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(result.campaign.reminderOffsetsMs).toEqual([7 * DAY, 2 * DAY]);
    expect(result.campaign.createdBy).toBe('@orga:localhost');
    expect(result.campaign.deadlineSetAt).toEqual(T0);
  });

  it('refuses a duplicate id, a closing before the opening and a jury deadline before closing', () => {
    const existing = [campaign({ id: 'tnl-2027' })];
    expect(createCampaign(draftInput, existing, 'x', T0)).toMatchObject({
      ok: false,
      refusal: { code: 'campaignExists' },
    });
    expect(createCampaign({ ...draftInput, closesAt: draftInput.opensAt }, [], 'x', T0)).toMatchObject({
      ok: false,
      refusal: { code: 'closesBeforeOpens' },
    });
    expect(
      createCampaign({ ...draftInput, juryDeadline: new Date('2027-09-15T00:00:00Z') }, [], 'x', T0),
    ).toMatchObject({ ok: false, refusal: { code: 'juryBeforeClosing' } });
  });

  it('opens a draft only when no other campaign is open', () => {
    const draft = campaign({ id: 'tnl-2027', status: 'draft', openedAt: null });
    const open = campaign();
    expect(openCampaign(draft, [open, draft], T0)).toMatchObject({
      ok: false,
      refusal: { code: 'anotherOpen', id: 'tnl-2026' },
    });
    const closed = { ...open, status: 'closed' as const };
    const result = openCampaign(draft, [closed, draft], T0);
    expect(result).toMatchObject({ ok: true, campaign: { status: 'open', openedAt: T0 } });
    expect(openCampaign(open, [open], T0)).toMatchObject({ ok: false, refusal: { code: 'notDraft' } });
  });

  it('extends the closing date to a later one only, moving a jury deadline that would fall before it', () => {
    const c = campaign({ juryDeadline: new Date(CLOSES.getTime() + 2 * DAY) });
    const later = new Date(CLOSES.getTime() + 7 * DAY);
    const now = new Date(CLOSES.getTime() - DAY);
    const result = extendCampaign(c, later, now);
    expect(result).toMatchObject({ ok: true, campaign: { closesAt: later, deadlineSetAt: now } });
    if (result.ok) expect(result.campaign.juryDeadline?.getTime()).toBe(later.getTime() + 2 * DAY);
    expect(extendCampaign(c, new Date(CLOSES.getTime() - DAY), now)).toMatchObject({
      ok: false,
      refusal: { code: 'notLater' },
    });
    expect(extendCampaign({ ...c, status: 'closed' }, later, now)).toMatchObject({
      ok: false,
      refusal: { code: 'notOpen' },
    });
  });

  it('closes early by bringing the closing date to now', () => {
    const now = new Date(CLOSES.getTime() - 3 * DAY);
    expect(closeCampaign(campaign(), now)).toMatchObject({
      ok: true,
      campaign: { status: 'closed', closesAt: now, closedAt: now },
    });
    const late = new Date(CLOSES.getTime() + DAY);
    expect(closeCampaign(campaign(), late)).toMatchObject({
      ok: true,
      campaign: { closesAt: CLOSES, closedAt: late },
    });
  });

  it('schedules results after closing only, and publishes once', () => {
    const closed = campaign({ status: 'closed' });
    const at = new Date(CLOSES.getTime() + 30 * DAY);
    expect(scheduleResults(closed, at)).toMatchObject({ ok: true, campaign: { resultsAt: at } });
    expect(scheduleResults(closed, new Date(CLOSES.getTime() - DAY))).toMatchObject({
      ok: false,
      refusal: { code: 'resultsBeforeClosing' },
    });
    const published = markPublished(closed, at);
    expect(published).toMatchObject({ ok: true, campaign: { status: 'published', publishedAt: at } });
    if (published.ok)
      expect(markPublished(published.campaign, at)).toMatchObject({
        ok: false,
        refusal: { code: 'alreadyPublished' },
      });
  });

  it('knows the phase: scheduled, accepting, closing due', () => {
    const c = campaign();
    expect(phaseOf(c, T0)).toBe('scheduled');
    expect(acceptsCandidacies(c, OPENS)).toBe(true);
    expect(phaseOf(c, CLOSES)).toBe('closing_due');
    expect(acceptsCandidacies(c, CLOSES)).toBe(false);
    expect(phaseOf(campaign({ status: 'draft' }), OPENS)).toBe('draft');
  });

  it('the current campaign is the open one, else the latest created', () => {
    const old = campaign({ id: 'a', status: 'published', createdAt: new Date('2025-01-01') });
    const next = campaign({ id: 'b', status: 'draft', createdAt: new Date('2026-01-01') });
    expect(currentCampaign([old, next])?.id).toBe('b');
    expect(currentCampaign([old, next, campaign({ id: 'c', createdAt: new Date('2024-01-01') })])?.id).toBe(
      'c',
    );
    expect(currentCampaign([])).toBeUndefined();
  });
});

describe('level scales', () => {
  it('reads numeric ranges and named grades in order', () => {
    expect(parseLevels('1-5')?.map((l) => l.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(parseLevels('3')?.map((l) => l.id)).toEqual(['1', '2', '3']);
    const named = parseLevels('Badge, Bronze, Argent, Or');
    expect(named?.map((l) => l.id)).toEqual(['badge', 'bronze', 'argent', 'or']);
    expect(named?.[2]?.labels.fr).toBe('Argent');
  });

  it('refuses a single level or duplicates', () => {
    expect(parseLevels('or')).toBeUndefined();
    expect(parseLevels('or, Or')).toBeUndefined();
    expect(parseLevels('1')).toBeUndefined();
  });
});
