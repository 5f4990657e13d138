// Dossiers reaching the jury: the root message and thread, the ballot rooms, edits while
// provisional, withdrawal, the dossier becoming final (at closing or confirmed early), help.
import { describe, expect, it } from 'vitest';
import { CANDIDATE, createHarness, JURORS, JURY_ROOM, ORGANISER, PRESIDENT } from './fixture.ts';
import { AFTER_CLOSING, closeCampaign, expectSafe, inBallot, lastText, posted } from './helpers.ts';

const [ALICE, BOB] = JURORS as [string, string];
const ALL_JURORS = [...JURORS, PRESIDENT];

describe('dossier handoff', () => {
  it('posts one root message per dossier, provisional until closing, and the full dossier in its thread', async () => {
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
    expect(rootText).toMatch(/Dossier provisoire : .* jusqu'au 1 novembre 2026/);
    expect(rootText).not.toContain('Dossier définitif');

    const thread = h.messenger.in(JURY_ROOM, root);
    expect(thread.map((s) => s.message.plain.split('\n')[0])).toEqual([
      expect.stringContaining('Dossier complet'),
      '1. IDENTIFICATION',
      '2. LOGICIELS LIBRES',
    ]);
    const tech = thread[2]?.message;
    expect(tech?.plain).toContain('• Debian');
    expect(tech?.html).toContain('&lt;script&gt;');
    expect(tech?.html).not.toContain('<script>');
    for (const sent of h.messenger.sent) expectSafe(sent.message.html);

    expect(h.messenger.files).toHaveLength(1);
    const file = h.messenger.files[0];
    expect(file?.file.threadRoot).toBe(root);
    expect(file?.file.name).toBe('dossier-1-plouguerneau.html');
    const html = file?.file.data.toString('utf8') ?? '';
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toContain('Tout en logiciel libre &lt;script&gt;');

    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.post).toMatchObject({
      rootEventId: root,
      postedVersion: candidacy.version,
      votingOpenedAt: null,
    });
    expect(record?.number).toBe(1);
  });

  it('says "Dossier définitif" on a dossier posted after closing', async () => {
    const h = await createHarness();
    h.clock.set(AFTER_CLOSING);
    const { candidacy } = await posted(h);
    const rootText = h.messenger.in(JURY_ROOM, null)[0]?.message.plain ?? '';
    expect(rootText).toContain('Dossier définitif');
    expect(rootText).not.toContain('provisoire');
    expect((await h.storage.jury.get(candidacy.id))?.post.votingOpenedAt).not.toBeNull();
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

  it('posts what changed when the candidate edits the provisional dossier', async () => {
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
    expectSafe(update.message.html);
    expect(h.messenger.files).toHaveLength(2);
    expect(h.messenger.files[1]?.file.data.toString()).toContain('Une stratégie revue');
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.post.postedVersion).toBe(edited.candidacy.version);
    expect(record?.post.updates).toHaveLength(1);
    const count = h.messenger.sent.length;
    await h.service.syncDossiers(candidacy.id);
    expect(h.messenger.sent.length).toBe(count);
  });

  it('finishes an interrupted post after a failure without doubling the root message', async () => {
    const h = await createHarness();
    await posted(h, 'Rennes'); // creates the ballot rooms first
    const other = await h.submit('Brest');
    // The root goes out, then the homeserver fails in the middle of the thread.
    const send = h.messenger.send.bind(h.messenger);
    let calls = 0;
    h.messenger.send = async (roomId, message, options) => {
      calls += 1;
      if (calls === 3) throw new Error('homeserver unreachable');
      return send(roomId, message, options);
    };
    await h.service.syncDossiers(other.id); // logged, not thrown at the candidate's room
    expect((await h.storage.jury.get(other.id))?.post.postedVersion).toBeNull();
    h.messenger.send = send;
    await h.service.syncDossiers();
    expect(h.messenger.in(JURY_ROOM, null)).toHaveLength(2);
    const root = await h.rootOf(other.id);
    expect(h.messenger.in(JURY_ROOM, root).map((s) => s.message.plain.split('\n')[0])).toEqual([
      expect.stringContaining('Dossier complet'),
      '1. IDENTIFICATION',
      '2. LOGICIELS LIBRES',
    ]);
    expect((await h.storage.jury.get(other.id))?.post.postedVersion).toBe(other.version);
  });

  it('tells the thread when a posted candidacy is withdrawn and refuses votes on it', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.storage.candidacies.update(candidacy, { by: CANDIDATE, status: 'withdrawn' });
    await h.service.syncDossiers(candidacy.id);
    expect(h.messenger.last(JURY_ROOM).message).toMatchObject({ threadRoot: root });
    expect(lastText(h, JURY_ROOM)).toContain('retirée');
    await closeCampaign(h);
    const ballot = await inBallot(h, ALICE, '!vote #1 3');
    expect(lastText(h, ballot)).toContain('retirée');
    expect((await h.storage.jury.get(candidacy.id))?.ballots).toEqual([]);
  });
});

