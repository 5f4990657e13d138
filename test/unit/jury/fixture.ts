// A jury in memory: the real JuryService over createMemoryStorage() and a Messenger
// double that records what the bot sends (and gives stable event ids per idempotency
// key, as the homeserver does for a repeated transaction id).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext, BotServices } from '../../../bot/context.ts';
import { createMetrics } from '../../../bot/health.ts';
import { JuryService } from '../../../bot/jury/service.ts';
import type {
  CreateRoomOptions,
  Messenger,
  OutgoingFile,
  OutgoingMessage,
  RawEvent,
  SendOptions,
} from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { type Candidacy, createMemoryStorage, type MemoryStorage } from '../../../storage/index.ts';

export const QUESTIONNAIRE_YAML = `
id: jury-fixture
version: 1
title: { fr: Questionnaire du jury, en: Jury questionnaire }
identification:
  title: { fr: Identification, en: Identification }
  questions:
    - id: name
      role: collectivity_name
      type: short_text
      text: { fr: Nom de la collectivité ?, en: Name of the local authority? }
    - id: kind
      role: collectivity_kind
      type: single_choice
      text: { fr: Type ?, en: Kind? }
      choices:
        - { id: commune, label: { fr: Commune, en: Municipality } }
        - { id: epci, label: { fr: Intercommunalité, en: Inter-municipal body } }
    - id: population
      role: population
      type: integer
      text: { fr: Population ?, en: Population? }
sections:
  - id: tech
    title: { fr: Logiciels libres, en: Free software }
    questions:
      - id: uses_linux
        type: yes_no
        text: { fr: Postes sous GNU/Linux ?, en: Workstations on GNU/Linux? }
      - id: distros
        type: list
        when: { question: uses_linux, equals: true }
        text: { fr: Distributions ?, en: Distributions? }
      - id: strategy
        type: long_text
        text: { fr: Votre stratégie ?, en: Your strategy? }
`;

export function questionnaireFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jury-test-'));
  const file = join(dir, 'questionnaire.yaml');
  writeFileSync(file, QUESTIONNAIRE_YAML);
  return file;
}

export interface Sent {
  roomId: string;
  message: OutgoingMessage;
  key: string | undefined;
  eventId: string;
}

export interface SentFile {
  roomId: string;
  file: OutgoingFile;
  key: string | undefined;
  eventId: string;
}

/** Records sends; a repeated idempotency key returns the first event id and is not recorded twice. */
export class FakeMessenger implements Messenger {
  readonly userId = '@bot:test';
  readonly sent: Sent[] = [];
  readonly files: SentFile[] = [];
  readonly rooms: Array<{ roomId: string; options: CreateRoomOptions }> = [];
  readonly invites: Array<{ roomId: string; userId: string }> = [];
  private readonly byKey = new Map<string, string[]>();
  private counter = 0;
  /** Makes the next sends fail (simulating an outage) while > 0. */
  failNext = 0;

  private nextId(): string {
    this.counter += 1;
    return `$ev${this.counter}`;
  }

