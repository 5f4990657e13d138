// The organisers' side in memory: the real handler and service over createMemoryStorage(),
// a manual clock, and a Messenger double that behaves like a homeserver for repeated
// transaction ids (same key: same event, not sent again) and can fail rooms or "crash".
import { pino } from 'pino';
import { ManualClock } from '../../../bot/clock.ts';
import type { BotContext } from '../../../bot/context.ts';
import { createMetrics } from '../../../bot/health.ts';
import { createOrganisers, type Organisers } from '../../../bot/organisers/index.ts';
import type {
  CreateRoomOptions,
  Messenger,
  OutgoingFile,
  OutgoingMessage,
  RawEvent,
  SendOptions,
} from '../../../bot/types.ts';
import { configSchema } from '../../../config/schema.ts';
import { parseQuestionnaire } from '../../../flows/questionnaire.ts';
import {
  type Candidacy,
  type CandidacyStatus,
  createMemoryStorage,
  type MemoryStorage,
} from '../../../storage/index.ts';

export const ORG_ROOM = '!organisers:test';
export const PUBLIC_ROOM = '!public:test';
export const ORGANISER = '@orga:test';
export const OTHER_ORGANISER = '@orgb:test';
export const JURORS = ['@j1:test', '@j2:test', '@j3:test'];

export const QUESTIONNAIRE = parseQuestionnaire(`
id: orga-fixture
version: 1
title: { fr: Questionnaire, en: Questionnaire }
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
        text: { fr: Distributions utilisées ?, en: Distributions used? }
      - id: tools
        type: multiple_choice
        text: { fr: Outils ?, en: Tools? }
        choices:
          - { id: libreoffice, label: { fr: LibreOffice, en: LibreOffice } }
          - { id: firefox, label: { fr: Firefox, en: Firefox } }
      - id: strategy
        type: long_text
        text: { fr: Votre stratégie ?, en: Your strategy? }
      - id: comment
        type: long_text
        required: false
        text: { fr: Un commentaire ?, en: A comment? }
`);

export interface Sent {
  roomId: string;
  message: OutgoingMessage;
  key: string | undefined;
  eventId: string;
}

