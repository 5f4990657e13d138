// One candidacy, always reachable (issue 15): what a person meets when they come back to
// the bot after leaving their candidacy room, from a new direct chat or the lobby, when
// they type !candidater again, and how candidacy rooms are named. One client per person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess } from './bot-process.ts';
import {
  answerCurrent,
  askedNumber,
  nextFromBot,
  openCandidacy,
  seedOpenCampaign,
  storageFor,
  type Conversation,
} from './candidate.ts';
import { MatrixHttpError, Person, registerUser } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;
let lobby = '';
const CAMPAIGN = 'Label TNL 2026';

beforeAll(async () => {
  const account = await registerUser('bot');
  const host = await Person.register('reach-lobby-host');
  lobby = await host.createRoom({ preset: 'public_chat', name: 'Lobby', invite: [account.userId] });
  bot = await BotProcess.start({ account, config: { rooms: { lobby } } });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026', name: CAMPAIGN });
  await host.nextEvent(lobby, {
    type: 'm.room.member',
    predicate: (e) => e.state_key === bot.userId && e.content.membership === 'join',
    timeoutMs: 20_000,
  });
});

afterAll(() => endBotRun(bot, storage));

async function roomName(person: Person, roomId: string): Promise<string> {
  return String((await person.getState(roomId, 'm.room.name')).name ?? '');
}

