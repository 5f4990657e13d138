// The candidacy handler over the in-memory storage and a recording Messenger (which, like
// the homeserver, returns the first event for a repeated idempotency key).
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { CandidacyCatalog } from '../../../bot/candidacy/catalog.ts';
import { CandidacyHandler } from '../../../bot/candidacy/handler.ts';
import { CandidacyStarter } from '../../../bot/candidacy/start.ts';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext, JuryPort } from '../../../bot/context.ts';
import { createMetrics } from '../../../bot/health.ts';
import { StoredRoomDirectory } from '../../../bot/rooms.ts';
import type { RawEvent } from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { createMemoryStorage, type MemoryStorage } from '../../../storage/storage.ts';
import { loadQuestionnaireById } from '../../../flows/questionnaire.ts';
import { validAnswer } from '../../e2e/candidate.ts';
import { RecordingMessenger } from '../../doubles/recording-messenger.ts';

/** The jury, absent here: nothing to hand over. */
const noJury: JuryPort = {
  syncDossiers: async () => {},
  relayCandidateReply: async () => {},
  hasWaitingQuestion: async () => false,
};

const LEAD = '@lead:test';
let counter = 0;

function text(sender: string, body: string, eventId = `$m${++counter}`): RawEvent {
  return {
    event_id: eventId,
    type: 'm.room.message',
    sender,
    origin_server_ts: 0,
    content: { msgtype: 'm.text', body },
  };
}

interface Setup {
  storage: MemoryStorage;
  messenger: RecordingMessenger;
  clock: ManualClock;
  handler: CandidacyHandler;
  roomId: string;
  candidacyId: string;
}

