// Votes and the secret ballot: where votes are taken and when, redelivered events, who
// sees a tally where, the ranking and a juror's own ballots.
import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../../../bot/types.ts';
import {
  CANDIDATE,
  createHarness,
  type Harness,
  JURORS,
  JURY_ROOM,
  ORGANISER,
  PRESIDENT,
} from './fixture.ts';
import { closeCampaign, expectSafe, inBallot, lastText, posted } from './helpers.ts';

const [ALICE, BOB, CAROL] = JURORS as [string, string, string];
const ORGANISERS_ROOM = '!org:test';

/** `count` dossiers posted, then the campaign closed: all final. */
async function finalDossiers(h: Harness, names: string[] = ['Plouguerneau']) {
  const out = [];
  for (const name of names) out.push(await posted(h, name));
  await closeCampaign(h);
  return out;
}

function event(sender: string, body: string, id: string): RawEvent {
  return {
    event_id: id,
    type: 'm.room.message',
    sender,
    origin_server_ts: 0,
    content: { msgtype: 'm.text', body },
  };
}

describe('votes', () => {
  it('are refused while the dossier is provisional, naming the closing date', async () => {
    const h = await createHarness();
    const { candidacy } = await posted(h);
    const ballot = await inBallot(h, ALICE, '!vote #1 3');
    expect(lastText(h, ballot)).toContain(
      "#1 (Plouguerneau) est encore provisoire : la candidature peut le modifier jusqu'au 1 novembre 2026",
    );
    await h.say(ALICE, ballot, '!abstention #1');
    expect(lastText(h, ballot)).toContain('encore provisoire');
    expect((await h.storage.jury.get(candidacy.id))?.ballots).toEqual([]);
  });

  it('are refused in the shared jury room, even with open votes, pointing to the ballot room', async () => {
    for (const openVotes of [false, true]) {
      const h = await createHarness({ openVotes });
      const [{ candidacy, root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
      await h.say(ALICE, JURY_ROOM, '!vote 3', root);
      const reply = h.messenger.last(JURY_ROOM);
      expect(reply.message.threadRoot).toBe(root);
      expect(reply.message.plain).toContain("n'a pas été compté");
      expect(reply.message.plain).toContain(await h.ballotRoomOf(ALICE));
      await h.say(BOB, JURY_ROOM, '!abstention #1');
      expect(lastText(h, JURY_ROOM)).toContain("n'a pas été compté");
      expect((await h.storage.jury.get(candidacy.id))?.ballots).toEqual([]);
    }
  });

  it('are recorded in the ballot room once final, and can be changed', async () => {
    const h = await createHarness();
    const [{ candidacy }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    const ballot = await inBallot(h, ALICE, '!vote #1 3');
    expect(lastText(h, ballot)).toContain('Vote enregistré pour #1 (Plouguerneau) : niveau 3');
    await h.say(ALICE, ballot, '!voter 1 4');
    expect(lastText(h, ballot)).toContain('niveau 3 → niveau 4');
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.ballots).toHaveLength(1);
    expect(record?.ballots[0]).toMatchObject({ juror: ALICE, status: 'voted', level: '4' });
    expect(record?.ballots[0]?.history).toHaveLength(2);
    // Nothing of it in the shared room.
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('niveau 4'))).toBe(false);
  });

  it('applies a redelivered event once: one change, one set of replies', async () => {
    const h = await createHarness();
    const [{ candidacy }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    const ballot = await h.ballotRoomOf(BOB);
    const vote = event(BOB, '!vote #1 2', '$same');
    await h.service.handler.handle({ roomId: ballot, kind: 'ballot', event: vote });
    const version = (await h.storage.jury.get(candidacy.id))?.version;
    const sent = h.messenger.sent.length;
    await h.service.handler.handle({ roomId: ballot, kind: 'ballot', event: vote });
    expect(h.messenger.sent.length).toBe(sent);
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.version).toBe(version);
    expect(record?.ballots[0]?.history).toHaveLength(1);
    expect(record?.eventIds).toContain('$same');
  });

  it('sends the stored replies of a command when its event comes again after a crash', async () => {
    const h = await createHarness();
    const [{ candidacy }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    const ballot = await h.ballotRoomOf(BOB);
    const vote = event(BOB, '!vote #1 2', '$lost');
    h.messenger.failNext = 1; // the vote is stored, its reply does not go out
    await expect(h.service.handler.handle({ roomId: ballot, kind: 'ballot', event: vote })).rejects.toThrow();
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.outbox?.eventId).toBe('$lost');
    expect(h.messenger.in(ballot).some((s) => s.message.plain.includes('Vote enregistré'))).toBe(false);
    await h.service.handler.handle({ roomId: ballot, kind: 'ballot', event: vote });
    await h.service.handler.handle({ roomId: ballot, kind: 'ballot', event: vote });
    expect(h.messenger.in(ballot).filter((s) => s.message.plain.includes('Vote enregistré'))).toHaveLength(1);
    expect((await h.storage.jury.get(candidacy.id))?.ballots[0]?.history).toHaveLength(1);
  });

  it('refuses strangers, organisers voting, another juror in a ballot room, unknown levels and dossiers', async () => {
    const h = await createHarness();
    const [{ candidacy, root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    await h.say('@stranger:test', JURY_ROOM, '!vote 3', root);
    expect(lastText(h, JURY_ROOM)).toContain('Seuls les membres du jury et les organisateurs');
    await h.say(CANDIDATE, JURY_ROOM, '!decompte', root);
    expect(lastText(h, JURY_ROOM)).toContain('Seuls les membres du jury et les organisateurs');
    const aliceRoom = await h.ballotRoomOf(ALICE);
    await h.say(BOB, aliceRoom, '!vote #1 3');
    expect(lastText(h, aliceRoom)).toContain('appartient à un autre membre');
    await h.say(ORGANISER, JURY_ROOM, '!vote 3', root);
    expect(lastText(h, JURY_ROOM)).toBe('Seuls les membres du jury votent.');
    await h.say(ALICE, aliceRoom, '!vote #1 9');
    expect(lastText(h, aliceRoom)).toContain('Niveau inconnu : « 9 »');
    await h.say(ALICE, aliceRoom, '!vote #7 3');
    expect(lastText(h, aliceRoom)).toBe('Aucun dossier n°7.');
    await h.say(ALICE, aliceRoom, '!vote 3');
    expect(lastText(h, aliceRoom)).toContain('Quel dossier ?');
    expect((await h.storage.jury.get(candidacy.id))?.ballots).toEqual([]);
    for (const sent of h.messenger.sent) expectSafe(sent.message.html);
  });

  it('from jurors voting at the same moment on one dossier are all kept', async () => {
    const h = await createHarness();
    const [{ candidacy }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    const rooms = await Promise.all(JURORS.map((juror) => h.ballotRoomOf(juror)));
    await Promise.all(JURORS.map((juror, i) => h.say(juror, rooms[i] as string, `!vote #1 ${i + 2}`)));
    const ballots = (await h.storage.jury.get(candidacy.id))?.ballots ?? [];
    expect(ballots.map((b) => [b.juror, b.level]).sort()).toEqual([
      [ALICE, '2'],
      [BOB, '3'],
      [CAROL, '4'],
    ]);
    for (const room of rooms) expect(lastText(h, room)).toContain('Vote enregistré pour #1');
  });

  it('a recusal is taken while provisional; the last missing juror recusing completes the tally', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    const carolRoom = await inBallot(h, CAROL, '!deport #1');
    expect(lastText(h, carolRoom)).toContain("Conflit d'intérêts enregistré sur #1");
    await closeCampaign(h);
    // Nothing waits for her vote there.
    expect(h.messenger.in(carolRoom).some((s) => s.message.plain.includes('Le vote est ouvert'))).toBe(false);
    expect(lastText(h, await h.ballotRoomOf(ALICE))).toContain('Le vote est ouvert sur 1 dossier');
    for (const juror of [ALICE, BOB]) await inBallot(h, juror, '!vote #1 3');
    expect(h.messenger.in(JURY_ROOM, root).some((s) => s.message.plain.includes('Décompte'))).toBe(false);
    await inBallot(h, PRESIDENT, '!deport #1');
    const tally = h.messenger.in(JURY_ROOM, root).at(-1)?.message.plain ?? '';
    expect(tally).toContain('Tous les membres du jury non déportés ont voté sur #1');
    expect(tally).toContain('Bulletins : 2 sur 2 (votes : 2, abstentions : 0, déports : 2)');
    expect(
      (await h.storage.jury.get(candidacy.id))?.ballots.filter((b) => b.status === 'recused'),
    ).toHaveLength(2);
  });

  it('understands named grades', async () => {
    const h = await createHarness({
      levels: [
        { id: 'badge', labels: { fr: 'Badge', en: 'Badge' } },
        { id: 'bronze', labels: { fr: 'Bronze', en: 'Bronze' } },
        { id: 'argent', labels: { fr: 'Argent', en: 'Silver' } },
        { id: 'or', labels: { fr: 'Or', en: 'Gold' } },
      ],
    });
    const [{ candidacy }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    const ballot = await inBallot(h, CAROL, '!vote #1 silver');
    expect(lastText(h, ballot)).toContain(': Argent.');
    expect((await h.storage.jury.get(candidacy.id))?.ballots[0]?.level).toBe('argent');
  });
});

describe('tallies', () => {
  it('hides the tally until one has voted, sends it privately, then posts it for all once everyone has a ballot', async () => {
    const h = await createHarness();
    const [{ candidacy, root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    await h.say(BOB, JURY_ROOM, '!tally', root);
    expect(lastText(h, JURY_ROOM)).toContain('Vous verrez le décompte de #1 après avoir voté');
    expect(lastText(h, JURY_ROOM)).toContain('0 bulletin sur 4');

    const aliceRoom = await inBallot(h, ALICE, '!vote #1 4');
    await h.say(ALICE, JURY_ROOM, '!decompte', root);
    expect(lastText(h, JURY_ROOM)).toContain("Je vous l'ai envoyé dans votre salon de vote");
    const privateTally = lastText(h, aliceRoom);
    expect(privateTally).toContain('Décompte de #1');
    expect(privateTally).not.toContain(ALICE); // never who voted what

    // Carol recuses: her vote is set aside and she does not see the tally.
    const carolRoom = await inBallot(h, CAROL, '!vote #1 1');
    await h.say(CAROL, carolRoom, '!deport #1 je travaille pour cette commune');
    expect(lastText(h, carolRoom)).toContain("Conflit d'intérêts enregistré");
    expect(h.messenger.last(JURY_ROOM).message).toMatchObject({ threadRoot: root });
    expect(lastText(h, JURY_ROOM)).toContain(`${CAROL} a déclaré un conflit d'intérêts`);
    await h.say(CAROL, carolRoom, '!decompte #1');
    expect(lastText(h, carolRoom)).toContain('ni voir son décompte');
    await h.say(CAROL, carolRoom, '!vote #1 5');
    expect(lastText(h, carolRoom)).toContain('ni y voter');

    await inBallot(h, BOB, '!vote #1 2');
    const threadBefore = h.messenger.in(JURY_ROOM, root).length;
    expect(
      h.messenger
        .in(JURY_ROOM)
        .slice(-3)
        .some((s) => s.message.plain.includes('Décompte')),
    ).toBe(false);
    await inBallot(h, PRESIDENT, '!abstention #1');
    // Every non-recused juror has a ballot: the complete tally is in the thread.
    const complete = h.messenger.in(JURY_ROOM, root).slice(threadBefore);
    expect(complete).toHaveLength(1);
    await inBallot(h, PRESIDENT, '!vote #1 3');
    const tallies = h.messenger.in(JURY_ROOM, root).slice(threadBefore);
    expect(tallies).toHaveLength(2); // the changed vote posts the tally again
    const tally = tallies[1]?.message.plain ?? '';
    expect(tally).toContain('Tous les membres du jury non déportés ont voté sur #1');
    expect(tally).toContain('Niveau proposé : niveau 3');
    expect(tally).toContain('Moyenne 3');
    expect(tally).toContain("2 niveaux d'écart");
    expect(tally).toContain('Écart important');
    expect(tally).toContain('Bulletins : 3 sur 3 (votes : 3, abstentions : 0, déports : 1)');
    expect(tally).toContain('Quorum atteint');
    expect(tally).not.toContain('@');
    expectSafe(tallies[1]?.message.html ?? '');
    // Now anyone may ask for it in the jury room, and it is shown there.
    await h.say(BOB, JURY_ROOM, '!decompte #1');
    expect(lastText(h, JURY_ROOM)).toContain('Décompte de #1');
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.ballots.find((b) => b.juror === CAROL)).toMatchObject({
      status: 'recused',
      reason: 'je travaille pour cette commune',
    });
  });

  it('with open votes, names who voted what once everyone has a ballot', async () => {
    const h = await createHarness({ openVotes: true });
    const [{ root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    await inBallot(h, ALICE, '!vote #1 4');
    for (const juror of [BOB, CAROL, PRESIDENT]) await inBallot(h, juror, '!vote #1 3');
    const tally = h.messenger.in(JURY_ROOM, root).at(-1)?.message.plain ?? '';
    expect(tally).toContain(`niveau 4 : 1 ███`);
    expect(tally).toContain(`(${ALICE})`);
    expect(tally).toContain(`(${BOB}, ${CAROL}, ${PRESIDENT})`);
  });

  it('never shows the president who has not voted a tally: neither in the jury room nor in their ballot room', async () => {
    const h = await createHarness();
    await finalDossiers(h, ['Arles', 'Brest', 'Carhaix']);
    await inBallot(h, BOB, '!vote #3 5');
    const before = h.messenger.sent.length;
    await h.say(PRESIDENT, JURY_ROOM, '!decompte #3');
    expect(lastText(h, JURY_ROOM)).toContain('Vous verrez le décompte de #3 après avoir voté');
    const presidentRoom = await inBallot(h, PRESIDENT, '!decompte #3');
    expect(lastText(h, presidentRoom)).toContain('Vous verrez le décompte de #3 après avoir voté');
    const after = h.messenger.sent.slice(before);
    expect(after).toHaveLength(2);
    for (const sent of after) {
      expect(sent.message.plain).not.toContain('Décompte');
      expect(sent.message.plain).not.toContain('niveau 5');
    }
    // Her own overview does not tell either.
    await h.say(PRESIDENT, JURY_ROOM, '!decompte');
    expect(lastText(h, JURY_ROOM)).not.toContain('niveau');
  });

  it('goes to the organisers’ room for an organiser who is not a juror, before everyone has voted', async () => {
    const h = await createHarness();
    const [{ root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    await inBallot(h, ALICE, '!vote #1 4');
    await h.say(ORGANISER, JURY_ROOM, '!decompte', root);
    expect(lastText(h, JURY_ROOM)).toContain('Il est dans le salon des organisateurs');
    expect(lastText(h, JURY_ROOM)).toContain('(1/4)');
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('Décompte de #1'))).toBe(false);
    expect(lastText(h, ORGANISERS_ROOM)).toContain('Décompte de #1');
    expect(lastText(h, ORGANISERS_ROOM)).toContain('niveau 4 : 1');
  });

  it('stays secret when a juror who has not voted reads the organisers’ room', async () => {
    const h = await createHarness();
    h.ctx.config.people.organisers.push(CAROL); // an organiser who is also a juror
    h.messenger.presetMembers.get(ORGANISERS_ROOM)?.push(CAROL); // and reads the organisers' room
    const [{ root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    await inBallot(h, ALICE, '!vote #1 4');
    await h.say(ORGANISER, JURY_ROOM, '!decompte', root);
    expect(lastText(h, JURY_ROOM)).toContain("nulle part pour l'instant");
    expect(h.messenger.in(ORGANISERS_ROOM)).toEqual([]);
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('Décompte de #1'))).toBe(false);
  });
});

describe('overviews without a dossier number', () => {
  it('gives a juror their ballots, their own levels only in their ballot room', async () => {
    const h = await createHarness();
    await finalDossiers(h, ['Arles', 'Brest', 'Carhaix']);
    await posted(h, 'Dinan'); // after closing: final too
    const aliceRoom = await inBallot(h, ALICE, '!vote #1 4');
    await h.say(ALICE, aliceRoom, '!abstention #2');
    await h.say(ALICE, aliceRoom, '!decompte');
    const own = lastText(h, aliceRoom);
    expect(own).toContain('Vos bulletins : 2 à voter, 2 votés.');
    expect(own).toContain('#1 Arles : voté niveau 4');
    expect(own).toContain('#2 Brest : abstention');
    expect(own).toContain('#3 Carhaix : à voter');
    await h.say(ALICE, JURY_ROOM, '!decompte');
    const shared = lastText(h, JURY_ROOM);
    expect(shared).toContain('Vos bulletins : 2 à voter, 2 votés.');
    expect(shared).toContain('#1 Arles : bulletin déposé');
    expect(shared).not.toContain('niveau 4');
    expect(shared).not.toContain('abstention');
    expectSafe(h.messenger.last(JURY_ROOM).message.html);
  });

  it('says which dossiers are still provisional', async () => {
    const h = await createHarness();
    await posted(h, 'Arles');
    const room = await inBallot(h, BOB, '!decompte');
    expect(lastText(h, room)).toContain('Vos bulletins : 0 à voter, 0 voté.');
    expect(lastText(h, room)).toContain('1 dossier provisoire à lire');
    expect(lastText(h, room)).toContain('#1 Arles : provisoire');
  });

  it('ranks for an organiser only the dossiers the jury room may show, the others listed as secret', async () => {
    const h = await createHarness();
    await finalDossiers(h, ['Arles', 'Brest', 'Carhaix']);
    // #1: 3,3,4,3 -> 3+ (1/4 above). #2: 2,3,3,3 -> 3− (1/4 below). Same majority grade, the gauge decides.
    for (const [juror, one, two] of [
      [ALICE, 3, 2],
      [BOB, 3, 3],
      [CAROL, 4, 3],
      [PRESIDENT, 3, 3],
    ] as const) {
      const room = await inBallot(h, juror, `!vote #1 ${one}`);
      await h.say(juror, room, `!vote #2 ${two}`);
    }
    await inBallot(h, ALICE, '!vote #3 5'); // #3: one ballot of four, secret
    await h.say(ORGANISER, JURY_ROOM, '!decompte');
    const ranking = h.messenger.last(JURY_ROOM).message;
    expect(ranking.threadRoot).toBeUndefined();
    expect(ranking.plain).toContain('Classement au jugement majoritaire (2 dossiers)');
    expect(ranking.plain).toMatch(/1\. #1 Arles : niveau 3\+ 25\s%/);
    expect(ranking.plain).toMatch(/2\. #2 Brest : niveau 3− 25\s%/);
    expect(ranking.plain).toContain('#1 devant #2 : même note majoritaire');
    expect(ranking.plain).toContain('Votes encore secrets ici');
    expect(ranking.plain).toContain('#3 Carhaix : 1 bulletin sur 4');
    expect(ranking.plain).not.toContain('niveau 5');
    expectSafe(ranking.html);
  });
});

describe('notes', () => {
  it('are sent privately when a juror recused on the dossier reads the jury room', async () => {
    const h = await createHarness();
    const [{ root }] = (await finalDossiers(h)) as [Awaited<ReturnType<typeof posted>>];
    await h.say(ALICE, JURY_ROOM, '!note budget à vérifier', root);
    await inBallot(h, CAROL, '!deport #1');
    await h.say(BOB, JURY_ROOM, '!notes', root);
    expect(lastText(h, JURY_ROOM)).toContain('je vous ai envoyé les notes dans votre salon de vote');
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('budget à vérifier'))).toBe(false);
    expect(lastText(h, await h.ballotRoomOf(BOB))).toContain('budget à vérifier');
    await h.say(CAROL, await h.ballotRoomOf(CAROL), '!notes #1');
    expect(lastText(h, await h.ballotRoomOf(CAROL))).not.toContain('budget à vérifier');
  });
});
