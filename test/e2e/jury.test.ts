// The jury through the real homeserver, one Matrix client per person: a submitted
// dossier reaches the jury room with its thread and file, jurors vote in their private
// ballot rooms (one recuses, one changes their vote), the tally and the proposed level
// are right, a question reaches the candidate and the reply comes back, a stranger and a
// vote after the decision are refused, and the published decision reaches the candidate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess, stackEnv } from './bot-process.ts';
import {
  answerAll,
  nextFromBot,
  openCandidacy,
  seedOpenCampaign,
  storageFor,
  storedRoom,
} from './candidate.ts';
import { type MatrixEvent, Person, type ReceivedMessage, threadReply } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;
let organiser: Person;
let alice: Person;
let bob: Person;
let carol: Person;
let lea: Person;
let juryRoom: string;
let candidacyRoom: string;
let candidacyId: string;
let root: string;
const ballots = new Map<string, string>();

const inThread = (rootId: string) => (m: ReceivedMessage) => {
  const rel = m.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
  return rel?.rel_type === 'm.thread' && rel.event_id === rootId;
};

/** The bot's next message in the dossier's thread that satisfies `predicate`, as `person` sees it. */
function fromThread(person: Person, predicate: (m: ReceivedMessage) => boolean, timeoutMs = 20_000) {
  return person.nextMessage(juryRoom, {
    from: bot.userId,
    timeoutMs,
    predicate: (m) => inThread(root)(m) && predicate(m),
  });
}

async function ballotRoom(person: Person): Promise<string> {
  const known = ballots.get(person.userId);
  if (known) return known;
  const roomId = await storedRoom(storage, `jury:ballot:${person.userId}`, 20_000);
  await person.acceptInvite({ roomId, timeoutMs: 20_000 });
  await person.nextMessage(roomId, {
    from: bot.userId,
    timeoutMs: 20_000,
    predicate: (m) => m.body.includes('isoloir'),
  });
  ballots.set(person.userId, roomId);
  return roomId;
}

/** A juror types in their ballot room and reads the bot's answer there. */
async function inBallot(person: Person, text: string): Promise<ReceivedMessage> {
  const roomId = await ballotRoom(person);
  person.skipPending(roomId);
  await person.sendText(roomId, text);
  return person.nextMessage(roomId, { from: bot.userId, timeoutMs: 20_000 });
}

