// The same events delivered twice change nothing. In memory: the bot's own sync client,
// room queue, router and handlers receive one sync batch twice. Through the real stack:
// the bot restarts from an older saved sync position and receives again everything
// since; no answer is doubled and the room gets no second reply (a repeated reply
// reuses its transaction id, which the homeserver deduplicates).
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext } from '../../../bot/context.ts';
import { createHandlers } from '../../../bot/handlers.ts';
import { createMetrics } from '../../../bot/health.ts';
import { RoomQueue } from '../../../bot/room-queue.ts';
import { StoredRoomDirectory } from '../../../bot/rooms.ts';
import { Router } from '../../../bot/router.ts';
import { DurableSyncClient } from '../../../bot/sync-client.ts';
import type { RawEvent } from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { createMemoryStorage, type MemoryStorage } from '../../../storage/index.ts';
import type { Storage } from '../../../storage/storage.ts';
import { RecordingMessenger } from '../../doubles/recording-messenger.ts';
import { BotProcess } from '../bot-process.ts';
import { pollUntil, settle } from '../patience.ts';
import { answerCurrent, askedNumber, nextFromBot, seedOpenCampaign, storageFor } from '../candidate.ts';
import { stopAllPeople } from '../people.ts';
import { Candidate, errorLines, expectAlive, history, waitUntil } from './support.ts';

// --- In memory ---------------------------------------------------------------------------------

/** The bot's sync client, fed by hand instead of by the homeserver. */
class HandFedSyncClient extends DurableSyncClient {
  async deliver(batch: unknown): Promise<void> {
    await this.processSync(batch);
  }
}

interface MemoryBot {
  storage: MemoryStorage;
  messenger: RecordingMessenger;
  client: HandFedSyncClient;
  queue: RoomQueue;
  errors: unknown[];
  /** Delivers a batch and waits until it is handled and its position saved. */
  deliver(batch: unknown): Promise<void>;
}

async function memoryBot(): Promise<MemoryBot> {
  const storage = createMemoryStorage();
  const messenger = new RecordingMessenger();
  const errors: unknown[] = [];
  const config = configSchema.parse({
    homeserver: { url: 'http://127.0.0.1:9', accessToken: 'unused' },
    rooms: { lobby: '!lobby:test', jury: '!jury:test', organisers: '!organisers:test' },
  });
  const clock = new ManualClock();
  const now = clock.now().getTime();
  await storage.campaigns.create({
    year: 2026,
    name: 'Label TNL 2026',
    questionnaire: 'badge-2026',
    levels: [{ id: '1', labels: { fr: 'Niveau 1', en: 'Level 1' } }],
    opensAt: new Date(now - 86_400_000),
    closesAt: new Date(now + 30 * 86_400_000),
    status: 'open',
    by: '@organiser:test',
  });
  await storage.botState.registerRoom('!lobby:test', { kind: 'lobby' });
  const directory = new StoredRoomDirectory(storage);
  const ctx: BotContext = {
    config,
    logger: pino({ level: 'silent' }),
    messenger,
    storage,
    clock,
    metrics: createMetrics(),
    rooms: { jury: '!jury:test', organisers: '!organisers:test', lobby: '!lobby:test', announcements: null },
  };
  const handlers = createHandlers(ctx, directory);
  const router = new Router({
    botUserId: messenger.userId,
    directory,
    handlers: handlers.rooms,
    invites: handlers.invites,
    logger: ctx.logger,
    metrics: ctx.metrics,
  });
  const queue = new RoomQueue((_room, error) => errors.push(error));
  const client = new HandFedSyncClient({
    homeserverUrl: config.homeserver.url,
    accessToken: config.homeserver.accessToken,
    position: {
      load: () => storage.botState.getSyncToken(),
      save: (token) => storage.botState.setSyncToken(token),
    },
    dispatch: (delivery, initial) => queue.run(delivery.roomId, () => router.route(delivery, initial)),
  });
  client.botUserId = messenger.userId;
  return {
    storage,
    messenger,
    client,
    queue,
    errors,
    async deliver(batch) {
      await client.deliver(batch);
      await queue.drain();
      await client.positionSaved();
    },
  };
}

let counter = 0;
function event(sender: string, content: Record<string, unknown>, type = 'm.room.message'): RawEvent {
  counter++;
  return { event_id: `$in${counter}`, type, sender, origin_server_ts: Date.now() + counter, content };
}

function batch(token: string, rooms: Record<string, RawEvent[]>, invites: Record<string, RawEvent> = {}) {
  return {
    next_batch: token,
    rooms: {
      join: Object.fromEntries(
        Object.entries(rooms).map(([roomId, events]) => [roomId, { timeline: { events } }]),
      ),
      invite: Object.fromEntries(
        Object.entries(invites).map(([roomId, invite]) => [roomId, { invite_state: { events: [invite] } }]),
      ),
    },
  };
}

/** Everything a replay could change: documents, audit trails, messages that reached rooms. */
async function snapshot(bot: MemoryBot) {
  const candidacies = await bot.storage.candidacies.listByMember('@lea:test');
  const audits = await Promise.all(candidacies.map((c) => bot.storage.candidacies.listAudit(c.id)));
  return {
    candidacies: candidacies.map((c) => ({
      id: c.id,
      version: c.version,
      answers: c.answers,
      status: c.status,
    })),
    audits,
    // Copies: what had reached the rooms then, whatever happens to the objects later.
    sent: structuredClone(bot.messenger.sent),
    files: structuredClone(bot.messenger.files),
  };
}

