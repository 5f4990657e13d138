import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptDocumentError, InvalidInputError, type PendingAction } from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

const ORGA = '@olga:localhost';
const OTHER = '@omar:localhost';
const T0 = new Date('2026-10-01T08:00:00.000Z');

describe.each(backends)('organisers’ records ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open({ now: () => T0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps one pending confirmation per organiser, typed, a newer request replacing the older', async () => {
    const repo = h.storage.organisers;
    expect(await repo.getPending(ORGA)).toBeNull();
    const announce: PendingAction = {
      kind: 'announce',
      campaignId: null,
      audience: { candidacies: { refs: ['Plouguerneau', 'c2f0ef8c'] }, public: true },
      texts: { '*': 'Bonjour', en: 'Hello' },
      broadcastId: 'announce:1a2b3c4d',
    };
    const first = await repo.setPending(ORGA, announce, new Date(T0.getTime() + 900_000));
    expect(first).toEqual({
      userId: ORGA,
      action: announce,
      expiresAt: new Date(T0.getTime() + 900_000),
      createdAt: T0,
      version: 1,
    });
    const publishAt: PendingAction = {
      kind: 'publishAt',
      campaignId: 'tnl-2026',
      at: new Date('2026-12-03T17:00:00.000Z'),
    };
    const second = await repo.setPending(ORGA, publishAt, new Date(T0.getTime() + 60_000));
    expect(second.version).toBe(2);
    await repo.setPending(OTHER, { kind: 'close', campaignId: 'tnl-2026' }, T0);
    expect((await repo.getPending(ORGA))?.action).toEqual(publishAt);
    expect((await repo.getPending(OTHER))?.action).toEqual({ kind: 'close', campaignId: 'tnl-2026' });

    // Forgetting an older version keeps the newer request; without a version it goes.
    expect(await repo.clearPending(ORGA, first.version)).toBe(false);
    expect(await repo.getPending(ORGA)).not.toBeNull();
    expect(await repo.clearPending(ORGA, second.version)).toBe(true);
    expect(await repo.getPending(ORGA)).toBeNull();
    expect(await repo.clearPending(OTHER)).toBe(true);
    expect(await repo.clearPending(OTHER)).toBe(false);
  });

  it('refuses an action that is not one of the known shapes, and a corrupt stored one', async () => {
    const repo = h.storage.organisers;
    await expect(
      repo.setPending(ORGA, { kind: 'drop', campaignId: 'x' } as unknown as PendingAction, T0),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(repo.setPending(ORGA, { kind: 'open', campaignId: '' }, T0)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(await repo.getPending(ORGA)).toBeNull();
    await h.putRaw('organiser_confirmations', {
      _id: '@broken:localhost',
      schemaVersion: 1,
      action: { kind: 'open' },
      expiresAt: T0,
      createdAt: T0,
      version: 1,
    });
    await expect(repo.getPending('@broken:localhost')).rejects.toBeInstanceOf(CorruptDocumentError);
  });

  it('remembers the notices posted, raising a round and never lowering it', async () => {
    const repo = h.storage.organisers;
    expect(await repo.noticeRound('report', 'announce:1a2b3c4d')).toBe(0);
    await repo.recordNotice('report', 'announce:1a2b3c4d', 1);
    await repo.recordNotice('report', 'announce:1a2b3c4d', 3);
    await repo.recordNotice('report', 'announce:1a2b3c4d', 2);
    await repo.recordNotice('report', 'announce:1a2b3c4d', 3);
    expect(await repo.noticeRound('report', 'announce:1a2b3c4d')).toBe(3);
    expect(await repo.noticeRound('report', 'results:tnl-2026')).toBe(0);
    expect(await repo.noticeRound('welcome', '!orga:localhost')).toBe(0);
    await repo.recordNotice('welcome', '!orga:localhost', 1);
    expect(await repo.noticeRound('welcome', '!orga:localhost')).toBe(1);
    await expect(repo.recordNotice('report', 'x', 0)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('moves what earlier releases kept in the generic key/value store, once', async () => {
    const legacy = (id: string, value: unknown) => ({ _id: id, schemaVersion: 1, value, updatedAt: T0 });
    await h.putRaw('bot_state', legacy('organisers:reported:announce:0a1b2c3d', 2));
    await h.putRaw('bot_state', legacy('organisers:reported:results:tnl-2025', 1));
    await h.putRaw('bot_state', legacy(`organisers:pending:${ORGA}`, { action: { kind: 'open' } }));
    await h.storage.botState.setValue('room:organisers', '!orga:localhost');
    const reports = await h.storage.migrate();
    expect(reports.find((r) => r.collection === 'bot_state')?.upgraded).toBe(3);
    expect(await h.storage.organisers.noticeRound('report', 'announce:0a1b2c3d')).toBe(2);
    expect(await h.storage.organisers.noticeRound('report', 'results:tnl-2025')).toBe(1);
    expect(await h.storage.organisers.getPending(ORGA)).toBeNull();
    const left = await h.storage.botState.getValues([
      'organisers:reported:announce:0a1b2c3d',
      `organisers:pending:${ORGA}`,
      'room:organisers',
    ]);
    expect([...left.keys()]).toEqual(['room:organisers']);
    expect((await h.storage.migrate()).find((r) => r.collection === 'bot_state')?.upgraded).toBe(0);
  });
});
