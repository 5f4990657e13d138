import { describe, expect, it, vi } from 'vitest';
import { guardHtml } from '../../../bot/html-guard.ts';
import {
  CANDIDATE,
  candidacyDouble,
  createHarness,
  type Harness,
  JURORS,
  JURY_ROOM,
  ORGANISER,
  PRESIDENT,
} from './fixture.ts';

const [ALICE, BOB, CAROL] = JURORS as [string, string, string];

/** The HTML guard keeps it as it is (only allowed tags and attributes), up to how it writes quotes and <br>. */
function expectSafe(html: string): void {
  const norm = (s: string) =>
    s
      .replace(/<br \/>/g, '<br>')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"');
  expect(norm(guardHtml(html))).toBe(norm(html));
}

async function posted(h: Harness, name = 'Plouguerneau') {
  const candidacy = await h.submit(name);
  await h.service.syncDossiers(candidacy.id);
  return { candidacy, root: await h.rootOf(candidacy.id) };
}

describe('dossier handoff', () => {
  it('posts one root message per dossier and the full dossier in its thread, with a file', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    const roots = h.messenger.in(JURY_ROOM, null);
    expect(roots).toHaveLength(1);
    const rootText = roots[0]?.message.plain ?? '';
    expect(rootText).toContain('#1');
    expect(rootText).toContain('Plouguerneau');
    expect(rootText).toContain('Commune');
    expect(rootText).toMatch(/6\s500/);
    expect(rootText).toContain('Léa Dupont (@lead:test)');
    expect(rootText).toContain('Déposée le');

    const thread = h.messenger.in(JURY_ROOM, root);
    expect(thread.map((s) => s.message.plain.split('\n')[0])).toEqual([
      expect.stringContaining('Dossier complet'),
      'IDENTIFICATION',
      '1. LOGICIELS LIBRES',
    ]);
    const tech = thread[2]?.message;
    expect(tech?.plain).toContain('• Debian');
    expect(tech?.html).toContain('&lt;script&gt;');
    expect(tech?.html).not.toContain('<script>');
    expectSafe(tech?.html ?? '');

    expect(h.messenger.files).toHaveLength(1);
    const file = h.messenger.files[0];
    expect(file?.file.threadRoot).toBe(root);
    expect(file?.file.name).toBe('dossier-1-plouguerneau.html');
    const html = file?.file.data.toString('utf8') ?? '';
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toContain('Tout en logiciel libre &lt;script&gt;');

    const dossier = await h.storage.jury.getDossier(candidacy.id);
    expect(dossier?.postedVersion).toBe(candidacy.version);
  });

  it('gives each juror a private ballot room, registered for routing', async () => {
    const h = await createHarness();
    await posted(h);
    for (const juror of [...JURORS, PRESIDENT]) {
      const room = await h.ballotRoomOf(juror);
      expect(await h.storage.botState.getRoom(room)).toMatchObject({ kind: 'jury', userId: juror });
      expect(h.messenger.invites).toContainEqual({ roomId: room, userId: juror });
      expect(h.messenger.in(room)[0]?.message.plain).toContain('isoloir');
    }
    expect(h.messenger.rooms.every((r) => r.options.invite.length === 0)).toBe(true);
  });

  it('does nothing more when synced again', async () => {
    const h = await createHarness();
    const { candidacy } = await posted(h);
    const before = h.messenger.sent.length;
    await h.service.syncDossiers(candidacy.id);
    await h.service.syncDossiers();
    expect(h.messenger.sent.length).toBe(before);
    expect(h.messenger.files).toHaveLength(1);
  });

  it('posts what changed when the candidate edits the submitted dossier', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    const edited = await h.storage.candidacies.update(candidacy, {
      by: CANDIDATE,
      effects: [{ kind: 'set', questionId: 'strategy', value: 'Une stratégie revue' }],
    });
    await h.service.syncDossiers(candidacy.id);
    const update = h.messenger.last(JURY_ROOM);
    expect(update.message.threadRoot).toBe(root);
    expect(update.message.plain).toContain('1 réponse');
    expect(update.message.plain).toContain('Votre stratégie ?');
    expect(update.message.plain).toContain('Une stratégie revue');
    expect(update.message.plain).toContain('Tout en logiciel libre');
    expect(h.messenger.files).toHaveLength(2);
    expect(h.messenger.files[1]?.file.data.toString()).toContain('Une stratégie revue');
    expect((await h.storage.jury.getDossier(candidacy.id))?.postedVersion).toBe(edited.candidacy.version);
    const count = h.messenger.sent.length;
    await h.service.syncDossiers(candidacy.id);
    expect(h.messenger.sent.length).toBe(count);
  });

  it('finishes an interrupted post after a failure without doubling the root message', async () => {
    const h = await createHarness();
    const candidacy = await h.submit('Rennes');
    await h.service.syncDossiers(); // creates the ballot rooms first
    const rootsBefore = h.messenger.in(JURY_ROOM, null).length;
    expect(rootsBefore).toBe(1);
    const other = await h.submit('Brest');
    // Root goes out, then the homeserver fails in the middle of the thread.
    h.messenger.failNext = 0;
    const send = h.messenger.send.bind(h.messenger);
    let calls = 0;
    h.messenger.send = async (roomId, message, options) => {
      calls += 1;
      if (calls === 3) throw new Error('homeserver unreachable');
      return send(roomId, message, options);
    };
    await h.service.syncDossiers(other.id); // logged, not thrown at the candidate's room
    expect(await h.storage.jury.getDossier(other.id)).toBeNull();
    h.messenger.send = send;
    await h.service.syncDossiers();
    expect(h.messenger.in(JURY_ROOM, null)).toHaveLength(2);
    const root = await h.rootOf(other.id);
    expect(h.messenger.in(JURY_ROOM, root).map((s) => s.message.plain.split('\n')[0])).toEqual([
      expect.stringContaining('Dossier complet'),
      'IDENTIFICATION',
      '1. LOGICIELS LIBRES',
    ]);
    expect(candidacy.id).not.toBe(other.id);
  });

  it('tells the thread when a posted candidacy is withdrawn and refuses votes on it', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.storage.candidacies.update(candidacy, { by: CANDIDATE, status: 'withdrawn' });
    await h.service.syncDossiers(candidacy.id);
    expect(h.messenger.last(JURY_ROOM).message).toMatchObject({ threadRoot: root });
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('retirée');
    const ballot = await h.ballotRoomOf(ALICE);
    await h.say(ALICE, ballot, '!vote #1 3');
    expect(h.messenger.last(ballot).message.plain).toContain('retirée');
    expect(await h.storage.jury.listVotes(candidacy.id)).toEqual([]);
  });
});