describe('ballot rooms', () => {
  it('gives each juror a private room named after them, registered for routing, invited and welcomed once', async () => {
    const h = await createHarness();
    h.messenger.displayNames.set(ALICE, 'Alice Martin');
    await posted(h);
    expect(h.messenger.rooms.map((r) => r.options.name)).toContain('Vote du jury – Alice Martin');
    expect(h.messenger.rooms.map((r) => r.options.name)).toContain(`Vote du jury – ${BOB}`);
    expect(h.messenger.rooms.every((r) => r.options.invite.length === 0)).toBe(true);
    for (const juror of ALL_JURORS) {
      const room = await h.ballotRoomOf(juror);
      expect(await h.storage.botState.getRoom(room)).toMatchObject({ kind: 'ballot', userId: juror });
      expect(h.messenger.invites).toContainEqual({ roomId: room, userId: juror });
      expect(h.messenger.in(room)).toHaveLength(1);
      expect(h.messenger.in(room)[0]?.message.plain).toContain('isoloir');
      expectSafe(h.messenger.in(room)[0]?.message.html ?? '');
    }
    const welcome = h.messenger.in(await h.ballotRoomOf(ALICE))[0]?.message.plain ?? '';
    expect(welcome).toContain('Bonjour Alice Martin');
    // Still provisional: to read now, the vote opens at closing.
    expect(welcome).toContain('À lire dès maintenant');
    expect(welcome).toContain('#1 Plouguerneau');
    expect(welcome).toContain('!voter #1 3');
    await posted(h, 'Brest');
    expect(h.messenger.in(await h.ballotRoomOf(ALICE))).toHaveLength(1);
    expect(h.messenger.rooms).toHaveLength(ALL_JURORS.length);
  });

  it('welcomes a juror with the dossiers waiting for their vote, with real numbers in the examples', async () => {
    const h = await createHarness();
    h.clock.set(AFTER_CLOSING);
    h.messenger.displayNames.set(BOB, 'Bruno Le Gall');
    await h.submit('Arles'); // not handed to the jury yet
    const brest = await h.submit('Brest');
    await h.service.syncDossiers(brest.id);
    const welcome = h.messenger.in(await h.ballotRoomOf(BOB))[0]?.message.plain ?? '';
    expect(h.messenger.rooms.map((r) => r.options.name)).toContain('Vote du jury – Bruno Le Gall');
    expect(welcome).toContain('Bonjour Bruno Le Gall');
    expect(welcome).toContain('En attente de votre vote');
    expect(welcome).toContain('#1 Brest');
    expect(welcome).toContain('!voter #1 3');
    expect(welcome).toContain('!abstention #1');
    expect(welcome).not.toContain('<numéro>');
  });

  it('welcomes with generic examples when no dossier has reached the jury', async () => {
    const h = await createHarness();
    await h.service.reconcile();
    const welcome = h.messenger.in(await h.ballotRoomOf(ALICE))[0]?.message.plain ?? '';
    expect(welcome).toContain('Aucun dossier pour l');
    expect(welcome).toContain('!voter #<numéro> <niveau>');
  });
});

