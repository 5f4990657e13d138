// The jury's start-up catch-up (a fresh JuryService's `reconcile()`): a few set-wide
// reads tell which dossiers need work, only those are loaded in full, and whatever a
// crash interrupted is finished exactly once.
import { describe, expect, it, vi } from 'vitest';
import { CandidacyCatalog } from '../../../bot/candidacy/catalog.ts';
import { JuryService } from '../../../bot/jury/index.ts';
import { applyChange, type JuryChange } from '../../../flows/jury/record.ts';
import {
  CANDIDATE,
  createHarness,
  type Harness,
  JURORS,
  JURY_ROOM,
  ORGANISER,
  PRESIDENT,
} from './fixture.ts';
import { AFTER_CLOSING, closeCampaign, inBallot, posted } from './helpers.ts';

const [ALICE, BOB, CAROL] = JURORS as [string, string, string];
const ALL_JURORS = [...JURORS, PRESIDENT];

/** `count` submitted candidacies, each posted to the jury as the candidate's room does. */
async function postedMany(h: Harness, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push((await posted(h, `Commune ${i}`)).candidacy.id);
  return ids;
}

/** A change stored as a command or relay stores it, the bot dying before it sends anything. */
async function storeOnly(h: Harness, candidacyId: string, change: JuryChange): Promise<void> {
  const record = await h.storage.jury.get(candidacyId);
  if (!record) throw new Error(`no record for ${candidacyId}`);
  await h.storage.jury.save(
    applyChange(record, change, { at: h.clock.now(), eventId: `$stored-${record.version}` }),
    record.version,
  );
}

/** The bot starts again: a new service over the same storage and homeserver, then its catch-up. */
async function restart(h: Harness): Promise<{ commands: number; loaded: string[] }> {
  const service = new JuryService(h.ctx, new CandidacyCatalog(h.storage));
  const get = vi.spyOn(h.storage.candidacies, 'get');
  const before = h.storage.commandCount();
  try {
    await service.reconcile();
    return {
      commands: h.storage.commandCount() - before,
      loaded: [...new Set(get.mock.calls.map(([id]) => id))],
    };
  } finally {
    get.mockRestore();
  }
}

/** Messages (new ones only: the messenger drops repeated keys) whose text contains `text`. */
function count(h: Harness, text: string, roomId = JURY_ROOM): number {
  return h.messenger.in(roomId).filter((s) => s.message.plain.includes(text)).length;
}