async function waitForRoomName(person: Person, roomId: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const name = await roomName(person, roomId);
    if (pattern.test(name)) return name;
    if (Date.now() > deadline) throw new Error(`room ${roomId} is named "${name}", not ${pattern}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function candidaciesOf(person: Person) {
  return storage.candidacies.listByMember(person.userId);
}

/**
 * Leaves the candidacy room, finds that a private room cannot be joined again alone, and
 * reads what the bot then says in the person's direct chat, if they have one.
 */
async function leaveForGood(person: Person, roomId: string, dm?: string): Promise<void> {
  await person.leave(roomId);
  const error = await person.join(roomId).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MatrixHttpError);
  expect((error as MatrixHttpError).status).toBe(403);
  if (!dm) return;
  const told = await person.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
  expect(told.body).toMatch(/Vous avez quitté le salon « .+ »\. Vos réponses y sont conservées/);
  expect(told.body).toMatch(/!continuer/);
}

/** Accepts the bot's invitation back and reads its welcome: the question where the person left off. */
async function comeBack(person: Person, conversation: Conversation, expectedQuestion: number): Promise<void> {
  await person.acceptInvite({ roomId: conversation.roomId, timeoutMs: 20_000 });
  const welcome = await nextFromBot(person, bot, conversation.roomId, (m) =>
    /Bienvenue|Welcome/.test(m.body),
  );
  expect(askedNumber(welcome)).toBe(expectedQuestion);
  conversation.last = welcome;
  // Joining again brings back some of the room's history: only what follows is new.
  person.skipPending(conversation.roomId);
}

describe('a candidate who left the candidacy room', () => {
  it('comes back through a new direct chat, invited to the same room, the draft intact', async () => {
    const camille = await Person.register('camille', { displayName: 'Camille Martin' });
    const conversation = await openCandidacy(camille, bot);
    expect(await roomName(camille, conversation.roomId)).toBe(`Candidature de Camille Martin – ${CAMPAIGN}`);
    await answerCurrent(camille, bot, conversation);
    await answerCurrent(camille, bot, conversation);
    expect(askedNumber(conversation.last)).toBe(3);
    const before = (await candidaciesOf(camille))[0];
    const renamed = await waitForRoomName(camille, conversation.roomId, /^Commune de /);

    await leaveForGood(camille, conversation.roomId, conversation.dm);
    const dm = await camille.openDirectChat(bot.userId);
    const greeting = await camille.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(greeting.body).toContain(`« ${renamed} »`);
    expect(greeting.body).toContain('2/11');
    expect(greeting.body).toMatch(/invité·e de nouveau/);
    await comeBack(camille, conversation, 3);

    const after = await candidaciesOf(camille);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).toBe(before?.id);
    expect(after[0]?.answers).toEqual(before?.answers);
    await answerCurrent(camille, bot, conversation);
    expect(askedNumber(conversation.last)).toBe(4);
    expect(Object.keys((await candidaciesOf(camille))[0]?.answers ?? {})).toHaveLength(3);

    // Any later message in the direct chat says where the candidacy is, not the lobby's help alone.
    await camille.sendText(dm, 'Bonjour, où en suis-je ?');
    const where = await camille.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(where.body).toContain(renamed);
    expect(where.body).toContain('3/11');
    expect(where.body).toMatch(/vous êtes dans ce salon/);
  });

  it('comes back through the lobby: !candidater asks, !continuer invites back', async () => {
    const lea = await Person.register('lea', { displayName: 'Léa Petit' });
    const conversation = await openCandidacy(lea, bot);
    await answerCurrent(lea, bot, conversation);
    const before = (await candidaciesOf(lea))[0];
    await leaveForGood(lea, conversation.roomId, conversation.dm);

    await lea.join(lobby);
    await lea.sendText(lobby, '!candidater');
    const asked = await lea.nextMessage(lobby, { from: bot.userId, timeoutMs: 20_000 });
    expect(asked.body).toContain('Léa Petit');
    expect(asked.body).toMatch(/!continuer/);
    expect(asked.body).toMatch(/!nouvelle/);
    // The public lobby never shows a draft's name.
    expect(asked.body).not.toContain('Commune de');
    await lea.sendText(lobby, '!continuer');
    const told = await lea.nextMessage(lobby, { from: bot.userId, timeoutMs: 20_000 });
    expect(told.body).toMatch(/invité·e de nouveau/);
    await comeBack(lea, conversation, 2);

    const after = await candidaciesOf(lea);
    expect(after).toHaveLength(1);
    expect(after[0]?.answers).toEqual(before?.answers);
    await answerCurrent(lea, bot, conversation);
    expect(askedNumber(conversation.last)).toBe(3);
  });
});

describe('a second !candidater', () => {
  it('asks to continue or to apply for another collectivité, and does what was chosen', async () => {
    const noe = await Person.register('noe', { displayName: 'Noé Durand' });
    const conversation = await openCandidacy(noe, bot);
    await answerCurrent(noe, bot, conversation);
    await answerCurrent(noe, bot, conversation);
    const first = await waitForRoomName(noe, conversation.roomId, /^Commune de /);
    await leaveForGood(noe, conversation.roomId, conversation.dm);

    const { dm } = conversation;
    await noe.sendText(dm, '!candidater');
    const asked = await noe.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(asked.body).toContain(first);
    expect(asked.body).toMatch(/une collectivité ne dépose qu'une candidature/i);
    expect(asked.body).toMatch(/!continuer/);
    expect(asked.body).toMatch(/!nouvelle/);
    expect(await candidaciesOf(noe)).toHaveLength(1);

    // Continue: invited back to the room it already had.
    await noe.sendText(dm, '!continuer');
    const where = await noe.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(where.body).toContain(first);
    await comeBack(noe, conversation, 3);
    expect(await candidaciesOf(noe)).toHaveLength(1);

    // New: a second candidacy, in a room of its own, for another collectivité.
    await noe.sendText(dm, '!candidater');
    await noe.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    await noe.sendText(dm, '!nouvelle');
    const second = await noe.acceptInvite({ from: bot.userId, timeoutMs: 20_000 });
    expect(second).not.toBe(conversation.roomId);
    const started = await noe.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(started.body).toContain(`Candidature n° 2 de Noé Durand – ${CAMPAIGN}`);
    expect(await roomName(noe, second)).toBe(`Candidature n° 2 de Noé Durand – ${CAMPAIGN}`);
    const q1 = await nextFromBot(noe, bot, second, (m) => askedNumber(m) !== undefined);
    expect(askedNumber(q1)).toBe(1);
    await noe.sendText(second, 'Commune de Saint-Autre');
    await nextFromBot(noe, bot, second);
    const both = await candidaciesOf(noe);
    expect(both).toHaveLength(2);
    expect(both.map((c) => c.status)).toEqual(['draft', 'draft']);
    expect(both[1]?.answers.collectivity_name?.value).toBe('Commune de Saint-Autre');
    expect(Object.keys(both[0]?.answers ?? {})).toHaveLength(2);

    // The direct chat now knows both.
    await noe.sendText(dm, '!aide');
    const listed = await noe.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(listed.body).toContain(first);
    expect(listed.body).toMatch(/Vos 2 candidatures en cours/);
  });
});

describe('candidacy rooms', () => {
  it('are told apart before the collectivité is known, by their lead', async () => {
    const [ana, bob] = await Promise.all([
      Person.register('ana', { displayName: 'Ana Roux' }),
      Person.register('bob', { displayName: 'Bob Lenoir' }),
    ]);
    const names = await Promise.all(
      [ana, bob].map(async (person) => {
        await person.openDirectChat(bot.userId);
        const roomId = await person.waitForInvite({ from: bot.userId, timeoutMs: 20_000 });
        return invitedName(person, roomId);
      }),
    );
    expect(names).toEqual([
      `Candidature de Ana Roux – ${CAMPAIGN}`,
      `Candidature de Bob Lenoir – ${CAMPAIGN}`,
    ]);
  });
});

describe('a co-editor', () => {
  it('who left is invited back by the lead’s !inviter, and by their own direct chat', async () => {
    const lead = await Person.register('lead', { displayName: 'Inès Lead' });
    const colleague = await Person.register('colleague', { displayName: 'Paul Collègue' });
    const conversation = await openCandidacy(lead, bot);
    await lead.sendText(conversation.roomId, `!inviter ${colleague.userId}`);
    await nextFromBot(lead, bot, conversation.roomId);
    await colleague.acceptInvite({ roomId: conversation.roomId, timeoutMs: 20_000 });
    await answerCurrent(lead, bot, conversation);

    await leaveForGood(colleague, conversation.roomId);
    await lead.sendText(conversation.roomId, `!inviter ${colleague.userId}`);
    const again = await nextFromBot(lead, bot, conversation.roomId, (m) => m.body.includes(colleague.userId));
    expect(again.body).toMatch(/invité·e de nouveau/);
    const mirror: Conversation = { ...conversation };
    await comeBack(colleague, mirror, 2);

    await leaveForGood(colleague, conversation.roomId);
    const dm = await colleague.openDirectChat(bot.userId);
    const greeting = await colleague.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(greeting.body).toMatch(/invité·e de nouveau/);
    await comeBack(colleague, mirror, 2);
    // Coming back opened nothing new: the co-editor has the lead's candidacy, and only it.
    expect((await candidaciesOf(colleague)).map((c) => c.people.lead.userId)).toEqual([lead.userId]);
  });
});

/** The name of a room the person was invited to, as their client shows it once joined. */
async function invitedName(person: Person, roomId: string): Promise<string> {
  await person.join(roomId);
  return roomName(person, roomId);
}