/** Records sends like a homeserver: a repeated idempotency key returns the first event and sends nothing. */
export class FakeMessenger implements Messenger {
  readonly userId = '@bot:test';
  readonly sent: Sent[] = [];
  readonly files: Array<{ roomId: string; file: OutgoingFile; key: string | undefined }> = [];
  readonly #byKey = new Map<string, string[]>();
  #counter = 0;
  /** Rooms whose sends fail (e.g. the bot was kicked). */
  readonly failing = new Map<string, string>();
  /**
   * After this many more sends, the next one reaches the homeserver but the process
   * "dies" before hearing back: that send and every later one never return (and the
   * later ones never reach the homeserver), as when the bot is killed mid-broadcast.
   */
  crashAfter: number | null = null;
  #dead = false;
  #died: () => void = () => {};
  /** Resolves when the simulated process died. */
  died: Promise<void> = new Promise((resolve) => (this.#died = resolve));

  /** A new process talking to the same homeserver. */
  revive(): void {
    this.#dead = false;
    this.crashAfter = null;
    this.died = new Promise((resolve) => (this.#died = resolve));
  }

  async send(roomId: string, message: OutgoingMessage, options?: SendOptions): Promise<string[]> {
    if (this.#dead) return new Promise(() => {});
    const key = options?.idempotencyKey;
    if (key && this.#byKey.has(key)) return this.#byKey.get(key) as string[];
    const failure = this.failing.get(roomId);
    if (failure) throw Object.assign(new Error(failure), { errcode: 'M_FORBIDDEN' });
    const eventId = `$ev${++this.#counter}`;
    this.sent.push({ roomId, message, key, eventId });
    if (key) this.#byKey.set(key, [eventId]);
    if (this.crashAfter !== null) {
      if (this.crashAfter === 0) {
        this.#dead = true;
        this.#died();
        return new Promise(() => {});
      }
      this.crashAfter -= 1;
    }
    return [eventId];
  }

  async sendFile(roomId: string, file: OutgoingFile, options?: SendOptions): Promise<string> {
    const key = options?.idempotencyKey;
    if (key && this.#byKey.has(key)) return (this.#byKey.get(key) as string[])[0] as string;
    const eventId = `$ev${++this.#counter}`;
    this.files.push({ roomId, file, key });
    if (key) this.#byKey.set(key, [eventId]);
    return eventId;
  }

  async react(): Promise<void> {}
  async createRoom(_options: CreateRoomOptions): Promise<string> {
    return `!new${++this.#counter}:test`;
  }
  async invite(): Promise<void> {}
  async join(): Promise<void> {}
  async isEncrypted(): Promise<boolean> {
    return false;
  }
  async setRoomName(): Promise<void> {}
  async typing(): Promise<void> {}
  async readReceipt(): Promise<void> {}
  async members(): Promise<string[]> {
    return [];
  }

  in(roomId: string): Sent[] {
    return this.sent.filter((s) => s.roomId === roomId);
  }

  last(roomId: string): string {
    const all = this.in(roomId);
    const last = all[all.length - 1];
    if (!last) throw new Error(`nothing sent to ${roomId}`);
    return last.message.plain;
  }
}

export interface Harness {
  storage: MemoryStorage;
  messenger: FakeMessenger;
  clock: ManualClock;
  ctx: BotContext;
  organisers: Organisers;
  synced: string[];
  /** An organiser (or anyone) writes in the organisers' room; resolves once the bot is idle. */
  say(body: string, sender?: string): Promise<string>;
  /** The bot's replies to the organisers' room since the last call. */
  replies(): string[];
  /** A new bot process over the same storage and homeserver (a restart). */
  restart(): Harness;
  idle(): Promise<void>;
}

export interface HarnessOptions {
  now?: string;
  announcements?: string | null;
  campaigns?: unknown[];
  storage?: MemoryStorage;
  messenger?: FakeMessenger;
  clock?: ManualClock;
}

let eventCounter = 0;

export function createHarness(options: HarnessOptions = {}): Harness {
  const clock = options.clock ?? new ManualClock();
  if (!options.clock) clock.set(options.now ?? '2026-09-01T08:00:00Z');
  const storage = options.storage ?? createMemoryStorage({ now: () => clock.now() });
  const messenger = options.messenger ?? new FakeMessenger();
  const config = configSchema.parse({
    homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' },
    people: { organisers: [ORGANISER, OTHER_ORGANISER], jurors: JURORS },
    campaigns: options.campaigns ?? [],
  });
  const synced: string[] = [];
  const ctx: BotContext = {
    config,
    logger: pino({ level: 'silent' }),
    messenger,
    storage,
    clock,
    metrics: createMetrics(),
    rooms: {
      jury: '!jury:test',
      organisers: ORG_ROOM,
      lobby: null,
      announcements: options.announcements === undefined ? PUBLIC_ROOM : options.announcements,
    },
    services: {
      jury: {
        async syncDossiers() {
          synced.push('sync');
        },
        async relayCandidateReply() {},
      },
    },
  };
  const organisers = createOrganisers(ctx, { loadQuestionnaire: () => QUESTIONNAIRE, intervalMs: 3_600_000 });
  ctx.services.organisers = organisers.service;
  let seen = messenger.in(ORG_ROOM).length;
  const harness: Harness = {
    storage,
    messenger,
    clock,
    ctx,
    organisers,
    synced,
    async say(body, sender = ORGANISER) {
      const event: RawEvent = {
        event_id: `$in${++eventCounter}`,
        type: 'm.room.message',
        sender,
        origin_server_ts: clock.now().getTime(),
        content: { msgtype: 'm.text', body },
      };
      await Promise.race([
        (async () => {
          await organisers.handler.handle({ roomId: ORG_ROOM, kind: 'organisers', event });
          await organisers.organiserService.scheduler.idle();
        })(),
        messenger.died,
      ]);
      return event.event_id;
    },
    replies() {
      const all = messenger.in(ORG_ROOM);
      const fresh = all.slice(seen).map((s) => s.message.plain);
      seen = all.length;
      return fresh;
    },
    restart() {
      organisers.stop();
      messenger.revive();
      return createHarness({ ...options, storage, messenger, clock });
    },
    idle: () => organisers.organiserService.scheduler.idle(),
  };
  return harness;
}

export interface CandidacySpec {
  name: string;
  status?: CandidacyStatus;
  language?: string;
  answers?: Record<string, unknown>;
}

let roomCounter = 0;

/** A candidacy of the campaign with its room and answers, stored as the candidacy flow would. */
export async function addCandidacy(h: Harness, campaignId: string, spec: CandidacySpec): Promise<Candidacy> {
  const roomId = `!cand${++roomCounter}:test`;
  const { candidacy } = await h.storage.candidacies.create({
    campaignId,
    collectivite: { name: spec.name, kind: 'commune' },
    people: { lead: { userId: `@lead${roomCounter}:test` }, coEditors: [] },
    roomId,
    language: spec.language ?? 'fr',
  });
  const answers = spec.answers ?? { name: spec.name, kind: 'commune' };
  const update = await h.storage.candidacies.updateWithRetry(candidacy.id, () => ({
    by: candidacy.people.lead.userId,
    effects: Object.entries(answers).map(([questionId, value]) => ({
      kind: 'set' as const,
      questionId,
      value: value as never,
    })),
    ...(spec.status && spec.status !== 'draft' ? { status: spec.status } : {}),
  }));
  return update.candidacy;
}

export const FULL_ANSWERS = {
  name: 'Plouguerneau',
  kind: 'commune',
  population: 6500,
  uses_linux: true,
  distros: ['Debian', 'Ubuntu'],
  tools: ['libreoffice', 'firefox'],
  strategy: 'Tout en libre, "vraiment" ; même les <script>alert(1)</script>\nsur deux lignes',
};
