// The jury through the real homeserver, one Matrix client per person: the jury
// president Anne (a juror who votes), two plain jurors Bruno and Chloé, Denis who
// recuses, Olga an organiser who is not a juror, Eve a stranger, and Léa a candidate.
// A submitted dossier reaches the jury room at once, marked provisional; votes and
// decisions wait for the campaign's closing; a question reaches the candidate and her
// reply comes back; after closing, every juror's ballot room says what waits for them;
// nobody sees a vote or the distribution before they are entitled to; the tally is
// posted for all once every non-recused juror has a ballot; the decision reaches the
// thread and, once published, the candidate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess, stackEnv } from './bot-process.ts';
import { seedOpenCampaign, storageFor, storedRoom } from './candidate.ts';
import { enterBallotRoom, inThread, REVEALS, submitDossier } from './jury-people.ts';
import { type MatrixEvent, Person, type ReceivedMessage, threadReply } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;
let anne: Person;
let bruno: Person;
let chloe: Person;
let denis: Person;
let olga: Person;
let eve: Person;
let lea: Person;
let juryRoom: string;
let organisersRoom: string;
let candidacyRoom: string;
let candidacyId: string;
let root: string;
const ballots = new Map<string, string>();

/** The bot's next message in the dossier's thread that satisfies `predicate`, as `person` sees it. */
function fromThread(person: Person, predicate: (m: ReceivedMessage) => boolean, timeoutMs = 30_000) {
  return person.nextMessage(juryRoom, {
    from: bot.userId,
    timeoutMs,
    predicate: (m) => inThread(root)(m) && predicate(m),
  });
}

function ballotOf(person: Person): string {
  const roomId = ballots.get(person.userId);
  if (!roomId) throw new Error(`${person.userId} has no ballot room yet`);
  return roomId;
}

/** A juror types in their ballot room and reads the bot's answer there. */
async function inBallot(person: Person, text: string): Promise<ReceivedMessage> {
  const roomId = ballotOf(person);
  person.skipPending(roomId);
  await person.sendText(roomId, text);
  return person.nextMessage(roomId, { from: bot.userId, timeoutMs: 30_000 });
}

/**
 * Someone types in the dossier's thread and reads the bot's answer there: the bot's
 * first message in the thread that comes after theirs in the room's timeline (a reply
 * to someone else may still be on its way to this person's client).
 */
async function inThreadSay(person: Person, text: string): Promise<ReceivedMessage> {
  person.skipPending(juryRoom);
  const sent = await person.sendText(juryRoom, text, threadReply(root));
  const own = await person.nextMessage(juryRoom, { timeoutMs: 30_000, predicate: (m) => m.eventId === sent });
  const after = own.event.origin_server_ts ?? 0;
  return fromThread(person, (m) => (m.event.origin_server_ts ?? 0) >= after);
}

/** Every bot message this person can read in this room, from the homeserver. */
async function botBodies(person: Person, roomId: string): Promise<string[]> {
  const events: MatrixEvent[] = await person.messages(roomId, { limit: 500 });
  return events
    .filter((e) => e.sender === bot.userId && e.type === 'm.room.message')
    .map((e) => String(e.content.body ?? ''));
}

async function expectNothingRevealed(person: Person, roomId: string, why: string): Promise<void> {
  const revealing = (await botBodies(person, roomId)).filter((b) => REVEALS.test(b));
  expect(revealing, `${person.userId} must not see the votes (${why})`).toEqual([]);
}

