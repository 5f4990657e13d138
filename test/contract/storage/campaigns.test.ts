import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, CONSTRAINTS, DuplicateError, type NewCampaign } from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

const organiser = '@orga:localhost';

function newCampaign(overrides: Partial<NewCampaign> = {}): NewCampaign {
  return {
    year: 2026,
    name: 'Label Territoire Numérique Libre 2026',
    questionnaire: 'questionnaires/2026.yaml',
    levels: [
      { id: 'badge', labels: { fr: "Badge d'entrée", en: 'Entry badge' } },
      { id: 'bronze', labels: { fr: 'Bronze', en: 'Bronze' } },
      { id: 'silver', labels: { fr: 'Argent', en: 'Silver' } },
      { id: 'gold', labels: { fr: 'Or', en: 'Gold' } },
    ],
    opensAt: new Date('2026-09-19T00:00:00.000Z'),
    closesAt: new Date('2026-10-19T21:59:59.000Z'),
    by: organiser,
    ...overrides,
  };
}

describe.each(backends)('campaigns ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates a campaign with defaults and reads it back', async () => {
    const at = new Date('2026-06-01T12:00:00.000Z');
    const campaign = await h.storage.campaigns.create(newCampaign({ id: `c-${randomUUID()}`, at }));
    expect(campaign).toMatchObject({
      status: 'draft',
      timeZone: 'Europe/Paris',
      votesOpen: false,
      reminderDaysBefore: [7, 2],
      juryDeadline: null,
      publishedAt: null,
      version: 1,
      history: [{ by: organiser, at, changed: ['created'] }],
    });
    expect(campaign.quorum).toBeCloseTo(2 / 3);
    expect(await h.storage.campaigns.get(campaign.id)).toEqual(campaign);
    await expect(h.storage.campaigns.create(newCampaign({ id: campaign.id }))).rejects.toMatchObject({
      constraint: CONSTRAINTS.id,
    });
  });

  it('lets only one campaign be open at a time', async () => {
    const a = await h.storage.campaigns.create(newCampaign({ year: 2027, status: 'open' }));
    expect((await h.storage.campaigns.getOpen())?.id).toBe(a.id);
    const b = await h.storage.campaigns.create(newCampaign({ year: 2028 }));
    const open = h.storage.campaigns.update(b, { by: organiser, status: 'open' });
    await expect(open).rejects.toBeInstanceOf(DuplicateError);
    await expect(open).rejects.toMatchObject({ constraint: CONSTRAINTS.openCampaign });
    await expect(h.storage.campaigns.create(newCampaign({ status: 'open' }))).rejects.toMatchObject({
      constraint: CONSTRAINTS.openCampaign,
    });

    const closed = await h.storage.campaigns.updateWithRetry(a.id, () => ({
      by: organiser,
      status: 'closed',
    }));
    expect(closed.status).toBe('closed');
    const opened = await h.storage.campaigns.updateWithRetry(b.id, () => ({ by: organiser, status: 'open' }));
    expect((await h.storage.campaigns.getOpen())?.id).toBe(opened.id);
    await h.storage.campaigns.updateWithRetry(b.id, () => ({ by: organiser, status: 'closed' }));
    expect(await h.storage.campaigns.getOpen()).toBeNull();
  });

  it('updates conditioned on the version and records who changed what', async () => {
    const campaign = await h.storage.campaigns.create(newCampaign());
    const later = new Date('2026-10-26T21:59:59.000Z');
    const extended = await h.storage.campaigns.update(campaign, {
      by: '@other:localhost',
      closesAt: later,
      settings: { reminderText: { fr: 'Plus que deux jours', en: 'Two days left' } },
    });
    expect(extended).toMatchObject({ closesAt: later, version: 2 });
    expect(extended.history.at(-1)).toMatchObject({
      by: '@other:localhost',
      changed: ['closesAt', 'settings'],
    });
    await expect(h.storage.campaigns.update(campaign, { by: organiser, name: 'x' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const published = await h.storage.campaigns.updateWithRetry(campaign.id, (c) =>
      c.publishedAt ? null : { by: organiser, publishedAt: new Date('2026-12-01T18:00:00.000Z') },
    );
    expect(published.publishedAt).toEqual(new Date('2026-12-01T18:00:00.000Z'));
    const again = await h.storage.campaigns.updateWithRetry(campaign.id, (c) =>
      c.publishedAt ? null : { by: organiser, publishedAt: new Date() },
    );
    expect(again.version).toBe(published.version);
  });

  it('lists campaigns oldest first', async () => {
    const made = [];
    for (const year of [2030, 2029, 2031]) {
      made.push(
        await h.storage.campaigns.create(newCampaign({ year, opensAt: new Date(Date.UTC(year, 8, 1)) })),
      );
    }
    const ours = new Set(made.map((c) => c.id));
    const listed = (await h.storage.campaigns.list()).filter((c) => ours.has(c.id)).map((c) => c.year);
    expect(listed).toEqual([2029, 2030, 2031]);
  });
});
