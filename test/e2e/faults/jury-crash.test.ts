// The bot killed with SIGKILL right after a vote is stored, then right after a decision
// is stored, and started again: each effect is recorded once, and each reply reaches the
// people once (a redelivered command finds its event in the dossier's record and sends
// its stored replies again under the same transaction ids, which the homeserver drops
// if they had gone out).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../storage/storage.ts';
import { BotProcess } from '../bot-process.ts';
import { seedOpenCampaign, storageFor, storedRoom } from '../candidate.ts';
import { enterBallotRoom, submitDossier } from '../jury-people.ts';
import { pollUntil, settle } from '../patience.ts';
import { type MatrixEvent, Person } from '../people.ts';
import { endBotRun } from '../teardown.ts';
import { expectAlive } from './support.ts';

let bot: BotProcess;
let storage: Storage;
let anne: Person;
let bruno: Person;
let olga: Person;
let juryRoom = '';
let candidacyId = '';
const ballots = new Map<Person, string>();

async function botBodies(person: Person, roomId: string): Promise<MatrixEvent[]> {
  const events = await person.messages(roomId, { limit: 500 });
  return events.filter((e) => e.sender === bot.userId && e.type === 'm.room.message');
}

beforeAll(async () => {
  [anne, bruno, olga] = await Promise.all(
    ['crash-anne', 'crash-bruno', 'crash-olga'].map((name) => Person.register(name)),
  );
  const lea = await Person.register('crash-lea');
  bot = await BotProcess.start({
    config: { people: { organisers: [olga.userId], jurors: [bruno.userId], juryPresident: anne.userId } },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  juryRoom = await storedRoom(storage, 'room:jury');
  const organisersRoom = await storedRoom(storage, 'room:organisers');
  for (const person of [anne, bruno, olga])
    await person.acceptInvite({ roomId: juryRoom, timeoutMs: 30_000 });
  await olga.acceptInvite({ roomId: organisersRoom, timeoutMs: 30_000 });
  for (const person of [anne, bruno])
    ballots.set(person, (await enterBallotRoom(storage, bot, person)).roomId);
  const conversation = await submitDossier(lea, bot);
  candidacyId = (await storage.candidacies.findByRoom(conversation.roomId))?.id ?? '';
  await pollUntil(
    () => storage.jury.get(candidacyId),
    (r) => r?.post.postedVersion !== null && r?.post.postedVersion !== undefined,
    { idleMs: 30_000, what: 'the dossier posted to the jury' },
  );
  for (const word of ['!campagne clore', '!confirmer']) {
    olga.skipPending(organisersRoom);
    await olga.sendText(organisersRoom, word);
    await olga.nextMessage(organisersRoom, { from: bot.userId, timeoutMs: 30_000 });
  }
  await olga.nextMessage(juryRoom, {
    from: bot.userId,
    timeoutMs: 60_000,
    predicate: (m) => m.body.includes('le vote est ouvert'),
  });
});

afterAll(() => endBotRun(bot, storage));

/** Kills the bot as soon as `stored` holds, then starts it again. */
async function killOnceStored(stored: () => Promise<boolean>, what: string): Promise<void> {
  await pollUntil(stored, (done) => done, { idleMs: 30_000, what, intervalMs: 5 });
  await bot.kill9();
  await bot.launch();
}

describe('SIGKILL in the jury', () => {
  it('right after a vote is stored: the vote counted once, its confirmation received once', async () => {
    const room = ballots.get(bruno) ?? '';
    await bruno.sendText(room, '!voter #1 3');
    await killOnceStored(
      async () =>
        (await storage.jury.get(candidacyId))?.ballots.some((b) => b.juror === bruno.userId) ?? false,
      "Bruno's vote stored",
    );
    await bruno.nextMessage(room, {
      from: bot.userId,
      timeoutMs: 60_000,
      predicate: (m) => m.body.includes('Vote enregistré pour #1'),
    });
    await settle(3000);
    const confirmations = (await botBodies(bruno, room)).filter((e) =>
      String(e.content.body).includes('Vote enregistré pour #1'),
    );
    expect(confirmations).toHaveLength(1);
    const ballot = (await storage.jury.get(candidacyId))?.ballots.find((b) => b.juror === bruno.userId);
    expect(ballot?.history).toHaveLength(1);
    await expectAlive(bot);
  });

  it('right after a decision is stored: one decision, posted once in the thread and answered once', async () => {
    const anneRoom = ballots.get(anne) ?? '';
    anne.skipPending(anneRoom);
    await anne.sendText(anneRoom, '!voter #1 4');
    await anne.nextMessage(anneRoom, { from: bot.userId, timeoutMs: 60_000 });
    await anne.sendText(juryRoom, '!decider #1\nmessage: Bravo.');
    await killOnceStored(
      async () => (await storage.jury.get(candidacyId))?.decision !== null,
      'the decision stored',
    );
    await pollUntil(
      () => storage.jury.get(candidacyId),
      (r) => (r?.decision?.postedVersion ?? 0) === 1,
      { idleMs: 60_000, what: 'the decision posted in the thread' },
    );
    await settle(3000);
    const root = (await storage.jury.get(candidacyId))?.post.rootEventId;
    const decisions = (await botBodies(anne, juryRoom)).filter((e) =>
      String(e.content.body).includes('Décision pour #1'),
    );
    const inThread = decisions.filter(
      (e) => (e.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id === root,
    );
    // One in the dossier's thread, one answering the command where it was typed.
    expect(inThread).toHaveLength(1);
    expect(decisions).toHaveLength(2);
    const record = await storage.jury.get(candidacyId);
    expect(record?.decision).toMatchObject({ version: 1, level: '3', decidedBy: anne.userId });
    await expectAlive(bot);
  });
});
