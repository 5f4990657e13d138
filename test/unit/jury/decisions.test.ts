// Decisions and corrections, questions to the candidate, notes and mentions, reminders
// and their scheduler.
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../bot/clock.ts';
import { startSerialScheduler } from '../../../bot/jury/reminders.ts';
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

/** A final dossier on which Alice voted 4, Bob and Carol 3 (the president has not voted). */
async function voted(h: Harness) {
  const p = await posted(h);
  await closeCampaign(h);
  for (const [juror, level] of [
    [ALICE, 4],
    [BOB, 3],
    [CAROL, 3],
  ] as const) {
    await inBallot(h, juror, `!vote #1 ${level}`);
  }
  return p;
}

describe('decision', () => {
  it('needs a final dossier', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say(ORGANISER, JURY_ROOM, '!decider 3', root);
    expect(lastText(h, JURY_ROOM)).toContain('#1 (Plouguerneau) est encore provisoire');
    expect(lastText(h, JURY_ROOM)).toContain('1 novembre 2026');
    expect(lastText(h, JURY_ROOM)).toContain('une décision demande un dossier définitif');
    expect(await h.storage.jury.getDecision(candidacy.id)).toBeNull();
  });

  it('is recorded by an organiser, with a reason when not the proposed level, and closes the votes', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(ALICE, JURY_ROOM, '!decider', root);
    expect(lastText(h, JURY_ROOM)).toContain('Seuls les organisateurs et la présidence');
    // The jury room may not show the distribution yet: the refusal does not name the proposed level.
    await h.say(ORGANISER, JURY_ROOM, '!decider 5', root);
    expect(lastText(h, JURY_ROOM)).toBe(
      "Ce niveau n'est pas le niveau proposé par le jury : ajoutez une ligne « motif : … ».",
    );
    await inBallot(h, PRESIDENT, '!abstention #1');
    await h.say(ORGANISER, JURY_ROOM, '!decider 5', root);
    expect(lastText(h, JURY_ROOM)).toContain('diffère du niveau proposé (niveau 3)');
    expect(await h.storage.jury.getDecision(candidacy.id)).toBeNull();

    await h.say(
      ORGANISER,
      JURY_ROOM,
      '!décider\nmentions: Coup de cœur\nmessage: Bravo <b>pour</b> votre travail !',
      root,
    );
    expect(await h.storage.jury.getDecision(candidacy.id)).toMatchObject({
      level: '3',
      mentions: ['Coup de cœur'],
      message: 'Bravo <b>pour</b> votre travail !',
      decidedBy: ORGANISER,
      publishedAt: null,
      postedVersion: 1,
    });
    const inThread = h.messenger
      .in(JURY_ROOM, root)
      .filter((s) => s.message.plain.includes('Décision pour #1'));
    expect(inThread).toHaveLength(1); // typed in the thread: not echoed twice
    const shown = inThread[0]?.message;
    expect(shown?.plain).toContain('Décision pour #1 (Plouguerneau) : niveau 3');
    expect(shown?.plain).toContain('Mentions : Coup de cœur');
    expect(shown?.html).toContain('Bravo &lt;b&gt;pour&lt;/b&gt;');
    expectSafe(shown?.html ?? '');

    const ballot = await inBallot(h, BOB, '!vote #1 5');
    expect(lastText(h, ballot)).toContain('déjà été décidé (niveau 3) : les votes sont clos');
    expect((await h.storage.jury.get(candidacy.id))?.ballots.find((b) => b.juror === BOB)?.level).toBe('3');
    await h.say(ORGANISER, JURY_ROOM, '!decider', root);
    expect(lastText(h, JURY_ROOM)).toContain('déjà décidé');
  });

  it('typed outside the thread: shown there and in the thread', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(ORGANISER, JURY_ROOM, '!decider #1');
    expect(lastText(h, JURY_ROOM)).toContain('Décision pour #1');
    expect(h.messenger.in(JURY_ROOM, root).at(-1)?.message.plain).toContain('Décision pour #1');
    expect((await h.storage.jury.getDecision(candidacy.id))?.level).toBe('3');
  });

  it('by the president, who is a juror, only after casting a ballot', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(PRESIDENT, JURY_ROOM, '!decide 4 reason: outstanding pooling work', root);
    expect(lastText(h, JURY_ROOM)).toContain('votez ou abstenez-vous sur #1 avant de décider');
    expect(await h.storage.jury.getDecision(candidacy.id)).toBeNull();
    await inBallot(h, PRESIDENT, '!vote #1 4');
    await h.say(PRESIDENT, JURY_ROOM, '!decide 4 reason: outstanding pooling work', root);
    expect(await h.storage.jury.getDecision(candidacy.id)).toMatchObject({
      level: '4',
      reason: 'outstanding pooling work',
      decidedBy: PRESIDENT,
    });
    expect(lastText(h, JURY_ROOM)).toContain('Motif : outstanding pooling work');
  });

  it('applies a redelivered decision event once: one decision, one post in the thread', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    const event = {
      event_id: '$decide',
      type: 'm.room.message',
      sender: ORGANISER,
      origin_server_ts: 0,
      content: { msgtype: 'm.text', body: '!decider #1' },
    };
    await h.service.handler.handle({ roomId: JURY_ROOM, kind: 'jury', event });
    const sent = h.messenger.sent.length;
    const version = (await h.storage.jury.get(candidacy.id))?.version;
    await h.service.handler.handle({ roomId: JURY_ROOM, kind: 'jury', event });
    expect(h.messenger.sent.length).toBe(sent);
    expect((await h.storage.jury.get(candidacy.id))?.version).toBe(version);
    expect(
      h.messenger.in(JURY_ROOM, root).filter((s) => s.message.plain.includes('Décision pour #1')),
    ).toHaveLength(1);
  });

  it('needs the quorum', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await closeCampaign(h);
    await inBallot(h, ALICE, '!vote #1 3');
    await h.say(ORGANISER, JURY_ROOM, '!decider', root);
    expect(lastText(h, JURY_ROOM)).toContain('Quorum non atteint pour #1 : 1 bulletin sur 3 requis');
    expect(await h.storage.jury.getDecision(candidacy.id)).toBeNull();
  });

  it('is corrected with a reason, and the correction is audited', async () => {
    const h = await createHarness();
    const { candidacy, root } = await voted(h);
    await h.say(ORGANISER, JURY_ROOM, '!decider', root);
    await h.say(ORGANISER, JURY_ROOM, '!corriger 4', root);
    expect(lastText(h, JURY_ROOM)).toContain('demande un motif');
    await h.say(ORGANISER, JURY_ROOM, '!corriger 3\nmotif: rien', root);
    expect(lastText(h, JURY_ROOM)).toContain('Rien à corriger');
    await h.say(ORGANISER, JURY_ROOM, '!corriger 4\nmotif: erreur de saisie', root);
    const decision = await h.storage.jury.getDecision(candidacy.id);
    expect(decision?.level).toBe('4');
    expect(decision?.version).toBe(2);
    expect(decision?.postedVersion).toBe(2);
    expect(decision?.corrections).toHaveLength(1);
    expect(decision?.corrections[0]).toMatchObject({ reason: 'erreur de saisie', by: ORGANISER });
    expect(decision?.corrections[0]?.previous.level).toBe('3');
    const shown = lastText(h, JURY_ROOM);
    expect(shown).toContain('niveau 3 → niveau 4');
    expect(shown).toContain('Motif de la correction : erreur de saisie');
  });
});