beforeAll(async () => {
  [organiser, alice, bob, carol, lea] = await Promise.all(
    ['organiser', 'alice', 'bob', 'carol', 'lea'].map((name) => Person.register(name)),
  );
  bot = await BotProcess.start({
    config: {
      people: {
        organisers: [organiser.userId],
        jurors: [alice.userId, bob.userId, carol.userId],
      },
    },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  juryRoom = await storedRoom(storage, 'room:jury', 20_000);
  for (const person of [organiser, alice, bob, carol]) {
    await person.acceptInvite({ roomId: juryRoom, timeoutMs: 20_000 });
  }
}, 120_000);

afterAll(() => endBotRun(bot, storage));

describe('the jury', () => {
  it('receives a submitted dossier in its room, with the full dossier in a thread and a file', async () => {
    const conversation = await openCandidacy(lea, bot);
    candidacyRoom = conversation.roomId;
    await answerAll(lea, bot, conversation);
    await lea.sendText(candidacyRoom, '!soumettre');
    await nextFromBot(lea, bot, candidacyRoom);
    await lea.sendText(candidacyRoom, '!oui');
    await nextFromBot(lea, bot, candidacyRoom);
    const candidacy = await storage.candidacies.findByRoom(candidacyRoom);
    expect(candidacy?.status).toBe('submitted');
    candidacyId = candidacy?.id ?? '';
    const name = candidacy?.collectivite?.name ?? '';
    expect(name).not.toBe('');

    const rootMessage = await alice.nextMessage(juryRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('#1') && !m.content['m.relates_to'],
    });
    root = rootMessage.eventId;
    expect(rootMessage.msgtype).toBe('m.notice');
    expect(rootMessage.body).toContain(name);
    expect(rootMessage.body).toContain('Commune');
    expect(rootMessage.body).toContain(lea.userId);
    expect(rootMessage.body).toContain('Déposée le');
    expect(rootMessage.content['m.mentions']).toEqual({});

    const sections = await fromThread(alice, (m) => m.body.startsWith('1. '));
    expect(sections.formattedBody).toMatch(/<h4>/);
    const file = await alice.nextEvent(juryRoom, {
      from: bot.userId,
      type: 'm.room.message',
      timeoutMs: 30_000,
      predicate: (e: MatrixEvent) =>
        e.content.msgtype === 'm.file' && inThread(root)({ content: e.content } as ReceivedMessage),
    });
    expect(String(file.content.body)).toMatch(/^dossier-1-.*\.html$/);
    const url = String(file.content.url);
    expect(url).toMatch(/^mxc:\/\//);
    const [server, mediaId] = url.slice('mxc://'.length).split('/');
    const download = await fetch(
      `${stackEnv().homeserverUrl}/_matrix/client/v1/media/download/${server}/${mediaId}`,
      {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      },
    );
    expect(download.ok).toBe(true);
    const html = await download.text();
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toContain(name);
  }, 120_000);

  it('takes votes in private ballot rooms: one changes their vote, one recuses, and the tally is right', async () => {
    // A vote typed where every juror reads it is refused and not counted.
    await alice.sendText(juryRoom, '!vote 3', threadReply(root));
    const refused = await fromThread(alice, (m) => m.body.includes('secrets'));
    expect(refused.body).toContain(await ballotRoom(alice));
    expect(await storage.jury.listVotes(candidacyId)).toEqual([]);

    expect((await inBallot(alice, '!vote #1 3')).body).toContain('Vote enregistré pour #1');
    expect((await inBallot(alice, '!voter #1 4')).body).toContain('Niveau 3 → Niveau 4');
    // Before voting, Bob cannot read the tally.
    bob.skipPending(juryRoom);
    await bob.sendText(juryRoom, '!decompte', threadReply(root));
    expect((await fromThread(bob, (m) => m.body.includes('après avoir voté'))).body).toContain(
      '1 bulletin(s) sur 3',
    );

    expect((await inBallot(carol, '!deport #1 je conseille cette commune')).body).toContain(
      "Conflit d'intérêts",
    );
    await fromThread(alice, (m) => m.body.includes(carol.userId) && m.body.includes("conflit d'intérêts"));
    expect((await inBallot(bob, '!vote #1 2')).body).toContain('Vote enregistré');

    // Alice (4) and Bob (2) voted, Carol recused: the tally is posted for all.
    const tally = await fromThread(alice, (m) =>
      m.body.includes('Tous les membres du jury non déportés ont voté'),
    );
    expect(tally.body).toContain('Niveau 4 : 1');
    expect(tally.body).toContain('Niveau 2 : 1');
    expect(tally.body).toContain('Niveau proposé (jugement majoritaire, médiane) : Niveau 2');
    expect(tally.body).toContain('Moyenne 3');
    expect(tally.body).toContain('Écart important');
    expect(tally.body).toContain('Bulletins : 2 sur 2 (vote(s) 2, abstention(s) 0, déporté(s) 1)');
    expect(tally.body).toContain('Quorum atteint');
    for (const juror of [alice, bob, carol]) expect(tally.body).not.toContain(juror.userId);

    // The recused juror cannot read it nor vote.
    expect((await inBallot(carol, '!decompte #1')).body).toContain('ni y voter ni voir son décompte');
    expect((await inBallot(carol, '!vote #1 5')).body).toContain('ni y voter');
    const votes = await storage.jury.listVotes(candidacyId);
    expect(votes.map((v) => [v.juror, v.status, v.level]).sort()).toEqual(
      [
        [alice.userId, 'voted', '4'],
        [bob.userId, 'voted', '2'],
        [carol.userId, 'recused', null],
      ].sort(),
    );
  }, 120_000);

  it("relays a juror's question to the candidate and the reply back to the thread", async () => {
    await bob.sendText(juryRoom, '!question Combien de postes sous GNU/Linux avez-vous ?', threadReply(root));
    await fromThread(bob, (m) => m.body.includes('Question Q1 transmise'));
    const question = await lea.nextMessage(candidacyRoom, {
      from: bot.userId,
      timeoutMs: 20_000,
      predicate: (m) => m.body.includes('Le jury a une question'),
    });
    expect(question.body).toContain('Combien de postes sous GNU/Linux avez-vous ?');

    await lea.sendText(candidacyRoom, 'Q1 Nous avons 40 postes sous Debian.');
    const reply = await fromThread(bob, (m) => m.body.includes('Réponse de la candidature'));
    expect(reply.body).toContain(lea.userId);
    expect(reply.body).toContain('Nous avons 40 postes sous Debian.');
    await lea.nextMessage(candidacyRoom, {
      from: bot.userId,
      timeoutMs: 20_000,
      predicate: (m) => m.body.includes('transmise au jury'),
    });
    const notes = await storage.jury.listNotes(candidacyId);
    expect(notes.map((n) => n.kind)).toEqual(['question', 'reply']);
  }, 120_000);

  it('refuses a stranger and a vote after the decision, and the published decision reaches the candidate', async () => {
    const stranger = await Person.register('stranger');
    await organiser.invite(juryRoom, stranger.userId);
    await stranger.acceptInvite({ roomId: juryRoom, timeoutMs: 20_000 });
    await stranger.sendText(juryRoom, '!vote 1', threadReply(root));
    await fromThread(stranger, (m) => m.body.includes('Seuls les membres du jury et les organisateurs'));
    expect((await storage.jury.listVotes(candidacyId)).some((v) => v.juror === stranger.userId)).toBe(false);

    await organiser.sendText(
      juryRoom,
      '!décider\nmentions: Premier pas\nmessage: Bravo pour ce premier pas vers le logiciel libre !',
      threadReply(root),
    );
    const decided = await fromThread(organiser, (m) => m.body.includes('Décision pour #1'));
    expect(decided.body).toContain('Niveau 2');
    expect(decided.body).toContain('Mentions : Premier pas');
    expect(await storage.jury.getDecision(candidacyId)).toMatchObject({ level: '2', publishedAt: null });

    expect((await inBallot(bob, '!vote #1 5')).body).toContain(
      'déjà été décidé (Niveau 2) : les votes sont clos',
    );

    // The organisers close the campaign and publish the results from their console.
    const console = await storedRoom(storage, 'room:organisers', 20_000);
    await organiser.acceptInvite({ roomId: console, timeoutMs: 20_000 });
    for (const command of ['!campagne clore', '!confirmer', '!publier', '!confirmer']) {
      organiser.skipPending(console);
      await organiser.sendText(console, command);
      await organiser.nextMessage(console, { from: bot.userId, timeoutMs: 20_000 });
    }
    const result = await lea.nextMessage(candidacyRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Bravo pour ce premier pas'),
    });
    expect(result.body).toContain('Niveau 2');
  }, 120_000);
});