async function setup(): Promise<Setup> {
  const clock = new ManualClock();
  clock.set('2026-10-01T08:00:00Z');
  const storage = createMemoryStorage({ now: () => clock.now() });
  const messenger = new RecordingMessenger();
  const ctx: BotContext = {
    config: configSchema.parse({ homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' } }),
    logger: pino({ level: 'silent' }),
    messenger,
    storage,
    clock,
    metrics: createMetrics(),
    rooms: { jury: '!jury:test', organisers: '!org:test', lobby: null, announcements: null },
  };
  await storage.campaigns.create({
    year: 2026,
    name: 'Label 2026',
    questionnaire: 'badge-2026',
    levels: [{ id: '1', labels: { fr: 'Niveau 1', en: 'Level 1' } }],
    opensAt: new Date('2026-09-01T00:00:00Z'),
    closesAt: new Date('2026-11-01T00:00:00Z'),
    status: 'open',
    by: '@org:test',
  });
  const catalog = new CandidacyCatalog(storage);
  const handler = new CandidacyHandler(ctx, catalog, noJury);
  const starter = new CandidacyStarter(ctx, catalog, new StoredRoomDirectory(storage), handler);
  await starter.startFor(LEAD, '$start', '!dm:test', true);
  const [candidacy] = await storage.candidacies.listByMember(LEAD);
  if (!candidacy?.roomId) throw new Error('no candidacy room');
  return { storage, messenger, clock, handler, roomId: candidacy.roomId, candidacyId: candidacy.id };
}

describe('candidacy handler', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  const handle = (event: RawEvent) => s.handler.handle({ roomId: s.roomId, kind: 'candidacy', event });

  it('opens the room with the first question, saved before it is sent', async () => {
    const first = s.messenger.in(s.roomId)[0];
    expect(first?.message.plain).toMatch(/Q1\/\d+/);
    const stored = await s.storage.candidacies.require(s.candidacyId);
    expect(stored.conversation).not.toBeNull();
    expect(stored.people.lead.userId).toBe(LEAD);
  });

  it('a redelivered event changes nothing and its reply is not sent twice', async () => {
    const event = text(LEAD, 'Commune de Cahors');
    await handle(event);
    const sentAfterFirst = s.messenger.in(s.roomId).length;
    const afterFirst = await s.storage.candidacies.require(s.candidacyId);
    await handle(event);
    const afterSecond = await s.storage.candidacies.require(s.candidacyId);
    expect(afterSecond.version).toBe(afterFirst.version);
    expect(s.messenger.in(s.roomId)).toHaveLength(sentAfterFirst);
    const audit = await s.storage.candidacies.listAudit(s.candidacyId);
    expect(audit.filter((entry) => entry.eventId === event.event_id)).toHaveLength(1);
  });

  it('a reply lost in a crash is sent again, under the same key, when the event comes back', async () => {
    const event = text(LEAD, 'Commune de Figeac');
    s.messenger.failNext = 1; // the write succeeds, the reply does not go out
    await expect(handle(event)).rejects.toThrow(/unreachable/);
    expect((await s.storage.candidacies.require(s.candidacyId)).answers).toHaveProperty('collectivity_name');
    await handle(event);
    const replies = s.messenger.in(s.roomId).filter((sent) => sent.key === `reply:${event.event_id}`);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.message.plain).toMatch(/Q2\//);
  });

  it('during a database outage answers "not saved" and changes nothing', async () => {
    const before = await s.storage.candidacies.require(s.candidacyId);
    s.storage.database.setAvailable(false);
    await handle(text(LEAD, 'Commune de Rodez'));
    s.storage.database.setAvailable(true);
    const after = await s.storage.candidacies.require(s.candidacyId);
    expect(after.version).toBe(before.version);
    expect(s.messenger.last(s.roomId).message.plain).toMatch(/n'a pas pu être enregistré/);
  });

  it('refuses a stranger without touching the candidacy', async () => {
    await handle(text('@stranger:test', 'Commune pirate'));
    expect((await s.storage.candidacies.require(s.candidacyId)).answers).toEqual({});
    expect(s.messenger.last(s.roomId).message.plain).toContain('@stranger:test');
  });

  it('the campaign closing moves a submitted dossier to review through the conversation', async () => {
    // Answer everything with valid values (read the question number, as a person does), then submit.
    const questionnaire = loadQuestionnaireById('badge-2026');
    for (let i = 0; i < 40; i++) {
      const number = /\bQ(\d+)\//.exec(s.messenger.last(s.roomId).message.plain)?.[1];
      const question = number ? questionnaire.questions[Number(number) - 1] : undefined;
      if (!question) break;
      await handle(text(LEAD, validAnswer(question, 'cahors')));
      if (question.type === 'list') await handle(text(LEAD, '!fini'));
    }
    await handle(text(LEAD, '!soumettre'));
    await handle(text(LEAD, '!oui'));
    expect((await s.storage.candidacies.require(s.candidacyId)).status).toBe('submitted');

    s.clock.set('2026-11-01T00:00:01Z');
    const closed = await s.handler.applySystemEvent(
      s.candidacyId,
      { type: 'close' },
      'close:campaign',
      'system:clock',
    );
    expect(closed?.status).toBe('under_review');
    const again = await s.handler.applySystemEvent(
      s.candidacyId,
      { type: 'close' },
      'close:campaign',
      'system:clock',
    );
    expect(again?.version).toBe(closed?.version);
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('one quick widget per question: a poll for a choice, ✅ ❌ for yes/no; the poll ended once answered', async () => {
    await handle(text(LEAD, 'Commune de Cahors'));
    const choice = s.messenger.last(s.roomId);
    expect(choice.message.quickReplies).toBeUndefined();
    expect(choice.message.poll?.answers.map((a) => a.id)).toEqual([
      'collectivity_kind/commune',
      'collectivity_kind/epci',
      'collectivity_kind/departement',
      'collectivity_kind/region',
      'collectivity_kind/other_public_body',
    ]);
    expect(choice.message.poll?.question).toBe('Réponse rapide à la Q2');
    await settle();
    // Refused and asked again: the open poll still works, no second one.
    await handle(text(LEAD, '9'));
    expect(s.messenger.last(s.roomId).message.poll).toBeUndefined();
    expect(s.messenger.endedPolls).toEqual([]);
    await handle(text(LEAD, '2'));
    expect(s.messenger.endedPolls).toEqual([
      { roomId: s.roomId, pollEventId: choice.pollEventId, text: 'Sondage clos : la Q2 a reçu sa réponse.' },
    ]);
    const questionnaire = loadQuestionnaireById('badge-2026');
    for (let i = 0; i < 10; i++) {
      const number = /\bQ(\d+)\//.exec(s.messenger.last(s.roomId).message.plain)?.[1];
      const question = number ? questionnaire.questions[Number(number) - 1] : undefined;
      if (!question || question.type === 'yes_no') break;
      await handle(text(LEAD, validAnswer(question, 'cahors')));
      if (question.type === 'list') await handle(text(LEAD, '!fini'));
    }
    const yesNo = s.messenger.last(s.roomId);
    expect(yesNo.message.quickReplies).toEqual(['✅', '❌']);
    expect(yesNo.message.poll).toBeUndefined();
    // A ✅ on it answers it; a ❌ afterwards is answered, and changes nothing.
    const reaction = (key: string): RawEvent => ({
      event_id: `$r${++counter}`,
      type: 'm.reaction',
      sender: LEAD,
      origin_server_ts: 0,
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: yesNo.eventId, key } },
    });
    await handle(reaction('✅'));
    expect((await s.storage.candidacies.require(s.candidacyId)).answers.uses_linux_workstations?.value).toBe(
      true,
    );
    await handle(reaction('❌'));
    expect(s.messenger.last(s.roomId).message.plain).toMatch(
      /^La Q7 a déjà une réponse : Oui\. Pour la changer : !modifier 7\n\nQuestion en cours, Q8 : /,
    );
    expect((await s.storage.candidacies.require(s.candidacyId)).answers.uses_linux_workstations?.value).toBe(
      true,
    );
  });

  it('a vote in a poll from before a restart is answered and that poll ended', async () => {
    await handle(text(LEAD, 'Commune de Cahors'));
    await handle(text(LEAD, '1'));
    await handle({
      event_id: `$v${++counter}`,
      type: 'org.matrix.msc3381.poll.response',
      sender: LEAD,
      origin_server_ts: 0,
      content: {
        'm.relates_to': { rel_type: 'm.reference', event_id: '$old-poll' },
        'org.matrix.msc3381.poll.response': { answers: ['collectivity_kind/epci'] },
      },
    });
    expect(s.messenger.last(s.roomId).message.plain).toContain('La Q2 a déjà une réponse : Commune.');
    expect((await s.storage.candidacies.require(s.candidacyId)).answers.collectivity_kind?.value).toBe(
      'commune',
    );
    expect(s.messenger.endedPolls.map((p) => p.pollEventId)).toContain('$old-poll');
  });

  it("the language chosen is saved with its event: lost from the person's settings, it still holds", async () => {
    await handle(text(LEAD, '!langue en'));
    const stored = await s.storage.candidacies.require(s.candidacyId);
    expect((stored.conversation?.state as { languages?: Record<string, string> }).languages).toEqual({
      [LEAD]: 'en',
    });
    // As if the bot had died before copying it to the person's settings.
    await s.storage.botState.setLanguage(LEAD, 'fr');
    const fresh = new CandidacyHandler(
      (s.handler as unknown as { ctx: BotContext }).ctx,
      new CandidacyCatalog(s.storage),
      noJury,
    );
    await fresh.handle({ roomId: s.roomId, kind: 'candidacy', event: text(LEAD, '!help') });
    expect(s.messenger.last(s.roomId).message.plain).toContain('Commands you can use');
  });

  it('a refusal outside the conversation (a file, an over-long message) ends with the current question', async () => {
    await handle({
      event_id: `$f${++counter}`,
      type: 'm.room.message',
      sender: LEAD,
      origin_server_ts: 0,
      content: { msgtype: 'm.file', body: 'a.pdf', url: 'mxc://x/y' },
    });
    expect(s.messenger.last(s.roomId).message.plain).toMatch(/\n\nQuestion en cours, Q1 : [^\n]+$/);
    await handle(text(LEAD, 'x'.repeat(25_000)));
    expect(s.messenger.last(s.roomId).message.plain).toMatch(/trop long[\s\S]*\n\nQuestion en cours, Q1 : /);
    expect((await s.storage.candidacies.require(s.candidacyId)).answers).toEqual({});
  });
});
