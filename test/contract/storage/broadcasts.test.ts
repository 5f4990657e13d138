import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryTxnId } from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

const organiser = '@orga:localhost';
const rooms = Array.from({ length: 30 }, (_, i) => `!room${i}:localhost`);

describe.each(backends)('broadcasts ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates a broadcast once when given an id', async () => {
    const id = `reminder:2026:7d:${randomUUID()}`;
    const content = { fr: 'Plus que 7 jours', en: '7 days left' };
    const first = await h.storage.broadcasts.create({
      id,
      kind: 'reminder',
      content,
      createdBy: 'system:clock',
    });
    const second = await h.storage.broadcasts.create({
      id,
      kind: 'reminder',
      content,
      createdBy: 'system:clock',
    });
    expect([first.created, second.created]).toEqual([true, false]);
    expect(second.broadcast).toEqual(first.broadcast);
    expect(first.broadcast).toMatchObject({ status: 'planned', target: null, campaignId: null });
  });

  it('delivers to every room exactly once, even when resumed after a crash', async () => {
    const { broadcast } = await h.storage.broadcasts.create({
      campaignId: 'c2026',
      kind: 'announcement',
      content: { fr: 'Bonjour', en: 'Hello' },
      target: { statuses: ['draft', 'submitted'] },
      createdBy: organiser,
    });
    const planned = await h.storage.broadcasts.planDeliveries(
      broadcast.id,
      rooms.map((roomId, i) => ({ roomId, language: i % 2 ? 'en' : 'fr' })),
    );
    expect(planned).toEqual({ added: 30, existing: 0 });
    // Planning again (a resumed broadcast) adds nothing.
    expect(
      await h.storage.broadcasts.planDeliveries(
        broadcast.id,
        rooms.map((roomId) => ({ roomId })),
      ),
    ).toEqual({
      added: 0,
      existing: 30,
    });
    await h.storage.broadcasts.setStatus(broadcast.id, 'sending');

    const sent: string[] = [];
    const sendAll = async (options: { crashAfter?: number; reclaimInDoubt?: boolean }) => {
      let n = 0;
      for (const d of await h.storage.broadcasts.listDeliveries(broadcast.id, {
        states: ['pending', 'failed', 'claimed'],
      })) {
        const claim = await h.storage.broadcasts.claimDelivery(broadcast.id, d.roomId, {
          reclaimInDoubt: options.reclaimInDoubt ?? false,
        });
        if (!claim) continue;
        expect(claim.txnId).toBe(deliveryTxnId(broadcast.id, d.roomId));
        n += 1;
        if (options.crashAfter !== undefined && n > options.crashAfter) return; // claimed, never marked
        sent.push(`${claim.txnId}@${d.roomId}`);
        await h.storage.broadcasts.markSent(broadcast.id, d.roomId, { eventId: `$msg-${d.roomId}` });
      }
    };
    await sendAll({ crashAfter: 12 });
    expect(await h.storage.broadcasts.report(broadcast.id)).toMatchObject({
      sent: 12,
      claimed: 1,
      pending: 17,
    });

    // After the restart: pending ones are sent, the one in doubt is re-sent with the same txnId.
    await sendAll({ reclaimInDoubt: true });
    const report = await h.storage.broadcasts.report(broadcast.id);
    expect(report).toMatchObject({ total: 30, sent: 30, claimed: 0, pending: 0, failed: 0, failures: [] });
    expect(new Set(sent).size).toBe(30);
    // Nothing is left to claim.
    for (const roomId of rooms) {
      expect(
        await h.storage.broadcasts.claimDelivery(broadcast.id, roomId, { reclaimInDoubt: true }),
      ).toBeNull();
    }
    expect((await h.storage.broadcasts.setStatus(broadcast.id, 'done')).status).toBe('done');
  });

  it('lets one of several concurrent senders claim a delivery', async () => {
    const { broadcast } = await h.storage.broadcasts.create({
      kind: 'announcement',
      content: 'x',
      createdBy: organiser,
    });
    await h.storage.broadcasts.planDeliveries(broadcast.id, [{ roomId: '!one:localhost' }]);
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => h.storage.broadcasts.claimDelivery(broadcast.id, '!one:localhost')),
    );
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
  });

  it('reports failures and retries them', async () => {
    const { broadcast } = await h.storage.broadcasts.create({
      kind: 'result',
      content: 'x',
      createdBy: organiser,
    });
    await h.storage.broadcasts.planDeliveries(broadcast.id, [
      { roomId: '!a:localhost' },
      { roomId: '!b:localhost' },
    ]);
    await h.storage.broadcasts.claimDelivery(broadcast.id, '!a:localhost');
    await h.storage.broadcasts.markFailed(broadcast.id, '!a:localhost', { error: 'M_FORBIDDEN' });
    await h.storage.broadcasts.claimDelivery(broadcast.id, '!b:localhost');
    await h.storage.broadcasts.markSent(broadcast.id, '!b:localhost', { eventId: '$b' });
    // A late failure report does not undo a sent delivery; a second markSent is harmless.
    expect(
      (await h.storage.broadcasts.markFailed(broadcast.id, '!b:localhost', { error: 'late' })).state,
    ).toBe('sent');
    expect(
      (await h.storage.broadcasts.markSent(broadcast.id, '!b:localhost', { eventId: '$b2' })).eventId,
    ).toBe('$b');
    expect(await h.storage.broadcasts.report(broadcast.id)).toMatchObject({
      sent: 1,
      failed: 1,
      failures: [{ roomId: '!a:localhost', error: 'M_FORBIDDEN', attempts: 1 }],
    });
    const retry = await h.storage.broadcasts.claimDelivery(broadcast.id, '!a:localhost');
    expect(retry).toMatchObject({ state: 'claimed', attempts: 2 });
    await h.storage.broadcasts.markSent(broadcast.id, '!a:localhost', { eventId: '$a' });
    expect((await h.storage.broadcasts.report(broadcast.id)).sent).toBe(2);
    const listed = await h.storage.broadcasts.list({ statuses: ['planned'] });
    expect(listed.map((b) => b.id)).toContain(broadcast.id);
  });
});