describe('start-up catch-up', () => {
  it('loads no dossier and sends nothing when everything is up to date, in a few reads whatever the count', async () => {
    async function settled(dossiers: number) {
      const h = await createHarness();
      const ids = await postedMany(h, dossiers);
      // Work that was finished: a relayed question, told withdrawal, voting opened, a posted decision.
      await h.say(ALICE, JURY_ROOM, '!question Combien de postes ?', await h.rootOf(ids[0] as string));
      const leaving = await h.storage.candidacies.require(ids[2] as string);
      await h.storage.candidacies.update(leaving, { by: CANDIDATE, status: 'withdrawn' });
      await h.service.syncDossiers(leaving.id);
      await closeCampaign(h);
      for (const juror of [ALICE, BOB, CAROL]) await inBallot(h, juror, '!vote #2 3');
      await h.say(ORGANISER, JURY_ROOM, '!decider #2');
      return h;
    }
    const h = await settled(30);
    const sent = h.messenger.sent.length;
    const files = h.messenger.files.length;
    const run = await restart(h);
    expect(run.loaded).toEqual([]);
    expect(h.messenger.sent.length).toBe(sent);
    expect(h.messenger.files.length).toBe(files);
    // Campaigns, jury records, candidacy versions, the voting-open check, each juror's room, reminders.
    expect(run.commands).toBeLessThanOrEqual(12);

    // Ten times fewer dossiers: no fewer reads, so none is per dossier.
    const small = await settled(3);
    expect((await restart(small)).commands).toBe(run.commands);
  });

  it('finishes every kind of interrupted dossier work exactly once, loading only those dossiers', async () => {
    const h = await createHarness();
    const ids = await postedMany(h, 12);
    const [edited, withdrawn, asked, decided, replied] = ids as [string, string, string, string, string];
    // 1. Submitted, but the bot died before its dossier reached the jury.
    const unposted = (await h.submit('Brest')).id;
    // 2. Its root message went out, the bot died before recording it.
    const rootLost = (await h.submit('Carhaix')).id;
    const save = vi.spyOn(h.storage.jury, 'save').mockRejectedValueOnce(new Error('process killed'));
    await h.service.syncDossiers(rootLost); // logged, not thrown at the candidate's room
    save.mockRestore();
    expect(count(h, 'Carhaix')).toBe(1);
    expect((await h.storage.jury.get(rootLost))?.post.rootEventId).toBeNull();
    // 3. Its thread was cut off half-way.
    const halfPosted = (await h.submit('Dinan')).id;
    const send = h.messenger.send.bind(h.messenger);
    h.messenger.send = async (roomId, message, options) => {
      if (message.plain.startsWith('2. LOGICIELS LIBRES')) throw new Error('homeserver unreachable');
      return send(roomId, message, options);
    };
    await h.service.syncDossiers(halfPosted);
    h.messenger.send = send;
    expect((await h.storage.jury.get(halfPosted))?.post.postedVersion).toBeNull();
    // 4. Edited after it was posted.
    const current = await h.storage.candidacies.require(edited);
    await h.storage.candidacies.update(current, {
      by: CANDIDATE,
      effects: [{ kind: 'set', questionId: 'strategy', value: 'Une stratégie revue' }],
    });
    // 5. Withdrawn: the thread's update was recorded, the "withdrawn" message failed.
    const leaving = await h.storage.candidacies.require(withdrawn);
    await h.storage.candidacies.update(leaving, { by: CANDIDATE, status: 'withdrawn' });
    h.messenger.failNext = 1;
    await h.service.syncDossiers(withdrawn);
    expect((await h.storage.jury.get(withdrawn))?.post.withdrawnNoticeAt).toBeNull();
    // 6. A question stored, not relayed to the candidacy room.
    await storeOnly(h, asked, { kind: 'question', author: ALICE, text: 'Combien de postes ?' });
    // 7. A candidate's reply stored and matched to its question, not yet in the thread.
    await h.say(ALICE, JURY_ROOM, '!question Quel budget ?', await h.rootOf(replied));
    const question = (await h.storage.jury.get(replied))?.questions[0];
    if (!question) throw new Error('no question');
    await storeOnly(h, replied, {
      kind: 'reply',
      questionId: question.id,
      author: CANDIDATE,
      text: '12 000 euros',
      eventId: '$reply',
    });
    // 8. A decision stored (on a dossier confirmed final early), not posted.
    const confirming = await h.storage.candidacies.require(decided);
    await h.storage.candidacies.update(confirming, { by: CANDIDATE, status: 'under_review' });
    await h.service.syncDossiers(decided);
    for (const juror of [ALICE, BOB, CAROL])
      await storeOnly(h, decided, { kind: 'ballot', juror, level: '4' });
    await storeOnly(h, decided, {
      kind: 'decision',
      level: '4',
      reason: null,
      mentions: [],
      message: 'Bravo',
      by: ORGANISER,
    });

    const sentBefore = h.messenger.sent.length;
    const run = await restart(h);
    expect(run.loaded.sort()).toEqual(
      [unposted, rootLost, halfPosted, edited, withdrawn, asked, decided, replied].sort(),
    );
    const newly = h.messenger.sent.slice(sentBefore);
    const inThread = async (id: string) => {
      const root = await h.rootOf(id);
      return newly.filter((s) => s.message.threadRoot === root).map((s) => s.message.plain);
    };
    const roots = h.messenger.in(JURY_ROOM, null).map((s) => s.message.plain);
    for (const name of ['Brest', 'Carhaix', 'Dinan'])
      expect(roots.filter((r) => r.includes(name))).toHaveLength(1);
    for (const id of [unposted, rootLost]) {
      expect((await inThread(id)).map((t) => t.split('\n')[0])).toEqual([
        expect.stringContaining('Dossier complet'),
        '1. IDENTIFICATION',
        '2. LOGICIELS LIBRES',
      ]);
    }
    expect(
      h.messenger.in(JURY_ROOM, await h.rootOf(halfPosted)).map((s) => s.message.plain.split('\n')[0]),
    ).toEqual([expect.stringContaining('Dossier complet'), '1. IDENTIFICATION', '2. LOGICIELS LIBRES']);
    expect((await inThread(edited)).join('\n')).toContain('Une stratégie revue');
    expect((await inThread(withdrawn)).join('\n')).toContain('retirée');
    const askedRoom = (await h.storage.candidacies.require(asked)).roomId as string;
    expect(count(h, 'Combien de postes ?', askedRoom)).toBe(1);
    expect((await inThread(replied)).join('\n')).toContain('12 000 euros');
    expect(
      count(h, 'transmise au jury', (await h.storage.candidacies.require(replied)).roomId as string),
    ).toBe(1);
    expect((await inThread(decided)).join('\n')).toContain('Décision pour #4');
    const record = await h.storage.jury.get(decided);
    expect(record?.decision?.postedVersion).toBe(1);

    // All finished: the next start loads nothing and sends nothing.
    const sent = h.messenger.sent.length;
    const again = await restart(h);
    expect(again.loaded).toEqual([]);
    expect(h.messenger.sent.length).toBe(sent);
    expect(h.messenger.files).toHaveLength(12 + 3 + 1); // one per posted dossier, one per update
  });

  it('announces voting open once when the bot was down at closing', async () => {
    const h = await createHarness();
    await postedMany(h, 2);
    h.clock.set(AFTER_CLOSING); // nobody synced since
    await restart(h);
    expect(count(h, 'le vote est ouvert (#1, #2)')).toBe(1);
    for (const juror of ALL_JURORS)
      expect(count(h, 'Le vote est ouvert sur 2 dossiers', await h.ballotRoomOf(juror))).toBe(1);
    const sent = h.messenger.sent.length;
    await restart(h);
    expect(h.messenger.sent.length).toBe(sent);
  });

  it('finishes a voting-open announcement cut off half-way, without repeating what went out', async () => {
    const h = await createHarness();
    await postedMany(h, 2);
    const carolRoom = await h.ballotRoomOf(CAROL);
    h.clock.set(AFTER_CLOSING);
    h.messenger.failing.set(carolRoom, 'homeserver unreachable');
    await expect(h.service.syncDossiers()).rejects.toThrow();
    expect(count(h, 'le vote est ouvert (#1, #2)')).toBe(1);
    expect(count(h, 'Le vote est ouvert', carolRoom)).toBe(0);
    expect(await h.storage.juryReminders.get(`voting-open:${h.campaignId}`)).toBeNull();
    h.messenger.failing.delete(carolRoom);
    await restart(h);
    expect(count(h, 'le vote est ouvert (#1, #2)')).toBe(1);
    for (const juror of ALL_JURORS)
      expect(count(h, 'Le vote est ouvert sur 2 dossiers', await h.ballotRoomOf(juror))).toBe(1);
    expect(await h.storage.juryReminders.get(`voting-open:${h.campaignId}`)).not.toBeNull();
    const sent = h.messenger.sent.length;
    await restart(h);
    expect(h.messenger.sent.length).toBe(sent);
  });
});