describe('one sync batch delivered twice (in memory)', () => {
  it('changes nothing the second time: no write, no audit entry, no new message', async () => {
    const bot = await memoryBot();
    const lea = '@lea:test';
    // A direct chat: the bot is invited, creates the candidacy room and asks the first question.
    const invite = event(lea, { membership: 'invite' }, 'm.room.member');
    await bot.deliver(
      batch('s1', {}, { '!dm:test': { ...invite, state_key: bot.messenger.userId } as RawEvent }),
    );
    const [candidacy] = await bot.storage.candidacies.listByMember(lea);
    const room = candidacy?.roomId;
    if (!room) throw new Error('no candidacy room was opened');
    await bot.deliver(batch('s2', {})); // the first start is history; from now on events count

    const text = (body: string) => event(lea, { msgtype: 'm.text', body });
    const first = text('Commune de Replay');
    const answers = batch('s3', {
      [room]: [
        first,
        text('1'),
        text('Léa Martin'),
        text('!recap'),
        event(lea, {
          msgtype: 'm.text',
          body: '* Commune de Replay-sur-Mer',
          'm.new_content': { msgtype: 'm.text', body: 'Commune de Replay-sur-Mer' },
          'm.relates_to': { rel_type: 'm.replace', event_id: first.event_id },
        }),
        text('pas une adresse'),
      ],
      '!lobby:test': [text('!candidater'), text('bonjour')],
    });
    await bot.deliver(answers);
    const once = await snapshot(bot);
    expect(once.candidacies.find((c) => c.id === candidacy.id)?.answers.collectivity_name?.value).toBe(
      'Commune de Replay-sur-Mer',
    );
    expect(await bot.storage.botState.getSyncToken()).toBe('s3');
    const callsBefore = bot.messenger.calls;

    await bot.deliver(answers);
    const twice = await snapshot(bot);
    expect(twice).toEqual(once);
    // Sends repeated on the way (the last reply, to be sure it went out) reuse their key.
    expect(bot.messenger.calls).toBeGreaterThanOrEqual(callsBefore);
    expect([...bot.messenger.sent, ...bot.messenger.files].filter((e) => e.key === undefined)).toEqual([]);

    // An older batch arriving after a newer one (restart from an old position) is as harmless.
    await bot.deliver(batch('s4', { [room]: [text('dsi@exemple.fr')] }));
    const later = await snapshot(bot);
    await bot.deliver(answers);
    expect(await snapshot(bot)).toEqual(later);
    expect(bot.errors).toEqual([]);
  });
});

// --- Through the stack ---------------------------------------------------------------------------

describe('the bot restarts from an older sync position', () => {
  let bot: BotProcess;
  let storage: Storage;

  beforeAll(async () => {
    bot = await BotProcess.start();
    storage = await storageFor(bot);
    await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  });

  afterAll(async () => {
    for (const line of bot?.problems() ?? []) console.log('bot:', JSON.stringify(line).slice(0, 1500));
    stopAllPeople();
    await bot?.stop();
    await storage?.close();
  });

  it('receives everything again and doubles nothing: answers, audit, replies', async () => {
    const candidate = await Candidate.open('replay', bot);
    await candidate.answer();
    await settle(300); // the position of the batch with that answer is saved after its reply
    await bot.stop();
    const old = await storage.botState.getSyncToken();
    if (!old) throw new Error('the bot saved no sync position');
    await bot.launch();

    // After the old position: answers, a command, an edit, an invalid answer then a valid one.
    await candidate.answer();
    await candidate.answer();
    const { person, roomId } = candidate;
    await person.sendText(roomId, '!recap');
    await nextFromBot(person, bot, roomId);
    const edited = candidate.turns[1]?.eventId ?? '';
    await person.edit(roomId, edited, '2');
    await nextFromBot(person, bot, roomId);
    await person.sendText(roomId, 'pas une adresse électronique');
    await nextFromBot(person, bot, roomId);
    await candidate.answer();
    await settle(300);

    const stored = await storage.candidacies.findByRoom(roomId);
    if (!stored) throw new Error('no candidacy');
    const audit = await storage.candidacies.listAudit(stored.id);
    const before = await history(person, roomId);
    const logsFrom = bot.logs.length;

    // Back to the old position: everything since is delivered again.
    await bot.stop();
    await storage.botState.setSyncToken(old);
    await bot.launch();
    await waitUntil(
      async () => (await storage.botState.getSyncToken()) !== old,
      30_000,
      'a new sync position',
    );
    // The old events are routed again (each one counted is progress), then time to finish.
    const routed = async () => (await bot.metrics()).get('tnl_events_handled_total{kind="candidacy"}');
    await pollUntil(routed, (n) => Number(n) >= 6, { idleMs: 30_000, what: 'the old events routed again' });
    await settle(1000);

    const handled = await routed();
    expect(Number(handled), 'the old events were routed to the candidacy room again').toBeGreaterThanOrEqual(
      6,
    );
    const errors = errorLines(bot, logsFrom);
    expect(errors).toEqual([]);
    const after = await storage.candidacies.findByRoom(roomId);
    expect(after?.answers).toEqual(stored.answers);
    expect(after?.version).toBe(stored.version);
    expect(await storage.candidacies.listAudit(stored.id)).toEqual(audit);
    const now = await history(person, roomId);
    expect(now.map((e) => e.event_id)).toEqual(before.map((e) => e.event_id));

    // And the conversation goes on where it was.
    expect(askedNumber(candidate.conversation.last)).toBe(5);
    await answerCurrent(person, bot, candidate.conversation);
    expect(askedNumber(candidate.conversation.last)).toBe(6);
    await expectAlive(bot);
  });
});