describe('voting opens', () => {
  it('at closing: one message in the jury room and one per ballot room, once', async () => {
    const h = await createHarness();
    const a = await posted(h, 'Arles');
    const b = await posted(h, 'Brest');
    await closeCampaign(h);
    const announcements = h.messenger
      .in(JURY_ROOM, null)
      .filter((s) => s.message.plain.includes('le vote est ouvert'));
    expect(announcements).toHaveLength(1);
    expect(announcements[0]?.message.plain).toContain('« Label 2026 »');
    expect(announcements[0]?.message.plain).toContain('#1, #2');
    for (const juror of ALL_JURORS) {
      const notices = h.messenger
        .in(await h.ballotRoomOf(juror))
        .filter((s) => s.message.plain.includes('Le vote est ouvert'));
      expect(notices).toHaveLength(1);
      expect(notices[0]?.message.plain).toContain('2 dossiers');
      expect(notices[0]?.message.plain).toContain('#1 Arles');
      expect(notices[0]?.message.plain).toContain('#2 Brest');
      expectSafe(notices[0]?.message.html ?? '');
    }
    const recorded = await h.storage.juryReminders.get(`voting-open:${h.campaignId}`);
    expect(recorded?.jurors.sort()).toEqual([...ALL_JURORS].sort());
    for (const { candidacy } of [a, b]) {
      expect((await h.storage.jury.get(candidacy.id))?.post.votingOpenedAt).not.toBeNull();
    }
    // Another sync, a clock jump, a restart: nothing more.
    const count = h.messenger.sent.length;
    await h.service.syncDossiers();
    await h.service.reconcile();
    h.clock.set('+3600000');
    await h.service.syncDossiers();
    expect(h.messenger.sent.length).toBe(count);
    // Now votes are taken.
    const ballot = await inBallot(h, ALICE, '!vote #2 4');
    expect(lastText(h, ballot)).toContain('Vote enregistré pour #2 (Brest) : niveau 4');
  });

  it('announces nothing before closing', async () => {
    const h = await createHarness();
    await posted(h);
    const count = h.messenger.sent.length;
    await h.service.syncDossiers();
    expect(h.messenger.sent.length).toBe(count);
    expect(await h.storage.juryReminders.get(`voting-open:${h.campaignId}`)).toBeNull();
  });

  it('early, on one dossier the candidate confirmed final: its thread and each ballot room, once', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await posted(h, 'Brest');
    await h.storage.candidacies.update(candidacy, { by: CANDIDATE, status: 'under_review' });
    await h.service.syncDossiers(candidacy.id);
    const inThread = h.messenger.in(JURY_ROOM, root).at(-1)?.message.plain ?? '';
    expect(inThread).toContain('Dossier #1 définitif');
    for (const juror of ALL_JURORS) {
      const last = lastText(h, await h.ballotRoomOf(juror));
      expect(last).toContain('Le vote est ouvert sur 1 dossier');
      expect(last).toContain('#1 Plouguerneau');
    }
    const count = h.messenger.sent.length;
    await h.service.syncDossiers();
    expect(h.messenger.sent.length).toBe(count);
    const ballot = await inBallot(h, ALICE, '!vote #1 4');
    expect(lastText(h, ballot)).toContain('Vote enregistré pour #1');
    await h.say(ALICE, ballot, '!vote #2 4');
    expect(lastText(h, ballot)).toContain('#2 (Brest) est encore provisoire');
  });
});

describe('help and messages', () => {
  it('answers !help, sets no mentions by default and keeps HTML within the allowed tags', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    await closeCampaign(h);
    await h.say(ALICE, JURY_ROOM, '!aide', root);
    const help = h.messenger.last(JURY_ROOM).message;
    expect(help.plain).toContain('!voter [#n] <niveau>');
    expect(help.html).toContain('!voter [#n] &lt;niveau&gt;');
    await h.say(ORGANISER, JURY_ROOM, '!relancer', root);
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
    await h.service.handler.handle({
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