describe('votes', () => {
  it('keeps votes secret: a vote typed in the shared room is refused and points to the ballot room', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say(ALICE, JURY_ROOM, '!vote 3', root);
    const reply = h.messenger.last(JURY_ROOM);
    expect(reply.message.threadRoot).toBe(root);
    expect(reply.message.plain).toContain("n'a pas été compté");
    expect(reply.message.plain).toContain(await h.ballotRoomOf(ALICE));
    expect(await h.storage.jury.listVotes(candidacy.id)).toEqual([]);
  });

  it('records a vote in the ballot room and lets the juror change it', async () => {
    const h = await createHarness();
    const { candidacy } = await posted(h);
    const ballot = await h.ballotRoomOf(ALICE);
    await h.say(ALICE, ballot, '!vote #1 3');
    expect(h.messenger.last(ballot).message.plain).toContain(
      'Vote enregistré pour #1 (Plouguerneau) : niveau 3',
    );
    await h.say(ALICE, ballot, '!voter 1 4');
    expect(h.messenger.last(ballot).message.plain).toContain('niveau 3 → niveau 4');
    const votes = await h.storage.jury.listVotes(candidacy.id);
    expect(votes).toHaveLength(1);
    expect(votes[0]).toMatchObject({ juror: ALICE, status: 'voted', level: '4' });
    expect(votes[0]?.history).toHaveLength(2);
  });

  it('applies a redelivered vote event once', async () => {
    const h = await createHarness();
    const { candidacy } = await posted(h);
    const ballot = await h.ballotRoomOf(BOB);
    const event = {
      event_id: '$same',
      type: 'm.room.message',
      sender: BOB,
      origin_server_ts: 0,
      content: { msgtype: 'm.text', body: '!vote #1 2' },
    };
    await h.service.handle({ roomId: ballot, kind: 'jury', event });
    const sent = h.messenger.sent.length;
    await h.service.handle({ roomId: ballot, kind: 'jury', event });
    expect(h.messenger.sent.length).toBe(sent);
    expect((await h.storage.jury.listVotes(candidacy.id))[0]?.history).toHaveLength(1);
  });

  it('refuses strangers, organisers voting, another juror in a ballot room, and unknown levels', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say('@stranger:test', JURY_ROOM, '!vote 3', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain(
      'Seuls les membres du jury et les organisateurs',
    );
    await h.say(CANDIDATE, JURY_ROOM, '!decompte', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain(
      'Seuls les membres du jury et les organisateurs',
    );
    const aliceRoom = await h.ballotRoomOf(ALICE);
    await h.say(BOB, aliceRoom, '!vote #1 3');
    expect(h.messenger.last(aliceRoom).message.plain).toContain('appartient à un autre membre');
    const organiserRoom = '!org-private:test';
    await h.storage.botState.registerRoom(organiserRoom, { kind: 'jury', userId: ORGANISER });
    await h.say(ORGANISER, organiserRoom, '!vote #1 3');
    expect(h.messenger.last(organiserRoom).message.plain).toBe('Seuls les membres du jury votent.');
    await h.say(ALICE, aliceRoom, '!vote #1 9');
    expect(h.messenger.last(aliceRoom).message.plain).toContain('Niveau inconnu : « 9 »');
    await h.say(ALICE, aliceRoom, '!vote #7 3');
    expect(h.messenger.last(aliceRoom).message.plain).toBe('Aucun dossier n°7.');
    expect(await h.storage.jury.listVotes(candidacy.id)).toEqual([]);
  });

  it('accepts votes in the thread when the campaign votes are open, and names voters in the tally', async () => {
    const h = await createHarness({ openVotes: true });
    const { root } = await posted(h);
    await h.say(ALICE, JURY_ROOM, '!vote 4', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('Vote enregistré');
    await h.say(ORGANISER, JURY_ROOM, '!decompte', root);
    const tally = h.messenger.last(JURY_ROOM).message;
    expect(tally.threadRoot).toBe(root);
    expect(tally.plain).toContain(`niveau 4 : 1 █████████`);
    expect(tally.plain).toContain(`(${ALICE})`);
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
    const { candidacy } = await posted(h);
    const ballot = await h.ballotRoomOf(CAROL);
    await h.say(CAROL, ballot, '!vote #1 silver');
    expect(h.messenger.last(ballot).message.plain).toContain(': Argent.');
    expect((await h.storage.jury.listVotes(candidacy.id))[0]?.level).toBe('argent');
  });
});

describe('tallies, recusal and visibility', () => {
  it('hides the tally until one has voted, shows it privately, then to all once everyone voted', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    const rooms = Object.fromEntries(
      await Promise.all([...JURORS, PRESIDENT].map(async (j) => [j, await h.ballotRoomOf(j)] as const)),
    );
    await h.say(BOB, JURY_ROOM, '!tally', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('après avoir voté');

    await h.say(ALICE, rooms[ALICE] as string, '!vote #1 4');
    await h.say(ALICE, JURY_ROOM, '!decompte', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('envoyé dans votre salon de vote');
    const privateTally = h.messenger.last(rooms[ALICE] as string).message.plain;
    expect(privateTally).toContain('Décompte de #1');
    expect(privateTally).not.toContain(ALICE); // never who voted what

    // Carol recuses: her vote is excluded and she no longer sees the tally.
    await h.say(CAROL, rooms[CAROL] as string, '!vote #1 1');
    await h.say(CAROL, rooms[CAROL] as string, '!deport #1 je travaille pour cette commune');
    expect(h.messenger.last(rooms[CAROL] as string).message.plain).toContain("Conflit d'intérêts enregistré");
    expect(h.messenger.last(JURY_ROOM).message).toMatchObject({ threadRoot: root });
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain(`${CAROL} a déclaré un conflit d'intérêts`);
    await h.say(CAROL, rooms[CAROL] as string, '!decompte #1');
    expect(h.messenger.last(rooms[CAROL] as string).message.plain).toContain(
      'ni y voter ni voir son décompte',
    );
    await h.say(CAROL, rooms[CAROL] as string, '!vote #1 5');
    expect(h.messenger.last(rooms[CAROL] as string).message.plain).toContain('ni y voter');

    await h.say(BOB, rooms[BOB] as string, '!vote #1 2');
    const threadBefore = h.messenger.in(JURY_ROOM, root).length;
    await h.say(PRESIDENT, rooms[PRESIDENT] as string, '!abstention #1');
    await h.say(PRESIDENT, rooms[PRESIDENT] as string, '!vote #1 3');
    // Everyone (Alice 4, Bob 2, President 3; Carol recused) has voted: the tally is posted for all.
    const thread = h.messenger.in(JURY_ROOM, root).slice(threadBefore);
    const tallies = thread.filter((s) => s.message.plain.includes('Décompte de #1'));
    expect(tallies.length).toBeGreaterThanOrEqual(1);
    const tally = tallies[tallies.length - 1]?.message.plain ?? '';
    expect(tally).toContain('Tous les membres du jury non déportés ont voté');
    expect(tally).toContain('Niveau proposé (jugement majoritaire, médiane) : niveau 3');
    expect(tally).toContain('Moyenne 3');
    expect(tally).toContain('écart 2 niveau(x)');
    expect(tally).toContain('Écart important');
    expect(tally).toContain('Bulletins : 3 sur 3 (vote(s) 3, abstention(s) 0, déporté(s) 1)');
    expect(tally).toContain('Quorum atteint');
    expect(tally).not.toContain('@');
    const votes = await h.storage.jury.listVotes(candidacy.id);
    expect(votes.find((v) => v.juror === CAROL)?.status).toBe('recused');
  });

  it('ranks dossiers for organisers and explains the tie-break', async () => {
    const h = await createHarness();
    const a = await posted(h, 'Arles');
    const b = await posted(h, 'Brest');
    const vote = async (juror: string, text: string) => h.say(juror, await h.ballotRoomOf(juror), text);
    // #1: 3,3,4 -> 3+ (1/3 above). #2: 2,3,3 -> 3- (1/3 below). Same majority grade, gauge decides.
    await vote(ALICE, '!vote #1 3');
    await vote(BOB, '!vote #1 3');
    await vote(CAROL, '!vote #1 4');
    await vote(ALICE, '!vote #2 2');
    await vote(BOB, '!vote #2 3');
    await vote(CAROL, '!vote #2 3');
    await h.say(ORGANISER, JURY_ROOM, '!decompte');
    const ranking = h.messenger.last(JURY_ROOM).message;
    expect(ranking.threadRoot).toBeUndefined();
    expect(ranking.plain).toMatch(/1\. #1 Arles : niveau 3\+ 33\s%/);
    expect(ranking.plain).toMatch(/2\. #2 Brest : niveau 3− 33\s%/);
    expect(ranking.plain).toContain('#1 devant #2 : même note majoritaire');
    expect(a.root).not.toBe(b.root);
    // A juror gets their own progress instead.
    await h.say(ALICE, await h.ballotRoomOf(ALICE), '!decompte');
    const progress = h.messenger.last(await h.ballotRoomOf(ALICE)).message.plain;
    expect(progress).toContain('#1 Arles : voté niveau 3');
    expect(progress).not.toContain('niveau 3+');
  });
});

describe('decision', () => {
  async function voted(h: Harness) {
    const p = await posted(h);
    for (const [juror, level] of [
      [ALICE, 4],
      [BOB, 3],
      [CAROL, 3],
    ] as const) {
      await h.say(juror, await h.ballotRoomOf(juror), `!vote #1 ${level}`);
    }
    return p;
  }

  it('is recorded by an organiser, with a reason when not the proposed level, and closes the votes', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(ALICE, JURY_ROOM, '!decider', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('Seuls les organisateurs et la présidence');
    await h.say(ORGANISER, JURY_ROOM, '!decider 5', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('diffère du niveau proposé (niveau 3)');
    expect(await h.storage.jury.getDecision(candidacy.id)).toBeNull();

    await h.say(
      ORGANISER,
      JURY_ROOM,
      '!décider\nmentions: Coup de cœur\nmessage: Bravo <b>pour</b> votre travail !',
      root,
    );
    const decision = await h.storage.jury.getDecision(candidacy.id);
    expect(decision).toMatchObject({
      level: '3',
      mentions: ['Coup de cœur'],
      message: 'Bravo <b>pour</b> votre travail !',
      decidedBy: ORGANISER,
      publishedAt: null,
    });
    const shown = h.messenger.last(JURY_ROOM).message;
    expect(shown.threadRoot).toBe(root);
    expect(shown.plain).toContain('Décision pour #1 (Plouguerneau) : niveau 3');
    expect(shown.plain).toContain('Mentions : Coup de cœur');
    expect(shown.html).toContain('Bravo &lt;b&gt;pour&lt;/b&gt;');

    const ballot = await h.ballotRoomOf(BOB);
    await h.say(BOB, ballot, '!vote #1 5');
    expect(h.messenger.last(ballot).message.plain).toContain(
      'déjà été décidé (niveau 3) : les votes sont clos',
    );
    expect((await h.storage.jury.getVote(candidacy.id, BOB))?.level).toBe('3');

    await h.say(PRESIDENT, JURY_ROOM, '!decider', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('déjà décidé');
  });

  it('accepts another level with a reason, from the president', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(PRESIDENT, JURY_ROOM, '!decide 4 reason: outstanding pooling work', root);
    expect(await h.storage.jury.getDecision(candidacy.id)).toMatchObject({
      level: '4',
      reason: 'outstanding pooling work',
    });
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('Motif : outstanding pooling work');
  });

  it('needs the quorum', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say(ALICE, await h.ballotRoomOf(ALICE), '!vote #1 3');
    await h.say(ORGANISER, JURY_ROOM, '!decider', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain(
      'Quorum non atteint pour #1 : 1 bulletin(s) sur 3',
    );
    expect(await h.storage.jury.getDecision(candidacy.id)).toBeNull();
  });

  it('is corrected with a reason, and the correction is audited', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(ORGANISER, JURY_ROOM, '!decider', root);
    await h.say(ORGANISER, JURY_ROOM, '!corriger 4', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('demande un motif');
    await h.say(ORGANISER, JURY_ROOM, '!corriger 4\nmotif: erreur de saisie', root);
    const decision = await h.storage.jury.getDecision(candidacy.id);
    expect(decision?.level).toBe('4');
    expect(decision?.version).toBe(2);
    expect(decision?.corrections).toHaveLength(1);
    expect(decision?.corrections[0]).toMatchObject({ reason: 'erreur de saisie', by: ORGANISER });
    expect(decision?.corrections[0]?.previous.level).toBe('3');
    const shown = h.messenger.last(JURY_ROOM).message.plain;
    expect(shown).toContain('niveau 3 → niveau 4');
    expect(shown).toContain('Motif de la correction : erreur de saisie');
  });
});

describe('questions to the candidate', () => {
  it('relays a question to the candidacy room and the reply back to the thread', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    // Before any question, a free message in the candidacy room is not for the jury.
    const countBefore = h.messenger.sent.length;
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, 'Bonjour', '$chat');
    expect(h.messenger.sent.length).toBe(countBefore);
    expect(await h.service.hasWaitingQuestion(candidacy.id)).toBe(false);
    await h.say(BOB, JURY_ROOM, '!question Combien de postes <i>exactement</i> ?', root);
    expect(await h.service.hasWaitingQuestion(candidacy.id)).toBe(true);
    expect(h.notified).toHaveLength(1);
    expect(h.notified[0]?.candidacyId).toBe(candidacy.id);
    expect(h.notified[0]?.fr.plain).toContain('Le jury a une question sur votre dossier (Q1)');
    expect(h.notified[0]?.fr.plain).toContain('Combien de postes <i>exactement</i> ?');
    expect(h.notified[0]?.fr.html).toContain('&lt;i&gt;exactement');
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('Question Q1 transmise');

    const reply = '40 postes sous Debian';
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, reply, '$reply1');
    const relayed = h.messenger.last(JURY_ROOM).message;
    expect(relayed.threadRoot).toBe(root);
    expect(relayed.plain).toContain('Réponse de la candidature (@lead:test) à la question Q1');
    expect(relayed.plain).toContain('> 40 postes sous Debian');
    expect(h.notified[1]?.fr.plain).toContain('transmise au jury');
    const count = h.messenger.sent.length;
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, reply, '$reply1');
    expect(h.messenger.sent.length).toBe(count);
    // The only question is answered: later chatter stays in the candidacy room.
    expect(await h.service.hasWaitingQuestion(candidacy.id)).toBe(false);
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, 'Merci !', '$chat2');
    expect(h.messenger.sent.length).toBe(count);
    const notes = await h.storage.jury.listNotes(candidacy.id);
    expect(notes.map((n) => n.kind)).toEqual(['question', 'reply']);
  });

  it('picks the question a reply names, and keeps questions until they can be relayed', async () => {
    const h = await createHarness({ noCandidacyService: true });
    const { candidacy, root } = await posted(h);
    await h.say(BOB, JURY_ROOM, '!question Première ?', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('sera transmise');
    await h.say(ALICE, JURY_ROOM, '!ask Second?', root);
    const relayedTexts: string[] = [];
    h.ctx.services.candidacy = candidacyDouble(async (_id, renderFn) => {
      relayedTexts.push(renderFn('en').plain);
    });
    await h.service.syncDossiers(); // the catch-up at start-up
    expect(relayedTexts).toHaveLength(2);
    expect(relayedTexts[1]).toContain('(Q2)');
    await h.service.syncDossiers();
    expect(relayedTexts).toHaveLength(2);
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, 'Q2: yes we do', '$r2');
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('question Q2 « Second? »');
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('> yes we do');
  });

  it('keeps private notes and announces proposed mentions', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say(ALICE, JURY_ROOM, '!note à vérifier : la part de postes', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('jamais de la candidature');
    await h.say(BOB, JURY_ROOM, '!mention Coup de cœur', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toBe(
      `${BOB} propose la mention spéciale « Coup de cœur » pour #1.`,
    );
    await h.say(ORGANISER, JURY_ROOM, '!notes', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toContain('à vérifier : la part de postes');
    const notes = await h.storage.jury.listNotes(candidacy.id);
    expect(notes.map((n) => [n.kind, n.author])).toEqual([
      ['note', ALICE],
      ['mention', BOB],
    ]);
    expect(h.notified).toEqual([]);
  });
});

describe('reminders', () => {
  it('pings the jurors who have not voted, once per scheduled key', async () => {
    const h = await createHarness();
    await posted(h);
    await h.say(ALICE, await h.ballotRoomOf(ALICE), '!vote #1 3');
    const reminded = await h.service.remindJurors({ key: 'deadline-48h' });
    expect(reminded.sort()).toEqual([BOB, CAROL, PRESIDENT].sort());
    const message = h.messenger.last(JURY_ROOM).message;
    expect(message.mentions?.sort()).toEqual([BOB, CAROL, PRESIDENT].sort());
    expect(message.plain).toContain(`${BOB} : #1`);
    expect(message.plain).toContain('Date limite du jury');
    expect(message.html).toContain('https://matrix.to/#/');
    const count = h.messenger.sent.length;
    await h.service.remindJurors({ key: 'deadline-48h' });
    expect(h.messenger.sent.length).toBe(count);
    await h.say(ORGANISER, JURY_ROOM, '!relancer');
    expect(h.messenger.sent.length).toBe(count + 1);
  });

  it('reminds before the jury deadline: 3 days, then 1 day before, each once', async () => {
    const h = await createHarness(); // jury deadline 2026-12-01T00:00Z, clock 2026-10-20
    await posted(h);
    expect(await h.service.remindBeforeDeadline()).toEqual([]);
    h.clock.set('2026-11-28T01:00:00Z');
    expect((await h.service.remindBeforeDeadline()).sort()).toEqual([...JURORS, PRESIDENT].sort());
    const count = h.messenger.sent.length;
    expect(await h.service.remindBeforeDeadline()).toEqual([]);
    expect(h.messenger.sent.length).toBe(count);
    for (const juror of [ALICE, BOB, PRESIDENT])
      await h.say(juror, await h.ballotRoomOf(juror), '!vote #1 2');
    h.clock.set('2026-11-30T08:00:00Z');
    expect(await h.service.remindBeforeDeadline()).toEqual([CAROL]);
    expect(h.messenger.last(JURY_ROOM).message.mentions).toEqual([CAROL]);
    h.clock.set('2026-12-02T08:00:00Z');
    expect(await h.service.remindBeforeDeadline()).toEqual([]);
  });

  it('!relancer typed in a dossier thread reminds there, not in the main timeline', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    await h.say(ORGANISER, JURY_ROOM, '!relancer', root);
    const reminder = h.messenger.last(JURY_ROOM).message;
    expect(reminder.threadRoot).toBe(root);
    expect(reminder.mentions?.sort()).toEqual([...JURORS, PRESIDENT].sort());
  });

  it('a scheduled reminder with nobody to remind is done: later ticks read no dossier', async () => {
    const h = await createHarness();
    await posted(h);
    for (const juror of [...JURORS, PRESIDENT]) await h.say(juror, await h.ballotRoomOf(juror), '!vote #1 2');
    h.clock.set('2026-11-28T01:00:00Z');
    const count = h.messenger.sent.length;
    expect(await h.service.remindBeforeDeadline()).toEqual([]);
    const get = vi.spyOn(h.storage.candidacies, 'get');
    expect(await h.service.remindBeforeDeadline()).toEqual([]);
    expect(get).not.toHaveBeenCalled();
    expect(h.messenger.sent.length).toBe(count);
  });

  it('says so when everyone has voted', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    for (const juror of [...JURORS, PRESIDENT]) await h.say(juror, await h.ballotRoomOf(juror), '!vote #1 2');
    await h.say(ORGANISER, JURY_ROOM, '!relancer', root);
    expect(h.messenger.last(JURY_ROOM).message.plain).toBe('Tout le monde a voté sur les dossiers en cours.');
  });
});

