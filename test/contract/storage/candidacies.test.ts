import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Candidacy,
  ConflictError,
  CONSTRAINTS,
  CorruptDocumentError,
  DuplicateError,
  hasApplied,
  InvalidInputError,
  NotFoundError,
  type NewCandidacy,
  RECENT_EVENT_IDS,
} from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

const lead = { userId: '@lea:localhost', name: 'Léa' };
const elu = { userId: '@marc:localhost', name: 'Marc' };

function newCandidacy(overrides: Partial<NewCandidacy> = {}): NewCandidacy {
  return {
    campaignId: `campaign-${randomUUID()}`,
    collectivite: { name: 'Saint-Étienne', kind: 'commune', officialCode: '42218' },
    people: { lead, eluReferent: elu, coEditors: [] },
    language: 'fr',
    ...overrides,
  };
}

describe.each(backends)('candidacies ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Creates one candidacy per entry in the campaign, in that order; returns their ids. */
  async function createEach(campaignId: string, entries: { name: string; at: Date }[]): Promise<string[]> {
    const ids: string[] = [];
    for (const { name, at } of entries) {
      const { candidacy } = await h.storage.candidacies.create(
        newCandidacy({ campaignId, collectivite: { name, kind: 'commune' }, at }),
      );
      ids.push(candidacy.id);
    }
    return ids;
  }

  it('creates a candidacy and reads it back by id, room and member', async () => {
    const roomId = `!room-${randomUUID()}:localhost`;
    const { candidacy, created } = await h.storage.candidacies.create(newCandidacy({ roomId }));
    expect(created).toBe(true);
    expect(candidacy).toMatchObject({ status: 'draft', version: 1, roomId, language: 'fr', answers: {} });

    const read = await h.storage.candidacies.get(candidacy.id);
    expect(read).toEqual(candidacy);
    expect((await h.storage.candidacies.findByRoom(roomId))?.id).toBe(candidacy.id);
    const mine = await h.storage.candidacies.listByMember(elu.userId);
    expect(mine.map((c) => c.id)).toContain(candidacy.id);
    expect(await h.storage.candidacies.get('no-such-candidacy')).toBeNull();
    await expect(h.storage.candidacies.require('no-such-candidacy')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('saves answers with who and when, keeps the audit trail with previous values', async () => {
    const { candidacy } = await h.storage.candidacies.create(newCandidacy());
    const t1 = new Date('2026-03-01T10:00:00.000Z');
    const t2 = new Date('2026-03-01T10:05:00.000Z');
    const first = await h.storage.candidacies.update(candidacy, {
      by: lead.userId,
      at: t1,
      eventId: '$e1',
      effects: [
        { kind: 'set', questionId: 'strategy.goals', value: 'Libérer les postes' },
        { kind: 'set', questionId: 'formats', value: ['odt', 'csv'] },
        { kind: 'set', questionId: 'population', value: 172_000 },
      ],
      conversation: { machineVersion: 3, state: { value: 'formats', context: { 'a.b': 1, $weird: true } } },
    });
    expect(first.outcome).toBe('applied');
    if (first.outcome !== 'applied') return;
    expect(first.candidacy.version).toBe(2);
    expect(first.candidacy.answers['strategy.goals']).toEqual({
      value: 'Libérer les postes',
      by: lead.userId,
      at: t1,
    });
    expect(first.candidacy.conversation).toEqual({
      machineVersion: 3,
      state: { value: 'formats', context: { 'a.b': 1, $weird: true } },
    });

    const second = await h.storage.candidacies.update(first.candidacy, {
      by: elu.userId,
      at: t2,
      eventId: '$e2',
      effects: [
        { kind: 'set', questionId: 'formats', value: ['odt'] },
        { kind: 'clear', questionId: 'population' },
        { kind: 'set', questionId: 'strategy.goals', value: 'Libérer les postes' }, // unchanged: no entry
      ],
      status: 'submitted',
    });
    expect(second.outcome).toBe('applied');
    const after = await h.storage.candidacies.require(candidacy.id);
    expect(after.answers).toEqual({
      'strategy.goals': { value: 'Libérer les postes', by: lead.userId, at: t1 },
      formats: { value: ['odt'], by: elu.userId, at: t2 },
    });
    expect(after.status).toBe('submitted');
    expect(after.submittedAt).toEqual(t2);

    const audit = await h.storage.candidacies.listAudit(candidacy.id);
    expect(audit).toEqual([
      expect.objectContaining({
        kind: 'answer',
        questionId: 'strategy.goals',
        action: 'set',
        previous: null,
      }),
      expect.objectContaining({
        kind: 'answer',
        questionId: 'formats',
        action: 'set',
        value: ['odt', 'csv'],
      }),
      expect.objectContaining({ kind: 'answer', questionId: 'population', action: 'set', value: 172_000 }),
      {
        kind: 'answer',
        candidacyId: candidacy.id,
        questionId: 'formats',
        action: 'set',
        value: ['odt'],
        previous: { value: ['odt', 'csv'], by: lead.userId, at: t1 },
        by: elu.userId,
        at: t2,
        eventId: '$e2',
        version: 3,
      },
      {
        kind: 'answer',
        candidacyId: candidacy.id,
        questionId: 'population',
        action: 'cleared',
        previous: { value: 172_000, by: lead.userId, at: t1 },
        by: elu.userId,
        at: t2,
        eventId: '$e2',
        version: 3,
      },
      {
        kind: 'status',
        candidacyId: candidacy.id,
        from: 'draft',
        to: 'submitted',
        by: elu.userId,
        at: t2,
        eventId: '$e2',
        version: 3,
      },
    ]);

    const exported: string[] = [];
    for await (const entry of h.storage.candidacies.auditByCampaign(candidacy.campaignId)) {
      exported.push(`${entry.candidacyId}:${entry.kind}:${entry.version}`);
    }
    expect(exported).toEqual(audit.map((e) => `${e.candidacyId}:${e.kind}:${e.version}`));
  });

  it('applies an event once: the same event id again changes nothing', async () => {
    const { candidacy } = await h.storage.candidacies.create(newCandidacy());
    const change = {
      by: lead.userId,
      eventId: '$answer-1',
      effects: [{ kind: 'set' as const, questionId: 'q1', value: 'oui' }],
    };
    const first = await h.storage.candidacies.update(candidacy, change);
    expect(first.outcome).toBe('applied');
    expect(hasApplied(first.candidacy, '$answer-1')).toBe(true);

    // Replayed with the stale copy (as after a crash before the sync token was saved).
    const replay = await h.storage.candidacies.update(candidacy, change);
    expect(replay.outcome).toBe('duplicate');
    expect(replay.candidacy.version).toBe(2);

    // Replayed through updateWithRetry: decide is not even called.
    let called = 0;
    const again = await h.storage.candidacies.updateWithRetry(
      candidacy.id,
      () => {
        called += 1;
        return change;
      },
      { eventId: '$answer-1' },
    );
    expect(again.outcome).toBe('duplicate');
    expect(called).toBe(0);

    const stored = await h.storage.candidacies.require(candidacy.id);
    expect(stored.version).toBe(2);
    expect(await h.storage.candidacies.listAudit(candidacy.id)).toHaveLength(1);
  });

  it('keeps only the most recent event ids, appended in order', async () => {
    let { candidacy } = await h.storage.candidacies.create(newCandidacy({ originEventId: '$origin' }));
    expect(candidacy.recentEventIds).toEqual(['$origin']);
    const total = RECENT_EVENT_IDS + 3;
    // Batched through update() on the previous result: one write per event.
    for (let i = 0; i < total; i += 1) {
      const result = await h.storage.candidacies.update(candidacy, { by: lead.userId, eventId: `$ev${i}` });
      candidacy = result.candidacy;
    }
    expect(candidacy.recentEventIds).toHaveLength(RECENT_EVENT_IDS);
    expect(candidacy.recentEventIds.at(-1)).toBe(`$ev${total - 1}`);
    expect(candidacy.recentEventIds[0]).toBe(`$ev${total - RECENT_EVENT_IDS}`);
    expect(await h.storage.candidacies.get(candidacy.id)).toEqual(candidacy);
  });

  it('refuses a write based on a stale version with ConflictError', async () => {
    const { candidacy } = await h.storage.candidacies.create(newCandidacy());
    await h.storage.candidacies.update(candidacy, {
      by: lead.userId,
      effects: [{ kind: 'set', questionId: 'q', value: 'a' }],
    });
    const stale = h.storage.candidacies.update(candidacy, {
      by: elu.userId,
      effects: [{ kind: 'set', questionId: 'q', value: 'b' }],
    });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toMatchObject({ expectedVersion: 1, actualVersion: 2, id: candidacy.id });
    expect((await h.storage.candidacies.require(candidacy.id)).answers.q?.value).toBe('a');
  });

  it('loses no update with 50 parallel writers on one candidacy', async () => {
    const { candidacy } = await h.storage.candidacies.create(newCandidacy());
    const writers = Array.from({ length: 50 }, (_, i) =>
      h.storage.candidacies.updateWithRetry(
        candidacy.id,
        (current) => ({
          by: `@writer${i}:localhost`,
          eventId: `$w${i}`,
          effects: [
            { kind: 'set', questionId: `q${i}`, value: i },
            // Every writer also bumps a shared counter: a lost update would show.
            { kind: 'set', questionId: 'counter', value: Number(current.answers.counter?.value ?? 0) + 1 },
          ],
        }),
        { eventId: `$w${i}` },
      ),
    );
    const results = await Promise.all(writers);
    expect(results.every((r) => r.outcome === 'applied')).toBe(true);
    const final = await h.storage.candidacies.require(candidacy.id);
    expect(final.version).toBe(51);
    expect(final.answers.counter?.value).toBe(50);
    for (let i = 0; i < 50; i += 1) expect(final.answers[`q${i}`]?.value).toBe(i);
    expect(new Set(final.recentEventIds).size).toBe(50);
    const audit = await h.storage.candidacies.listAudit(candidacy.id);
    expect(audit).toHaveLength(100);
    // The audit trail follows versions in order.
    const versions = audit.map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('allows one active candidacy per collectivité and campaign', async () => {
    const campaignId = `campaign-${randomUUID()}`;
    const byName = { name: 'Communauté de communes du Pays de Saint-Malo', kind: 'epci' };
    const { candidacy } = await h.storage.candidacies.create(
      newCandidacy({ campaignId, collectivite: byName }),
    );

    // The same collectivité written differently is still the same one.
    const same = { name: 'communaute de communes du pays de saint malo', kind: 'EPCI' };
    const twice = h.storage.candidacies.create(newCandidacy({ campaignId, collectivite: same }));
    await expect(twice).rejects.toBeInstanceOf(DuplicateError);
    await expect(twice).rejects.toMatchObject({ constraint: CONSTRAINTS.activeCandidacy });
    expect((await h.storage.candidacies.findActive(campaignId, same))?.id).toBe(candidacy.id);

    // Another campaign, or the same code in another campaign, is fine.
    await h.storage.candidacies.create(newCandidacy({ collectivite: byName }));

    // Withdrawn candidacies leave the slot free, and several withdrawn ones do not collide.
    await h.storage.candidacies.updateWithRetry(candidacy.id, () => ({
      by: lead.userId,
      status: 'withdrawn',
    }));
    expect(await h.storage.candidacies.findActive(campaignId, same)).toBeNull();
    const second = (await h.storage.candidacies.create(newCandidacy({ campaignId, collectivite: same })))
      .candidacy;
    await h.storage.candidacies.updateWithRetry(second.id, () => ({ by: lead.userId, status: 'withdrawn' }));
    const third = (await h.storage.candidacies.create(newCandidacy({ campaignId, collectivite: byName })))
      .candidacy;
    expect((await h.storage.candidacies.findActive(campaignId, byName))?.id).toBe(third.id);

    // Re-activating a withdrawn one while another is active is refused.
    const reactivate = h.storage.candidacies.updateWithRetry(candidacy.id, () => ({
      by: lead.userId,
      status: 'draft',
    }));
    await expect(reactivate).rejects.toMatchObject({
      code: 'duplicate',
      constraint: CONSTRAINTS.activeCandidacy,
    });
    expect((await h.storage.candidacies.require(candidacy.id)).status).toBe('withdrawn');
  });

  it('checks the collectivité when it becomes known after creation, by official code', async () => {
    const campaignId = `campaign-${randomUUID()}`;
    const lyon = { name: 'Lyon', kind: 'commune', officialCode: '69123' };
    await h.storage.candidacies.create(newCandidacy({ campaignId, collectivite: lyon }));
    const { candidacy } = await h.storage.candidacies.create(
      newCandidacy({ campaignId, collectivite: null }),
    );
    const clash = h.storage.candidacies.update(candidacy, {
      by: lead.userId,
      collectivite: { name: 'Ville de Lyon', kind: 'commune', officialCode: ' 69123 ' },
    });
    await expect(clash).rejects.toMatchObject({ constraint: CONSTRAINTS.activeCandidacy });
    const ok = await h.storage.candidacies.update(candidacy, {
      by: lead.userId,
      collectivite: { name: 'Villeurbanne', kind: 'commune', officialCode: '69266' },
    });
    expect(ok.candidacy.collectivite?.name).toBe('Villeurbanne');
  });

  it('allows one candidacy per room, and creating twice from one event gives the first', async () => {
    const roomId = `!shared-${randomUUID()}:localhost`;
    await h.storage.candidacies.create(newCandidacy({ roomId }));
    await expect(
      h.storage.candidacies.create(newCandidacy({ roomId, collectivite: null })),
    ).rejects.toMatchObject({ constraint: CONSTRAINTS.candidacyRoom });

    const origin = `$start-${randomUUID()}`;
    const input = newCandidacy({ originEventId: origin, collectivite: null });
    const [a, b] = await Promise.all([
      h.storage.candidacies.create(input),
      h.storage.candidacies.create(input),
    ]);
    expect(a.candidacy.id).toBe(b.candidacy.id);
    expect([a.created, b.created].sort()).toEqual([false, true]);
  });

  it('lists a campaign in creation order, optionally by status', async () => {
    const campaignId = `campaign-${randomUUID()}`;
    const ids = await createEach(
      campaignId,
      [0, 1, 2, 3].map((i) => ({ name: `Commune ${i}`, at: new Date(Date.UTC(2026, 0, 1 + i)) })),
    );
    await h.storage.candidacies.updateWithRetry(ids[1] as string, () => ({
      by: lead.userId,
      status: 'submitted',
    }));
    const all: Candidacy[] = [];
    for await (const c of h.storage.candidacies.listByCampaign(campaignId)) all.push(c);
    expect(all.map((c) => c.id)).toEqual(ids);
    const submitted: string[] = [];
    for await (const c of h.storage.candidacies.listByCampaign(campaignId, { statuses: ['submitted'] })) {
      submitted.push(c.id);
    }
    expect(submitted).toEqual([ids[1]]);
  });

  it('lists only the id, status and version of a campaign’s candidacies, in creation order', async () => {
    const campaignId = `campaign-${randomUUID()}`;
    // Created latest first: creation order is the reverse.
    const ids = (
      await createEach(
        campaignId,
        [0, 1, 2].map((i) => ({ name: `Bourg ${i}`, at: new Date(Date.UTC(2026, 1, 3 - i)) })),
      )
    ).reverse();
    await h.storage.candidacies.updateWithRetry(ids[2] as string, () => ({
      by: lead.userId,
      effects: [{ kind: 'set', questionId: 'q1', value: 'oui' }],
      status: 'submitted',
    }));
    // A document still in schema version 1 lists too (both fields exist in every version).
    const old = `v1-${randomUUID()}`;
    const at = new Date(Date.UTC(2026, 1, 10));
    await h.putRaw('candidacies', {
      _id: old,
      schemaVersion: 1,
      campaignId,
      collectivite: null,
      people: { lead, coEditors: [] },
      answers: [],
      conversation: null,
      status: 'withdrawn',
      createdAt: at,
      updatedAt: at,
      submittedAt: null,
      version: 7,
      audit: [],
    });
    const all: unknown[] = [];
    for await (const c of h.storage.candidacies.listVersions(campaignId)) all.push(c);
    expect(all).toEqual([
      { id: ids[0], status: 'draft', version: 1 },
      { id: ids[1], status: 'draft', version: 1 },
      { id: ids[2], status: 'submitted', version: 2 },
      { id: old, status: 'withdrawn', version: 7 },
    ]);
    const reviewed: unknown[] = [];
    const statuses = ['submitted', 'withdrawn'] as const;
    for await (const c of h.storage.candidacies.listVersions(campaignId, { statuses })) reviewed.push(c);
    expect(reviewed).toEqual([
      { id: ids[2], status: 'submitted', version: 2 },
      { id: old, status: 'withdrawn', version: 7 },
    ]);
  });

  it('needs at most 2 database round trips to save an answer', async () => {
    const { candidacy } = await h.storage.candidacies.create(newCandidacy());
    const before = h.storage.commandCount();
    const result = await h.storage.candidacies.updateWithRetry(
      candidacy.id,
      () => ({ by: lead.userId, effects: [{ kind: 'set', questionId: 'q', value: 'x' }] }),
      { eventId: '$rt' },
    );
    expect(result.outcome).toBe('applied');
    expect(h.storage.commandCount() - before).toBeLessThanOrEqual(2);
  });

  it('refuses invalid input with InvalidInputError', async () => {
    const { candidacy } = await h.storage.candidacies.create(newCandidacy());
    await expect(
      h.storage.candidacies.update(candidacy, {
        by: lead.userId,
        effects: [{ kind: 'set', questionId: 'block', value: { 'bad.key': 1 } }],
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(h.storage.candidacies.update(candidacy, { by: '', effects: [] })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(h.storage.candidacies.create({ ...newCandidacy(), language: '' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('names the collection and _id of a corrupt document', async () => {
    const id = `corrupt-${randomUUID()}`;
    await h.putRaw('candidacies', { _id: id, schemaVersion: 2, campaignId: 'c', status: 'lost' });
    const read = h.storage.candidacies.get(id);
    await expect(read).rejects.toBeInstanceOf(CorruptDocumentError);
    await expect(read).rejects.toMatchObject({ collection: 'candidacies', id });
    await expect(read).rejects.toThrow(new RegExp(`candidacies/${id}`));

    const future = `future-${randomUUID()}`;
    await h.putRaw('candidacies', { _id: future, schemaVersion: 99 });
    await expect(h.storage.candidacies.get(future)).rejects.toThrow(/newer/);
  });

  it('upgrades a schema version 1 document on read, on write and at start-up', async () => {
    const at = new Date('2025-10-01T08:00:00.000Z');
    const v1 = (id: string, roomId: string) => ({
      _id: id,
      schemaVersion: 1,
      campaignId: `campaign-${randomUUID()}`,
      collectivite: { name: 'Grenoble', kind: 'commune' },
      people: { lead, coEditors: [{ userId: '@co:localhost' }] },
      answers: [{ questionId: 'q1', value: 'oui', by: lead.userId, at }],
      conversation: null,
      status: 'draft',
      roomId,
      createdAt: at,
      updatedAt: at,
      submittedAt: null,
      version: 4,
      audit: [],
    });
    const id = `v1-${randomUUID()}`;
    await h.putRaw('candidacies', v1(id, `!v1-${randomUUID()}:localhost`));
    const read = await h.storage.candidacies.require(id);
    expect(read).toMatchObject({ schemaVersion: 1, language: 'fr', recentEventIds: [], version: 4 });
    expect((await h.storage.candidacies.listByMember('@co:localhost')).map((c) => c.id)).not.toContain(id);

    // The first write stores the whole upgraded shape.
    await h.storage.candidacies.update(read, { by: lead.userId, eventId: '$up' });
    const raw = await h.getRaw('candidacies', id);
    expect(raw).toMatchObject({
      schemaVersion: 2,
      language: 'fr',
      memberIds: [lead.userId, '@co:localhost'],
    });
    expect((await h.storage.candidacies.listByMember('@co:localhost')).map((c) => c.id)).toContain(id);

    // migrate() upgrades those still stored as version 1, bumping their version.
    const other = `v1-${randomUUID()}`;
    await h.putRaw('candidacies', v1(other, `!v1-${randomUUID()}:localhost`));
    const reports = await h.storage.migrate();
    expect(reports.find((r) => r.collection === 'candidacies')?.upgraded).toBeGreaterThanOrEqual(1);
    expect(await h.getRaw('candidacies', other)).toMatchObject({ schemaVersion: 2, version: 5 });
    expect((await h.storage.candidacies.require(other)).schemaVersion).toBe(2);
  });

  it('creates indexes idempotently', async () => {
    await h.storage.ensureIndexes();
    await h.storage.ensureIndexes();
    await h.storage.ping();
  });
});
