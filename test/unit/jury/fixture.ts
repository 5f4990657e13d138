// A jury in memory: the real JuryService over createMemoryStorage() and the shared
// recording Messenger double.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext } from '../../../bot/context.ts';
import { createMetrics } from '../../../bot/health.ts';
import { CandidacyCatalog } from '../../../bot/candidacy/catalog.ts';
import { JuryService } from '../../../bot/jury/index.ts';
import type { RawEvent } from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { type Candidacy, createMemoryStorage, type MemoryStorage } from '../../../storage/index.ts';
import { questionnaireYaml } from '../../doubles/questionnaire.ts';
import { RecordingMessenger } from '../../doubles/recording-messenger.ts';

export const QUESTIONNAIRE_YAML = questionnaireYaml('jury-fixture');

export function questionnaireFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jury-test-'));
  const file = join(dir, 'questionnaire.yaml');
  writeFileSync(file, QUESTIONNAIRE_YAML);
  return file;
}

export const JURY_ROOM = '!jury:test';
export const ORGANISERS_ROOM = '!org:test';
export const ORGANISER = '@org:test';
export const PRESIDENT = '@president:test';
export const JURORS = ['@alice:test', '@bob:test', '@carol:test'];
export const CANDIDATE = '@lead:test';

export interface Harness {
  service: JuryService;
  storage: MemoryStorage;
  messenger: RecordingMessenger;
  clock: ManualClock;
  ctx: BotContext;
  /** Messages the jury sent to candidacy rooms, oldest first. */
  readonly notified: Array<{ roomId: string; key: string | undefined; plain: string; html: string }>;
  campaignId: string;
  /** Sends an m.text message as `sender` in `roomId` (in a thread when given). */
  say(sender: string, roomId: string, body: string, threadRoot?: string): Promise<string>;
  /** A submitted candidacy with answers. */
  submit(name: string, answers?: Record<string, unknown>): Promise<Candidacy>;
  ballotRoomOf(juror: string): Promise<string>;
  rootOf(candidacyId: string): Promise<string>;
}

export interface HarnessOptions {
  openVotes?: boolean;
  quorum?: number;
  levels?: Array<{ id: string; labels: Record<string, string> }>;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock();
  clock.set('2026-10-20T08:00:00Z');
  const storage = createMemoryStorage({ now: () => clock.now() });
  const messenger = new RecordingMessenger();
  const config = configSchema.parse({
    homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' },
    people: { organisers: [ORGANISER], jurors: JURORS, juryPresident: PRESIDENT },
    jury: { quorum: options.quorum ?? 2 / 3, openVotes: options.openVotes ?? false, spreadAlert: 2 },
  });
  const ctx: BotContext = {
    config,
    logger: pino({ level: 'silent' }),
    messenger,
    clock,
    metrics: createMetrics(),
    rooms: { jury: JURY_ROOM, organisers: ORGANISERS_ROOM, lobby: null, announcements: null },
    storage,
  };
  await storage.botState.registerRoom(JURY_ROOM, { kind: 'jury' });
  // The configured rooms, as the bot invites people to them: the jury and the organisers.
  messenger.presetMembers.set(JURY_ROOM, [...JURORS, PRESIDENT, ORGANISER]);
  messenger.presetMembers.set(ORGANISERS_ROOM, [ORGANISER]);
  const campaign = await storage.campaigns.create({
    year: 2026,
    name: 'Label 2026',
    questionnaire: questionnaireFile(),
    levels:
      options.levels ??
      [1, 2, 3, 4, 5].map((n) => ({ id: String(n), labels: { fr: `niveau ${n}`, en: `level ${n}` } })),
    timeZone: 'Europe/Paris',
    opensAt: new Date('2026-09-01T00:00:00Z'),
    closesAt: new Date('2026-11-01T00:00:00Z'),
    juryDeadline: new Date('2026-12-01T00:00:00Z'),
    status: 'open',
    by: ORGANISER,
  });
  const service = new JuryService(ctx, new CandidacyCatalog(storage));
  let eventCounter = 0;

  const harness: Harness = {
    service,
    storage,
    messenger,
    clock,
    ctx,
    get notified() {
      return messenger.sent
        .filter((m) => m.roomId.startsWith('!cand-'))
        .map((m) => ({ roomId: m.roomId, key: m.key, plain: m.message.plain, html: m.message.html }));
    },
    campaignId: campaign.id,
    async say(sender, roomId, body, threadRoot) {
      eventCounter += 1;
      const event: RawEvent = {
        event_id: `$in${eventCounter}`,
        type: 'm.room.message',
        sender,
        origin_server_ts: clock.now().getTime(),
        content: {
          msgtype: 'm.text',
          body,
          ...(threadRoot ? { 'm.relates_to': { rel_type: 'm.thread', event_id: threadRoot } } : {}),
        },
      };
      await service.handler.handle({ roomId, kind: roomId === JURY_ROOM ? 'jury' : 'ballot', event });
      return event.event_id;
    },
    async submit(name, answers = {}) {
      const all: Record<string, unknown> = {
        name,
        kind: 'commune',
        population: 6500,
        uses_linux: true,
        distros: ['Debian', 'Ubuntu'],
        strategy: 'Tout en logiciel libre <script>alert(1)</script>',
        ...answers,
      };
      const { candidacy } = await storage.candidacies.create({
        campaignId: campaign.id,
        collectivite: { name, kind: 'commune' },
        people: { lead: { userId: CANDIDATE, name: 'Léa Dupont' }, coEditors: [] },
        roomId: `!cand-${name.replace(/\W/g, '')}:test`,
        language: 'fr',
      });
      const result = await storage.candidacies.update(candidacy, {
        by: CANDIDATE,
        effects: Object.entries(all).map(([questionId, value]) => ({
          kind: 'set' as const,
          questionId,
          value: value as never,
        })),
        status: 'submitted',
      });
      return result.candidacy;
    },
    async ballotRoomOf(juror) {
      const room = await storage.ballotRooms.get(juror);
      if (!room) throw new Error(`no ballot room for ${juror}`);
      return room.roomId;
    },
    async rootOf(candidacyId) {
      const root = (await storage.jury.get(candidacyId))?.post.rootEventId;
      if (!root) throw new Error(`dossier ${candidacyId} not posted`);
      return root;
    },
  };
  return harness;
}