describe('help and messages', () => {
  it('answers !help, sets no mentions by default and keeps HTML within the allowed tags', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    await h.say(ALICE, JURY_ROOM, '!aide', root);
    const help = h.messenger.last(JURY_ROOM).message;
    expect(help.plain).toContain('!voter [#n] <niveau>');
    expect(help.html).toContain('!voter [#n] &lt;niveau&gt;');
    for (const sent of h.messenger.sent) {
      expect(sent.message.mentions ?? []).toEqual(
        sent.message.plain.startsWith('Rappel') ? expect.anything() : [],
      );
      expectSafe(sent.message.html);
    }
  });

  it('ignores discussion and edits', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    const count = h.messenger.sent.length;
    await h.say(ALICE, JURY_ROOM, 'I think this dossier is strong', root);
    await h.say('@stranger:test', JURY_ROOM, 'hello', root);
    await h.service.handle({
      roomId: JURY_ROOM,
      kind: 'jury',
      event: {
        event_id: '$edit',
        type: 'm.room.message',
        sender: ALICE,
        origin_server_ts: 0,
        content: {
          msgtype: 'm.text',
          body: '* !vote 3',
          'm.relates_to': { rel_type: 'm.replace', event_id: '$x' },
        },
      },
    });
    expect(h.messenger.sent.length).toBe(count);
  });
});