describe('questions to the candidate', () => {
  it('relays a question to the candidacy room and the reply back to the thread, while provisional', async () => {
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
    expect(h.notified[0]?.roomId).toBe(candidacy.roomId);
    expect(h.notified[0]?.plain).toContain('Le jury a une question sur votre dossier (Q1)');
    expect(h.notified[0]?.plain).toContain('Combien de postes <i>exactement</i> ?');
    expect(h.notified[0]?.html).toContain('&lt;i&gt;exactement');
    expectSafe(h.notified[0]?.html ?? '');
    expect(lastText(h, JURY_ROOM)).toContain('Question Q1 transmise');

    const reply = '40 postes sous Debian';
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, reply, '$reply1');
    const relayed = h.messenger.last(JURY_ROOM).message;
    expect(relayed.threadRoot).toBe(root);
    expect(relayed.plain).toContain('Réponse de la candidature (@lead:test) à la question Q1');
    expect(relayed.plain).toContain('40 postes sous Debian');
    expectSafe(relayed.html);
    expect(h.notified[1]?.plain).toContain('transmise au jury');
    const count = h.messenger.sent.length;
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, reply, '$reply1');
    expect(h.messenger.sent.length).toBe(count);
    // The only question is answered: later chatter stays in the candidacy room.
    expect(await h.service.hasWaitingQuestion(candidacy.id)).toBe(false);
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, 'Merci !', '$chat2');
    expect(h.messenger.sent.length).toBe(count);
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.questions).toHaveLength(1);
    expect(record?.questions[0]?.reply).toMatchObject({ text: reply, eventId: '$reply1' });
  });

  it('picks the question a reply names', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say(BOB, JURY_ROOM, '!question Première ?', root);
    await h.say(ALICE, JURY_ROOM, '!ask Second?', root);
    expect(h.notified.map((n) => n.plain)).toEqual([
      expect.stringContaining('(Q1)'),
      expect.stringContaining('(Q2)'),
    ]);
    await h.service.relayCandidateReply(candidacy.id, CANDIDATE, 'Q2: yes we do', '$r2');
    expect(lastText(h, JURY_ROOM)).toContain('question Q2 « Second? »');
    expect(lastText(h, JURY_ROOM)).toContain('yes we do');
    expect(lastText(h, JURY_ROOM)).not.toContain('Q2: yes');
    expect(await h.service.hasWaitingQuestion(candidacy.id)).toBe(true); // Q1 still waits
  });

  it('keeps a question the candidacy room refused, without saying the command failed, and relays it later once', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    const room = candidacy.roomId as string;
    h.messenger.failing.set(room, 'M_FORBIDDEN');
    await h.say(BOB, JURY_ROOM, '!question Combien de postes ?', root);
    expect(lastText(h, JURY_ROOM)).toContain('Question Q1 transmise');
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('erreur'))).toBe(false);
    expect((await h.storage.jury.get(candidacy.id))?.questions[0]?.relayedAt).toBeNull();
    h.messenger.failing.delete(room);
    await h.service.syncDossiers();
    await h.service.syncDossiers();
    expect(h.notified.filter((n) => n.plain.includes('Combien de postes ?'))).toHaveLength(1);
    expect((await h.storage.jury.get(candidacy.id))?.questions[0]?.relayedAt).not.toBeNull();
  });

  it('keeps private notes and announces proposed mentions', async () => {
    const h = await createHarness();
    const { candidacy, root } = await posted(h);
    await h.say(ALICE, JURY_ROOM, '!note à vérifier : la part de postes', root);
    expect(lastText(h, JURY_ROOM)).toContain('jamais de la candidature');
    await h.say(BOB, JURY_ROOM, '!mention Coup de cœur', root);
    expect(lastText(h, JURY_ROOM)).toBe(`${BOB} propose la mention spéciale « Coup de cœur » pour #1.`);
    await h.say(ORGANISER, JURY_ROOM, '!notes', root);
    expect(lastText(h, JURY_ROOM)).toContain('à vérifier : la part de postes');
    const record = await h.storage.jury.get(candidacy.id);
    expect(record?.notes.map((n) => [n.kind, n.author])).toEqual([
      ['note', ALICE],
      ['mention', BOB],
    ]);
    expect(h.notified).toEqual([]);
  });
});