  async send(roomId: string, message: OutgoingMessage, options?: SendOptions): Promise<string[]> {
    const key = options?.idempotencyKey;
    if (key && this.byKey.has(key)) return this.byKey.get(key) as string[];
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('homeserver unreachable');
    }
    const eventId = this.nextId();
    this.sent.push({ roomId, message, key, eventId });
    if (key) this.byKey.set(key, [eventId]);
    return [eventId];
  }

  async sendFile(roomId: string, file: OutgoingFile, options?: SendOptions): Promise<string> {
    const key = options?.idempotencyKey;
    if (key && this.byKey.has(key)) return (this.byKey.get(key) as string[])[0] as string;
    const eventId = this.nextId();
    this.files.push({ roomId, file, key, eventId });
    if (key) this.byKey.set(key, [eventId]);
    return eventId;
  }

  async react(): Promise<void> {}

  async createRoom(options: CreateRoomOptions): Promise<string> {
    const roomId = `!room${this.rooms.length + 1}:test`;
    this.rooms.push({ roomId, options });
    return roomId;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    this.invites.push({ roomId, userId });
  }

  async join(): Promise<void> {}
  async isEncrypted(): Promise<boolean> {
    return false;
  }
  async setRoomName(): Promise<void> {}
  async typing(): Promise<void> {}
  async readReceipt(): Promise<void> {}

  async members(roomId: string): Promise<string[]> {
    return this.invites.filter((i) => i.roomId === roomId).map((i) => i.userId);
  }

  /** Messages sent to a room (optionally in one thread), oldest first. */
  in(roomId: string, threadRoot?: string | null): Sent[] {
    return this.sent.filter(
      (s) =>
        s.roomId === roomId && (threadRoot === undefined || (s.message.threadRoot ?? null) === threadRoot),
    );
  }

  last(roomId: string): Sent {
    const all = this.in(roomId);
    const last = all[all.length - 1];
    if (!last) throw new Error(`nothing sent to ${roomId}`);
    return last;
  }
}

type CandidacyService = NonNullable<BotServices['candidacy']>;

/**
 * The candidacy side as the jury uses it: only `notify`. The other methods of the
 * service are no-ops (the cast keeps this double valid when the service grows).
 */
export function candidacyDouble(notify: CandidacyService['notify']): CandidacyService {
  const noop = async () => {};
  return { notify, sendStoredOutbox: noop, applySystemEvent: noop } as unknown as CandidacyService;
}

export const JURY_ROOM = '!jury:test';
export const ORGANISER = '@org:test';
export const PRESIDENT = '@president:test';
export const JURORS = ['@alice:test', '@bob:test', '@carol:test'];
export const CANDIDATE = '@lead:test';

export interface Harness {
  service: JuryService;
  storage: MemoryStorage;
  messenger: FakeMessenger;
  clock: ManualClock;
  ctx: BotContext;
  notified: Array<{ candidacyId: string; key: string; fr: { plain: string; html: string } }>;
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
  /** Leave out the candidacy service (questions cannot be relayed yet). */
  noCandidacyService?: boolean;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock();
  clock.set('2026-10-20T08:00:00Z');
  const storage = createMemoryStorage({ now: () => clock.now() });
  const messenger = new FakeMessenger();
  const config = configSchema.parse({
    homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' },
    people: { organisers: [ORGANISER], jurors: JURORS, juryPresident: PRESIDENT },
    jury: { quorum: options.quorum ?? 2 / 3, openVotes: options.openVotes ?? false, spreadAlert: 2 },
  });
  const notified: Harness['notified'] = [];
  const services: BotServices = {};
  if (!options.noCandidacyService) {
    services.candidacy = candidacyDouble(async (candidacyId, renderFn, key) => {
      if (notified.some((n) => n.key === key)) return;
      notified.push({ candidacyId, key, fr: renderFn('fr') });
    });
  }
  const ctx: BotContext = {
    config,
    logger: pino({ level: 'silent' }),
    messenger,
    clock,
    metrics: createMetrics(),
    rooms: { jury: JURY_ROOM, organisers: '!org:test', lobby: null, announcements: null },
    services,
    storage,
  };
  await storage.botState.registerRoom(JURY_ROOM, { kind: 'jury' });
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
  const service = new JuryService(ctx);
  services.jury = service;
  let eventCounter = 0;

  const harness: Harness = {
    service,
    storage,
    messenger,
    clock,
    ctx,
    notified,
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
      await service.handle({ roomId, kind: 'jury', event });
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
      const value = await storage.botState.getValue(`jury:ballot:${juror}`);
      if (typeof value !== 'string') throw new Error(`no ballot room for ${juror}`);
      return value;
    },
    async rootOf(candidacyId) {
      const dossier = await storage.jury.getDossier(candidacyId);
      if (!dossier) throw new Error(`dossier ${candidacyId} not posted`);
      return dossier.rootEventId;
    },
  };
  return harness;
}
