// The candidacy handler over the in-memory storage and a recording Messenger (which, like
// the homeserver, returns the first event for a repeated idempotency key).
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { CandidacyCatalog } from '../../../bot/candidacy/catalog.ts';
import { CandidacyHandler } from '../../../bot/candidacy/handler.ts';
import { CandidacyStarter } from '../../../bot/candidacy/start.ts';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext } from '../../../bot/context.ts';
import { createMetrics } from '../../../bot/health.ts';
import { StoredRoomDirectory } from '../../../bot/rooms.ts';
import type { RawEvent } from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { createMemoryStorage, type MemoryStorage } from '../../../storage/storage.ts';
import { loadQuestionnaireById } from '../../../flows/questionnaire.ts';
import { validAnswer } from '../../e2e/candidate.ts';
import { RecordingMessenger } from '../../doubles/recording-messenger.ts';

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
    services: {},
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
  const handler = new CandidacyHandler(ctx, catalog);
  ctx.services.candidacy = handler;
  const starter = new CandidacyStarter(ctx, catalog, new StoredRoomDirectory(storage));
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
});