beforeAll(async () => {
  [anne, bruno, chloe, denis, olga, eve, lea] = await Promise.all(
    [
      ['anne', 'Anne Martin'],
      ['bruno', 'Bruno Petit'],
      ['chloe', 'Chloé Garnier'],
      ['denis', 'Denis Roy'],
      ['olga', 'Olga (organisatrice)'],
      ['eve', 'Ève'],
      ['lea', 'Léa Dupont'],
    ].map(([name, displayName]) => Person.register(name as string, { displayName: displayName as string })),
  );
  bot = await BotProcess.start({
    config: {
      people: {
        organisers: [olga.userId],
        jurors: [bruno.userId, chloe.userId, denis.userId],
        juryPresident: anne.userId,
      },
    },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  juryRoom = await storedRoom(storage, 'room:jury', 30_000);
  organisersRoom = await storedRoom(storage, 'room:organisers', 30_000);
  for (const person of [anne, bruno, chloe, denis, olga])
    await person.acceptInvite({ roomId: juryRoom, timeoutMs: 30_000 });
  await olga.acceptInvite({ roomId: organisersRoom, timeoutMs: 30_000 });
  // Eve was let into the jury room by mistake.
  await olga.invite(juryRoom, eve.userId);
  await eve.acceptInvite({ roomId: juryRoom, timeoutMs: 30_000 });
});

afterAll(() => endBotRun(bot, storage));

describe('the jury', () => {
  it('receives a submitted dossier at once, marked provisional, with its thread and file', async () => {
    candidacyRoom = (await submitDossier(lea, bot)).roomId;
    const candidacy = await storage.candidacies.findByRoom(candidacyRoom);
    expect(candidacy?.status).toBe('submitted');
    candidacyId = candidacy?.id ?? '';

    const rootMessage = await bruno.nextMessage(juryRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('#1') && !m.content['m.relates_to'],
    });
    root = rootMessage.eventId;
    expect(rootMessage.body).toContain(candidacy?.collectivite?.name ?? '?');
    expect(rootMessage.body).toMatch(
      /Dossier provisoire : la candidature peut encore le modifier jusqu'au \d+ \S+ \d{4}/,
    );
    expect(rootMessage.body).toContain('Le vote ouvrira à la clôture');
    expect(rootMessage.content['m.mentions']).toEqual({});
    await fromThread(bruno, (m) => m.body.startsWith('1. ') || m.body.includes('Dossier complet'));
    const file = await bruno.nextEvent(juryRoom, {
      from: bot.userId,
      type: 'm.room.message',
      timeoutMs: 30_000,
      predicate: (e: MatrixEvent) =>
        e.content.msgtype === 'm.file' && inThread(root)({ content: e.content } as ReceivedMessage),
    });
    const [server, mediaId] = String(file.content.url).slice('mxc://'.length).split('/');
    const download = await fetch(
      `${stackEnv().homeserverUrl}/_matrix/client/v1/media/download/${server}/${mediaId}`,
      {
        headers: { authorization: `Bearer ${bruno.accessToken}` },
      },
    );
    expect(await download.text()).toContain('<!DOCTYPE html>');
  });

  it('gives each juror a ballot room named after them, and tells them what they can read now', async () => {
    for (const person of [anne, bruno, chloe, denis]) {
      // The rooms were opened when the bot started, before any dossier: a welcome with the scale and how to vote.
      const { roomId, welcome } = await enterBallotRoom(storage, bot, person);
      ballots.set(person.userId, roomId);
      const name = String((await person.getState(roomId, 'm.room.name')).name);
      const profile = (await person.request(
        'GET',
        `/profile/${encodeURIComponent(person.userId)}/displayname`,
      )) as {
        displayname: string;
      };
      expect(name).toBe(`Vote du jury – ${profile.displayname}`);
      expect(welcome.body).toContain(`Bonjour ${profile.displayname} !`);
      expect(welcome.body).toContain('isoloir');
      expect(welcome.body).toContain('Niveaux : de 1 (le plus modeste) à 5 (le plus haut).');
      expect(welcome.body).toContain('Pour voter : !voter #<numéro> <niveau>');
      // Now that #1 is there: their ballots, with #1 to read before the vote opens.
      const mine = await inBallot(person, '!decompte');
      expect(mine.body).toContain('Vos bulletins : 0 à voter, 0 voté.');
      expect(mine.body).toMatch(/1 dossier provisoire à lire \(vote à la clôture, le \d+/);
      expect(mine.body).toMatch(/#1 .* : provisoire \(vote à la clôture\)/);
    }
  });

  it('refuses votes and decisions while the dossier is provisional, and says until when', async () => {
    const vote = await inBallot(bruno, '!voter #1 3');
    expect(vote.body).toMatch(/#1 .* est encore provisoire : la candidature peut le modifier jusqu'au/);
    expect(vote.body).toContain('Le vote ouvrira à la clôture');
    const decide = await inThreadSay(olga, '!decider');
    expect(decide.body).toContain('une décision demande un dossier définitif');
    expect((await storage.jury.get(candidacyId))?.ballots).toEqual([]);
    expect((await storage.jury.get(candidacyId))?.decision).toBeNull();
  });

  it("relays a juror's question to the candidate and her reply back to the thread", async () => {
    const asked = await inThreadSay(bruno, '!question Combien de postes sous GNU/Linux avez-vous ?');
    expect(asked.body).toContain('Question Q1 transmise');
    const question = await lea.nextMessage(candidacyRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Le jury a une question'),
    });
    expect(question.body).toContain('Combien de postes sous GNU/Linux avez-vous ?');
    await lea.sendText(candidacyRoom, 'Q1 Nous avons 40 postes sous Debian.');
    const reply = await fromThread(bruno, (m) => m.body.includes('Réponse de la candidature'));
    expect(reply.body).toContain('Nous avons 40 postes sous Debian.');
    await lea.nextMessage(candidacyRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('transmise au jury'),
    });
    const record = await storage.jury.get(candidacyId);
    expect(record?.questions).toMatchObject([
      { number: 1, reply: { text: 'Nous avons 40 postes sous Debian.' } },
    ]);
  });

  it('opens the vote at closing: one message in the jury room, and in each ballot room what waits', async () => {
    olga.skipPending(organisersRoom);
    await olga.sendText(organisersRoom, '!campagne clore');
    await olga.nextMessage(organisersRoom, { from: bot.userId, timeoutMs: 30_000 });
    await olga.sendText(organisersRoom, '!confirmer');
    const opened = await anne.nextMessage(juryRoom, {
      from: bot.userId,
      timeoutMs: 60_000,
      predicate: (m) => m.body.includes('le vote est ouvert'),
    });
    expect(opened.body).toContain('(#1)');
    for (const person of [anne, bruno, chloe, denis]) {
      const notice = await person.nextMessage(ballotOf(person), {
        from: bot.userId,
        timeoutMs: 60_000,
        predicate: (m) => m.body.includes('Le vote est ouvert'),
      });
      expect(notice.body).toContain('Le vote est ouvert sur 1 dossier :');
      expect(notice.body).toContain('#1 ');
    }
  });

  it('keeps the ballot secret: nobody sees a vote before being entitled to, the president included', async () => {
    expect((await inBallot(bruno, '!voter #1 3')).body).toContain('Vote enregistré pour #1');
    // A vote typed where everyone reads it is refused and not counted.
    const shared = await inThreadSay(chloe, '!voter 4');
    expect(shared.body).toContain('Les votes sont secrets');
    expect(shared.body).toContain(ballotOf(chloe));

    // Anne presides the jury and has not voted: no tally for her, here or in her ballot room.
    const asked = await inThreadSay(anne, '!decompte #1');
    expect(asked.body).toContain('Vous verrez le décompte de #1 après avoir voté');
    expect((await inBallot(anne, '!decompte #1')).body).toContain('après avoir voté');
    // Bruno voted: he reads it, privately; the jury room is told it comes later.
    const brunoAsks = await inThreadSay(bruno, '!decompte');
    expect(brunoAsks.body).toContain('sera publié ici quand tout le jury aura voté (1/4)');
    const privateTally = await bruno.nextMessage(ballotOf(bruno), {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Décompte de #1'),
    });
    expect(privateTally.body).toContain('Niveau 3 : 1');
    // Olga is an organiser and no juror: she reads it in the organisers' room only.
    const olgaAsks = await inThreadSay(olga, '!decompte');
    expect(olgaAsks.body).toContain('Il est dans le salon des organisateurs');
    await olga.nextMessage(organisersRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Décompte de #1'),
    });
    // Eve is no member of the jury.
    expect((await inThreadSay(eve, '!decompte #1')).body).toContain('Seuls les membres du jury');

    for (const person of [anne, chloe, denis, eve, olga])
      await expectNothingRevealed(person, juryRoom, 'before all voted');
    for (const person of [anne, chloe, denis])
      await expectNothingRevealed(person, ballotOf(person), 'before voting');

    // "!decompte" alone: one's own ballots, never a distribution.
    const mine = await inBallot(chloe, '!decompte');
    expect(mine.body).toContain('Vos bulletins : 1 à voter, 0 voté.');
    expect(mine.body).toContain('#1 ');
  });

  it('posts the tally for all once every non-recused juror has a ballot, explained in words', async () => {
    // Eve, let in by mistake, is shown out: the jury room is the jury's again.
    await olga.request('POST', `/rooms/${encodeURIComponent(juryRoom)}/kick`, {
      user_id: eve.userId,
      reason: 'Pas membre du jury',
    });
    expect((await inBallot(denis, '!deport #1 Je conseille cette commune.')).body).toContain(
      "Conflit d'intérêts",
    );
    await fromThread(anne, (m) => m.body.includes(denis.userId) && m.body.includes("conflit d'intérêts"));
    expect((await inBallot(chloe, '!abstention #1')).body).toContain('Abstention enregistrée');
    await expectNothingRevealed(anne, juryRoom, 'Anne has still not voted');
    expect((await inBallot(anne, '!voter #1 4')).body).toContain('Vote enregistré pour #1');

    const tally = await fromThread(chloe, (m) =>
      m.body.includes('Tous les membres du jury non déportés ont voté'),
    );
    expect(tally.body).toContain('Niveau 3 : 1');
    expect(tally.body).toContain('Niveau 4 : 1');
    expect(tally.body).toMatch(
      /Niveau proposé : Niveau 3 — au moins la moitié des votants a donné Niveau 3 ou plus/,
    );
    expect(tally.body).toContain('Départage (jugement majoritaire)');
    expect(tally.body).toContain('Bulletins : 3 sur 3 (votes : 2, abstentions : 1, déports : 1).');
    expect(tally.body).not.toMatch(/\(s\)/);
    for (const juror of [anne, bruno, chloe, denis]) expect(tally.body).not.toContain(juror.userId);

    // The recused juror neither votes nor reads the tally in his ballot room.
    expect((await inBallot(denis, '!voter #1 5')).body).toContain('ni y voter ni voir son décompte');
    const record = await storage.jury.get(candidacyId);
    expect(record?.ballots.map((b) => [b.juror, b.status, b.level]).sort()).toEqual(
      [
        [anne.userId, 'voted', '4'],
        [bruno.userId, 'voted', '3'],
        [chloe.userId, 'abstained', null],
        [denis.userId, 'recused', null],
      ].sort(),
    );
  });

  it('records the decision in the thread, closes the votes, and the published decision reaches the candidate', async () => {
    anne.skipPending(juryRoom);
    await anne.sendText(
      juryRoom,
      '!décider\nmentions: Premier pas\nmessage: Bravo pour ce premier pas vers le logiciel libre !',
      threadReply(root),
    );
    const decided = await fromThread(anne, (m) => m.body.includes('Décision pour #1'));
    expect(decided.body).toContain('Niveau 3');
    expect(decided.body).toContain('Mentions : Premier pas');
    expect((await storage.jury.getDecision(candidacyId))?.level).toBe('3');
    expect((await inBallot(bruno, '!voter #1 5')).body).toContain(
      'déjà été décidé (Niveau 3) : les votes sont clos',
    );

    for (const command of ['!publier', '!confirmer']) {
      olga.skipPending(organisersRoom);
      await olga.sendText(organisersRoom, command);
      await olga.nextMessage(organisersRoom, { from: bot.userId, timeoutMs: 30_000 });
    }
    const result = await lea.nextMessage(candidacyRoom, {
      from: bot.userId,
      timeoutMs: 60_000,
      predicate: (m) => m.body.includes('Bravo pour ce premier pas'),
    });
    expect(result.body).toContain('Niveau 3');
    // The candidate never sees the jury's votes.
    await expectNothingRevealed(lea, candidacyRoom, 'a candidate');
  });
});
