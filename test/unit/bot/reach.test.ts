// The lobby and direct chats over the in-memory storage and a recording Messenger: a person's
// candidacies are found, the person is invited back where they left, a second start asks first.
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
import { RecordingMessenger } from '../../doubles/recording-messenger.ts';

/** The jury, absent here: nothing to hand over. */
const noJury: JuryPort = {
  syncDossiers: async () => {},
  relayCandidateReply: async () => {},
  hasWaitingQuestion: async () => false,
};

const CAM = '@cam:test';
const DM = '!dm:test';
const LOBBY = '!lobby:test';
let counter = 0;

function text(sender: string, body: string): RawEvent {
  return {
    event_id: `$m${++counter}`,
    type: 'm.room.message',
    sender,
    origin_server_ts: 0,
    content: { msgtype: 'm.text', body },
  };
}

let storage: MemoryStorage;
let messenger: RecordingMessenger;
let starter: CandidacyStarter;

beforeEach(async () => {
  const clock = new ManualClock();
  clock.set('2026-10-01T08:00:00Z');
  storage = createMemoryStorage({ now: () => clock.now() });
  messenger = new RecordingMessenger();
  messenger.displayNames.set(CAM, 'Camille Martin');
  const ctx: BotContext = {
    config: configSchema.parse({ homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' } }),
    logger: pino({ level: 'silent' }),
    messenger,
    storage,
    clock,
    metrics: createMetrics(),
    rooms: { jury: '!jury:test', organisers: '!org:test', lobby: LOBBY, announcements: null },
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
  starter = new CandidacyStarter(
    ctx,
    catalog,
    new StoredRoomDirectory(storage),
    new CandidacyHandler(ctx, catalog, noJury),
  );
  await starter.startFor(CAM, '$hello', DM, true);
});

const say = (roomId: string, body: string) =>
  starter.handle({ roomId, kind: roomId === LOBBY ? 'lobby' : 'dm', event: text(CAM, body) });
const mine = () => storage.candidacies.listByMember(CAM);
const firstRoom = async () => (await mine())[0]?.roomId ?? '';

describe('a person with a candidacy', () => {
  it('gets a room named after them, and the greeting names it', async () => {
    expect(messenger.rooms[0]?.options.name).toBe('Candidature de Camille Martin – Label 2026');
    expect(messenger.last(DM).message.plain).toContain('« Candidature de Camille Martin – Label 2026 »');
  });

  it('is told where it is in the direct chat, and invited back only after leaving', async () => {
    const room = await firstRoom();
    messenger.setMembership(room, CAM, 'join');
    await say(DM, 'bonjour');
    expect(messenger.last(DM).message.plain).toMatch(
      /Votre candidature en cours[\s\S]*vous êtes dans ce salon/,
    );
    expect(messenger.invites).toEqual([]);

    messenger.setMembership(room, CAM, 'leave');
    await say(DM, '!soumettre');
    const where = messenger.last(DM).message;
    expect(where.plain).toMatch(/invité·e de nouveau/);
    expect(where.plain).toContain('!candidater pour commencer une candidature ou retrouver la vôtre');
    expect(where.html).toMatch(/^<p>.*<\/p><ul><li>.*<\/li><\/ul><p>/);
    expect(messenger.invites).toEqual([{ roomId: room, userId: CAM }]);
    expect(await mine()).toHaveLength(1);
  });

  it('asks before a second candidacy, and opens it, numbered, only on !nouvelle', async () => {
    await say(DM, '!candidater');
    expect(messenger.last(DM).message.plain).toMatch(/!continuer[\s\S]*!nouvelle/);
    expect(await mine()).toHaveLength(1);
    await say(DM, '!nouvelle');
    expect(await mine()).toHaveLength(2);
    expect(messenger.rooms[1]?.options.name).toBe('Candidature n° 2 de Camille Martin – Label 2026');
    expect(messenger.last(DM).message.plain).toMatch(/autre collectivité/);
  });

  it('in the public lobby, is invited back without the room being named', async () => {
    const room = await firstRoom();
    await storage.candidacies.updateWithRetry((await mine())[0]?.id ?? '', () => ({
      by: 'test',
      collectivite: { name: 'Commune de Secret', kind: 'commune' },
    }));
    messenger.setMembership(room, CAM, 'leave');
    await say(LOBBY, '!candidater');
    expect(messenger.last(LOBBY).message.plain).toMatch(/^Camille Martin, vous avez déjà une candidature/);
    await say(LOBBY, '!continuer');
    expect(messenger.last(LOBBY).message.plain).not.toContain('Secret');
    expect(messenger.invites).toEqual([{ roomId: room, userId: CAM }]);
    await say(LOBBY, 'on discute ici');
    expect(messenger.in(LOBBY)).toHaveLength(2);
  });

  it('a redelivered start does the same again and opens nothing more', async () => {
    const sent = messenger.sent.length;
    await starter.startFor(CAM, '$hello', DM, true);
    expect(await mine()).toHaveLength(1);
    expect(messenger.sent).toHaveLength(sent);
  });
});
