// The jury's start-up catch-up (`syncDossiers()` with no argument): a few set-wide reads
// tell which dossiers need work, only those are loaded in full, and whatever a crash
// interrupted is still finished.
import { describe, expect, it, vi } from 'vitest';
import {
  CANDIDATE,
  candidacyDouble,
  createHarness,
  type Harness,
  JURORS,
  JURY_ROOM,
  ORGANISER,
} from './fixture.ts';

const [ALICE] = JURORS as [string];
const DOSSIERS = 30;

/** `count` submitted candidacies, each posted to the jury as the candidate's room does. */
async function postedMany(h: Harness, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const candidacy = await h.submit(`Commune ${i}`);
    await h.service.syncDossiers(candidacy.id);
    ids.push(candidacy.id);
  }
  return ids;
}

/** Runs the catch-up; returns the database commands it took and the candidacies it loaded in full. */
async function catchUp(h: Harness): Promise<{ commands: number; loaded: string[] }> {
  const get = vi.spyOn(h.storage.candidacies, 'get');
  const before = h.storage.database.commandCount();
  try {
    await h.service.syncDossiers();
    return {
      commands: h.storage.database.commandCount() - before,
      loaded: [...new Set(get.mock.calls.map(([id]) => id))],
    };
  } finally {
    get.mockRestore();
  }
}

describe('start-up catch-up', () => {
  it('loads no dossier and sends nothing when everything is up to date, in a few reads whatever the count', async () => {
    const h = await createHarness();
    const ids = await postedMany(h, DOSSIERS);
    // Work that was finished: a relayed question, a posted decision, a told withdrawal.
    const first = ids[0] as string;
    await h.say(ALICE, JURY_ROOM, '!question Combien de postes ?', await h.rootOf(first));
    await h.storage.jury.decide({
      candidacyId: ids[1] as string,
      campaignId: h.campaignId,
      level: '3',
      message: '',
      by: ORGANISER,
    });
    const withdrawn = await h.storage.candidacies.require(ids[2] as string);
    await h.storage.candidacies.update(withdrawn, { by: CANDIDATE, status: 'withdrawn' });
    await h.service.syncDossiers(); // posts the decision and the withdrawal
    const sent = h.messenger.sent.length;
    const files = h.messenger.files.length;
    const notified = h.notified.length;

    const run = await catchUp(h);
    expect(run.loaded).toEqual([]);
    expect(h.messenger.sent.length).toBe(sent);
    expect(h.messenger.files.length).toBe(files);
    expect(h.notified.length).toBe(notified);
    // campaigns, dossiers, candidacy versions; then dossiers, notes, decisions, sent log.
    expect(run.commands).toBeLessThanOrEqual(8);

    // Ten times fewer dossiers (and nothing to check in the sent log): no more reads.
    const small = await createHarness();
    await postedMany(small, 3);
    expect((await catchUp(small)).commands).toBeLessThanOrEqual(run.commands);
  });

  it('still finishes every kind of interrupted work, loading only those dossiers', async () => {
    const h = await createHarness({ noCandidacyService: true });
    const ids = await postedMany(h, 12);
    const [edited, withdrawn, asked, decided, replied] = ids as [string, string, string, string, string];
    const unposted = (await h.submit('Brest')).id;

    // 1. Submitted, but the bot died before its dossier reached the jury.
    // 2. Edited after it was posted.
    const current = await h.storage.candidacies.require(edited);
    await h.storage.candidacies.update(current, {
      by: CANDIDATE,
      effects: [{ kind: 'set', questionId: 'strategy', value: 'Une stratégie revue' }],
    });
    // 3. Withdrawn: the thread's update was recorded, the "withdrawn" message failed.
    const leaving = await h.storage.candidacies.require(withdrawn);
    await h.storage.candidacies.update(leaving, { by: CANDIDATE, status: 'withdrawn' });
    h.messenger.failNext = 1;
    await h.service.syncDossiers(withdrawn);
    expect((await h.storage.jury.getDossier(withdrawn))?.postedVersion).toBe(leaving.version + 1);
    // 4. A question stored while it could not be relayed to the candidacy room.
    await h.say(ALICE, JURY_ROOM, '!question Combien de postes ?', await h.rootOf(asked));
    // 5. A decision stored, the bot died before posting it.
    await h.storage.jury.decide({
      candidacyId: decided,
      campaignId: h.campaignId,
      level: '4',
      message: 'Bravo',
      by: ORGANISER,
      eventId: '$decide',
    });
    // 6. A candidate's reply stored and matched to its question, not yet in the thread.
    await h.say(ALICE, JURY_ROOM, '!question Quel budget ?', await h.rootOf(replied));
    const question = (await h.storage.jury.listNotes(replied, { kind: 'question' }))[0];
    if (!question) throw new Error('no question');
    const { note: reply } = await h.storage.jury.addNote({
      candidacyId: replied,
      kind: 'reply',
      author: CANDIDATE,
      text: '12 000 euros',
      eventId: '$reply',
    });
    await h.storage.botState.setValue(`jury:reply-to:${reply.id}`, question.id);
    await h.storage.botState.setValue(`jury:answered:${question.id}`, reply.id);

    const relayed: string[] = [];
    h.ctx.services.candidacy = candidacyDouble(async (candidacyId, renderFn) => {
      relayed.push(`${candidacyId}: ${renderFn('fr').plain}`);
    });
    const sentBefore = h.messenger.sent.length;
    const run = await catchUp(h);
    expect(run.loaded.sort()).toEqual([unposted, edited, withdrawn, asked, decided, replied].sort());

    const newly = h.messenger.sent.slice(sentBefore);
    const inThread = async (id: string) => {
      const root = await h.rootOf(id);
      return newly.filter((s) => s.message.threadRoot === root).map((s) => s.message.plain);
    };
    expect(
      h.messenger
        .in(JURY_ROOM, null)
        .map((s) => s.message.plain)
        .join('\n'),
    ).toContain('Brest');
    expect((await inThread(unposted))[0]).toContain('Dossier complet');
    expect((await inThread(edited)).join('\n')).toContain('Une stratégie revue');
    expect((await inThread(withdrawn)).join('\n')).toContain('retirée');
    expect(relayed).toHaveLength(2);
    expect(relayed.find((r) => r.startsWith(`${asked}:`))).toContain('Combien de postes ?');
    expect(relayed.find((r) => r.startsWith(`${replied}:`))).toContain('Quel budget ?');
    expect((await inThread(decided)).join('\n')).toContain('niveau 4');
    expect((await inThread(replied)).join('\n')).toContain('12 000 euros');

    // All finished: the next catch-up loads nothing and sends nothing.
    const sent = h.messenger.sent.length;
    const again = await catchUp(h);
    expect(again.loaded).toEqual([]);
    expect(h.messenger.sent.length).toBe(sent);
    expect(relayed).toHaveLength(2);
  });
});