describe('reminders', () => {
  it('ping the jurors who have not voted on final dossiers, once per key', async () => {
    const h = await createHarness();
    await posted(h);
    expect(await h.service.reminders.remindJurors({ key: 'early' })).toEqual([]); // provisional: nothing to vote yet
    await closeCampaign(h);
    await inBallot(h, ALICE, '!vote #1 3');
    const reminded = await h.service.reminders.remindJurors({ key: 'deadline-48h' });
    expect(reminded.sort()).toEqual([BOB, CAROL, PRESIDENT].sort());
    const message = h.messenger.last(JURY_ROOM).message;
    expect(message.mentions?.sort()).toEqual([BOB, CAROL, PRESIDENT].sort());
    expect(message.plain).toContain(`${BOB} : #1`);
    expect(message.plain).toContain('Date limite du jury');
    expect(message.html).toContain('https://matrix.to/#/');
    expectSafe(message.html);
    const count = h.messenger.sent.length;
    await h.service.reminders.remindJurors({ key: 'deadline-48h' });
    expect(h.messenger.sent.length).toBe(count);
    await h.say(ORGANISER, JURY_ROOM, '!relancer');
    expect(h.messenger.sent.length).toBe(count + 1);
  });

  it('before the jury deadline: 3 days, then 1 day before, each once', async () => {
    const h = await createHarness(); // jury deadline 2026-12-01T00:00Z
    await posted(h);
    await closeCampaign(h);
    expect(await h.service.reminders.remindBeforeDeadline()).toEqual([]);
    h.clock.set('2026-11-28T01:00:00Z');
    expect((await h.service.reminders.remindBeforeDeadline()).sort()).toEqual([...JURORS, PRESIDENT].sort());
    const count = h.messenger.sent.length;
    expect(await h.service.reminders.remindBeforeDeadline()).toEqual([]);
    expect(h.messenger.sent.length).toBe(count);
    for (const juror of [ALICE, BOB, PRESIDENT]) await inBallot(h, juror, '!vote #1 2');
    h.clock.set('2026-11-30T08:00:00Z');
    expect(await h.service.reminders.remindBeforeDeadline()).toEqual([CAROL]);
    expect(h.messenger.last(JURY_ROOM).message.mentions).toEqual([CAROL]);
    h.clock.set('2026-12-02T08:00:00Z');
    expect(await h.service.reminders.remindBeforeDeadline()).toEqual([]);
  });

  it('!relancer typed in a dossier thread reminds there, not in the main timeline', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    await closeCampaign(h);
    await h.say(ORGANISER, JURY_ROOM, '!relancer', root);
    const reminder = h.messenger.last(JURY_ROOM).message;
    expect(reminder.threadRoot).toBe(root);
    expect(reminder.mentions?.sort()).toEqual([...JURORS, PRESIDENT].sort());
  });

  it('a scheduled reminder with nobody to remind is done: later ticks read no dossier', async () => {
    const h = await createHarness();
    await posted(h);
    await closeCampaign(h);
    for (const juror of [...JURORS, PRESIDENT]) await inBallot(h, juror, '!vote #1 2');
    h.clock.set('2026-11-28T01:00:00Z');
    const count = h.messenger.sent.length;
    expect(await h.service.reminders.remindBeforeDeadline()).toEqual([]);
    const list = vi.spyOn(h.storage.jury, 'listByCampaign');
    expect(await h.service.reminders.remindBeforeDeadline()).toEqual([]);
    expect(list).not.toHaveBeenCalled();
    expect(h.messenger.sent.length).toBe(count);
  });

  it('says so when everyone has voted', async () => {
    const h = await createHarness();
    const { root } = await posted(h);
    await closeCampaign(h);
    for (const juror of [...JURORS, PRESIDENT]) await inBallot(h, juror, '!vote #1 2');
    await h.say(ORGANISER, JURY_ROOM, '!relancer', root);
    expect(lastText(h, JURY_ROOM)).toBe('Tout le monde a voté sur les dossiers en cours.');
  });
});

describe('the serial scheduler', () => {
  it('never runs two checks at once: a tick during a check is followed by one more check', async () => {
    const clock = new ManualClock();
    let running = 0;
    let most = 0;
    let runs = 0;
    const releases: Array<() => void> = [];
    const check = async () => {
      runs += 1;
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running -= 1;
    };
    const errors: unknown[] = [];
    const stop = startSerialScheduler(check, clock, (e) => errors.push(e), 3_600_000);
    clock.set('+1000'); // starts a check
    clock.set('+1000'); // while it runs: one more afterwards
    clock.set('+1000'); // ...still only one more
    expect(runs).toBe(1);
    releases.shift()?.();
    await vi.waitFor(() => expect(runs).toBe(2));
    expect(running).toBe(1);
    releases.shift()?.();
    await vi.waitFor(() => expect(running).toBe(0));
    expect(runs).toBe(2);
    expect(most).toBe(1);
    stop();
    clock.set('+1000');
    expect(runs).toBe(2);
    expect(errors).toEqual([]);
  });

  it('keeps going after a failed check', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    let runs = 0;
    const stop = startSerialScheduler(
      async () => {
        runs += 1;
        if (runs === 1) throw new Error('database down');
      },
      clock,
      (e) => errors.push(e),
      3_600_000,
    );
    clock.set('+1000');
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    clock.set('+1000');
    await vi.waitFor(() => expect(runs).toBe(2));
    expect(errors).toHaveLength(1);
    stop();
  });
});
