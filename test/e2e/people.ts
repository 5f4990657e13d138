// "A person" for end-to-end tests: a plain Matrix client (fetch against the client-server API v3),
// independent of the bot's code and of matrix-bot-sdk. Each person keeps a /sync long-poll and
// buffers every timeline event, so nothing is missed between two waits.
import { createHmac, randomBytes } from 'node:crypto';
import { progress, waitFor } from './patience.ts';

export { WaitTimeoutError } from './patience.ts';

export interface RegisteredUser {
  userId: string;
  accessToken: string;
  password: string;
  deviceId: string;
}

export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  origin_server_ts?: number;
  state_key?: string;
  unsigned?: Record<string, unknown>;
  redacts?: string;
}

export interface ReceivedMessage {
  eventId: string;
  sender: string;
  body: string;
  formattedBody: string | undefined;
  msgtype: string;
  content: Record<string, unknown>;
  event: MatrixEvent;
}

export interface WaitOptions<T> {
  /** Only from this sender (a user id). */
  from?: string;
  /**
   * The idle period, default 15 s: the wait fails once this long passed with no sign of
   * progress (a new event in any person's sync, a line from the bot), at most ten minutes.
   */
  timeoutMs?: number;
  predicate?: (item: T) => boolean;
  /** Shown in the timeout error instead of "matching predicate". */
  description?: string;
}

export interface CreateRoomOptions {
  name?: string;
  topic?: string;
  invite?: string[];
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  is_direct?: boolean;
  room_alias_name?: string;
  visibility?: 'public' | 'private';
  initial_state?: { type: string; state_key?: string; content: Record<string, unknown> }[];
  power_level_content_override?: Record<string, unknown>;
  creation_content?: Record<string, unknown>;
  [key: string]: unknown;
}

export class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;
  readonly body: unknown;

  constructor(method: string, path: string, status: number, body: unknown) {
    const errcode = isRecord(body) && typeof body.errcode === 'string' ? body.errcode : undefined;
    const error = isRecord(body) && typeof body.error === 'string' ? body.error : JSON.stringify(body);
    super(`${method} ${path} -> HTTP ${status} ${errcode ?? ''} ${error}`.replace(/\s+/g, ' ').trim());
    this.name = 'MatrixHttpError';
    this.status = status;
    this.errcode = errcode;
    this.body = body;
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function homeserverUrl(): string {
  const url = process.env.TNL_HOMESERVER_URL;
  if (!url) {
    throw new Error(
      'TNL_HOMESERVER_URL is not set: run the tests through vitest (test/global-setup.ts starts the stack) ' +
        'or eval "$(bash scripts/stack.sh env)"',
    );
  }
  return url.replace(/\/+$/, '');
}

function registrationSecret(): string {
  const secret = process.env.TNL_REGISTRATION_SECRET;
  if (!secret) throw new Error('TNL_REGISTRATION_SECRET is not set: run the tests through vitest');
  return secret;
}

/** Content fields that post a person's message in a thread, as clients do. */
export function threadReply(rootId: string): Record<string, unknown> {
  return {
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: rootId,
      is_falling_back: true,
      'm.in_reply_to': { event_id: rootId },
    },
  };
}

let nameCounter = 0;

/** A Matrix localpart unique across test files, workers and runs: prefix-pid-time-counter-random. */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9._=-]/g, '-') || 'user';
  nameCounter += 1;
  return [
    clean,
    process.pid.toString(36),
    Date.now().toString(36),
    nameCounter.toString(36),
    randomBytes(3).toString('hex'),
  ].join('-');
}

async function requestJson(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${homeserverUrl()}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // Not JSON: keep the text for the error message.
  }
  if (!response.ok) throw new MatrixHttpError(method, path.split('?')[0] ?? path, response.status, parsed);
  return parsed;
}

function stringField(value: unknown, field: string, context: string): string {
  if (isRecord(value) && typeof value[field] === 'string') return value[field];
  throw new Error(`${context}: no string "${field}" in ${JSON.stringify(value)}`);
}

/**
 * Registers a fresh user through Synapse's shared-secret admin API
 * (HMAC-SHA1 over nonce NUL user NUL password NUL admin|notadmin).
 */
export async function registerUser(
  prefix: string,
  options: { admin?: boolean; displayName?: string } = {},
): Promise<RegisteredUser> {
  const username = uniqueName(prefix);
  const password = randomBytes(12).toString('hex');
  const path = '/_synapse/admin/v1/register';
  const nonce = stringField(await requestJson('GET', path), 'nonce', 'registration nonce');
  const admin = options.admin === true;
  const mac = createHmac('sha1', registrationSecret())
    .update([nonce, username, password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const reply = await requestJson('POST', path, {
    body: { nonce, username, password, admin, mac, displayname: options.displayName ?? prefix },
  });
  return {
    userId: stringField(reply, 'user_id', 'registration'),
    accessToken: stringField(reply, 'access_token', 'registration'),
    deviceId: stringField(reply, 'device_id', 'registration'),
    password,
  };
}

function toMessage(event: MatrixEvent): ReceivedMessage {
  const content = event.content;
  return {
    eventId: event.event_id,
    sender: event.sender,
    body: typeof content.body === 'string' ? content.body : '',
    formattedBody: typeof content.formatted_body === 'string' ? content.formatted_body : undefined,
    msgtype: typeof content.msgtype === 'string' ? content.msgtype : '',
    content,
    event,
  };
}

function describeEvent(event: MatrixEvent): string {
  const body = typeof event.content.body === 'string' ? ` ${JSON.stringify(event.content.body)}` : '';
  const msgtype = typeof event.content.msgtype === 'string' ? ` ${event.content.msgtype}` : '';
  const membership =
    typeof event.content.membership === 'string'
      ? ` ${event.content.membership} ${event.state_key ?? ''}`
      : '';
  return `${event.sender}: ${event.type}${msgtype}${membership}${body}`;
}

interface Buffered<T> {
  item: T;
  consumed: boolean;
}

interface Invite {
  roomId: string;
  sender: string;
  events: MatrixEvent[];
}

const everyone = new Set<Person>();

/** Stops the sync loop of every person created in this worker (for afterAll). */
export function stopAllPeople(): void {
  for (const person of everyone) person.stop();
}

export class Person {
  readonly userId: string;
  readonly accessToken: string;
  readonly password: string;
  private readonly timelines = new Map<string, Buffered<MatrixEvent>[]>();
  private readonly receipts = new Map<string, Set<string>>();
  private readonly invites: Buffered<Invite>[] = [];
  private since: string | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private lastSyncError: string | undefined;
  private txn = 0;

  constructor(user: RegisteredUser) {
    this.userId = user.userId;
    this.accessToken = user.accessToken;
    this.password = user.password;
  }

  /** Registers a fresh user and starts following its /sync. */
  static async register(prefix: string, options: { displayName?: string } = {}): Promise<Person> {
    const person = new Person(await registerUser(prefix, options));
    await person.start();
    return person;
  }

  /** First sync (to get a position), then the long-poll loop in the background. */
  async start(): Promise<void> {
    if (this.loop) return;
    everyone.add(this);
    await this.syncOnce(0);
    this.loop = this.run();
  }

  /** Ends the sync loop; pending waits fail once their idle period is over. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    everyone.delete(this);
  }

  // --- Requests ------------------------------------------------------------------------------

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    return requestJson(method, `/_matrix/client/v3${path}`, { token: this.accessToken, body });
  }

  private nextTxnId(): string {
    this.txn += 1;
    return `${Date.now().toString(36)}-${this.txn}`;
  }

  async createRoom(options: CreateRoomOptions = {}): Promise<string> {
    const reply = await this.request('POST', '/createRoom', options);
    return stringField(reply, 'room_id', 'createRoom');
  }

  /** Opens a direct chat with `userId` the way clients do (invited, marked direct, trusted private). */
  openDirectChat(userId: string, options: CreateRoomOptions = {}): Promise<string> {
    return this.createRoom({ invite: [userId], is_direct: true, preset: 'trusted_private_chat', ...options });
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.request('POST', `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: userId });
  }

  /** Joins by room id or alias; returns the room id. */
  /** Waits for an invite (as `waitForInvite` does), joins that room and returns its id. */
  async acceptInvite(options: WaitOptions<Invite> & { roomId?: string } = {}): Promise<string> {
    return this.join(await this.waitForInvite(options));
  }

  async join(roomIdOrAlias: string): Promise<string> {
    const reply = await this.request('POST', `/join/${encodeURIComponent(roomIdOrAlias)}`, {});
    return stringField(reply, 'room_id', 'join');
  }

  async leave(roomId: string): Promise<void> {
    await this.request('POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {});
  }

  async setDisplayName(name: string): Promise<void> {
    await this.request('PUT', `/profile/${encodeURIComponent(this.userId)}/displayname`, {
      displayname: name,
    });
  }

  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    const path = `/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${this.nextTxnId()}`;
    return stringField(await this.request('PUT', path, content), 'event_id', `send ${type}`);
  }

  async sendState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`;
    return stringField(await this.request('PUT', path, content), 'event_id', `state ${type}`);
  }

  async getState(roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown>> {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`;
    const reply = await this.request('GET', path);
    return isRecord(reply) ? reply : {};
  }

  /** An m.text message; `extra` is merged into the content (format, formatted_body, m.relates_to...). */
  async sendText(roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    return this.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body, ...extra });
  }

  async sendHtml(roomId: string, body: string, html: string): Promise<string> {
    return this.sendText(roomId, body, { format: 'org.matrix.custom.html', formatted_body: html });
  }

  async sendReaction(roomId: string, eventId: string, key: string): Promise<string> {
    return this.sendEvent(roomId, 'm.reaction', {
      'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key },
    });
  }

  async redact(roomId: string, eventId: string, reason?: string): Promise<string> {
    const path = `/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${this.nextTxnId()}`;
    const reply = await this.request('PUT', path, reason === undefined ? {} : { reason });
    return stringField(reply, 'event_id', 'redact');
  }

  /** Replaces the text of one of this person's messages (m.replace), as clients do. */
  async edit(
    roomId: string,
    eventId: string,
    newBody: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    return this.sendEvent(roomId, 'm.room.message', {
      msgtype: 'm.text',
      body: `* ${newBody}`,
      'm.new_content': { msgtype: 'm.text', body: newBody, ...extra },
      'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
    });
  }

  /** Room history, oldest first (from the server, not from the sync buffer). */
  async messages(roomId: string, options: { limit?: number } = {}): Promise<MatrixEvent[]> {
    const limit = options.limit ?? 100;
    const reply = await this.request(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`,
    );
    const chunk = isRecord(reply) && Array.isArray(reply.chunk) ? (reply.chunk as MatrixEvent[]) : [];
    return chunk.reverse();
  }

  // --- Waiting -------------------------------------------------------------------------------

  /**
   * The oldest m.room.message of the room, not yet returned by an earlier wait of this person,
   * that matches; waits for it if none has arrived yet.
   */
  async nextMessage(roomId: string, options: WaitOptions<ReceivedMessage> = {}): Promise<ReceivedMessage> {
    const event = await this.nextEvent(roomId, {
      ...options,
      type: 'm.room.message',
      predicate: options.predicate ? (e) => options.predicate?.(toMessage(e)) === true : undefined,
    });
    return toMessage(event);
  }

  /** Like nextMessage for any event type (reactions, redactions, state...). */
  async nextEvent(
    roomId: string,
    options: WaitOptions<MatrixEvent> & { type?: string } = {},
  ): Promise<MatrixEvent> {
    const matches = (e: MatrixEvent): boolean =>
      (options.type === undefined || e.type === options.type) &&
      (options.from === undefined || e.sender === options.from) &&
      (options.predicate === undefined || options.predicate(e));
    const found = await this.waitFor(
      () => this.timeline(roomId).find((b) => !b.consumed && matches(b.item)),
      options.timeoutMs,
      () => {
        const what = [
          options.type ?? 'event',
          `in ${roomId}`,
          options.from ? `from ${options.from}` : '',
          options.description ?? (options.predicate ? 'matching the predicate' : ''),
        ];
        const arrived = this.timeline(roomId).slice(-30);
        const list = arrived.length
          ? arrived
              .map((b) => `  - ${describeEvent(b.item)}${b.consumed ? ' (already returned)' : ''}`)
              .join('\n')
          : '  (nothing)';
        return `the next ${what.filter(Boolean).join(' ')}.\nArrived in that room (oldest first):\n${list}`;
      },
    );
    found.consumed = true;
    return found.item;
  }

  /** Waits for an invite (to a given room, or from a given user); returns the room id. */
  async waitForInvite(options: WaitOptions<Invite> & { roomId?: string } = {}): Promise<string> {
    const matches = (i: Invite): boolean =>
      (options.roomId === undefined || i.roomId === options.roomId) &&
      (options.from === undefined || i.sender === options.from) &&
      (options.predicate === undefined || options.predicate(i));
    const found = await this.waitFor(
      () => this.invites.find((b) => !b.consumed && matches(b.item)),
      options.timeoutMs,
      () => {
        const list =
          this.invites.map((b) => `  - ${b.item.roomId} from ${b.item.sender}`).join('\n') || '  (none)';
        return `an invite${options.roomId ? ` to ${options.roomId}` : ''}${options.from ? ` from ${options.from}` : ''}.\nInvites received:\n${list}`;
      },
    );
    found.consumed = true;
    return found.item.roomId;
  }

  /**
   * Waits until `userId` has marked `eventId` read in the room (an `m.read` receipt). Every
   * event a user marked read is kept, so this also sees a receipt that arrived earlier.
   */
  async readReceiptFrom(roomId: string, userId: string, eventId: string, timeoutMs?: number): Promise<void> {
    await this.waitFor(
      () => (this.receipts.get(`${roomId} ${userId}`)?.has(eventId) ? true : undefined),
      timeoutMs,
      () => `a read receipt from ${userId} on ${eventId} in ${roomId}`,
    );
  }

  /** Marks everything received so far in the room as seen, so the next wait only sees newer events. */
  skipPending(roomId: string): void {
    for (const b of this.timeline(roomId)) b.consumed = true;
  }

  /** Keeps, per room and user, the events they marked read (from `m.receipt` ephemeral events). */
  private noteReceipts(roomId: string, events: MatrixEvent[]): void {
    for (const event of events) {
      if (event.type !== 'm.receipt') continue;
      for (const [eventId, byType] of Object.entries(event.content)) {
        const readers = isRecord(byType) && isRecord(byType['m.read']) ? Object.keys(byType['m.read']) : [];
        for (const userId of readers) {
          const key = `${roomId} ${userId}`;
          const set = this.receipts.get(key) ?? new Set<string>();
          set.add(eventId);
          this.receipts.set(key, set);
        }
      }
    }
  }

  private timeline(roomId: string): Buffered<MatrixEvent>[] {
    let list = this.timelines.get(roomId);
    if (!list) {
      list = [];
      this.timelines.set(roomId, list);
    }
    return list;
  }

  private waitFor<T>(
    find: () => T | undefined,
    timeoutMs: number | undefined,
    describe: () => string,
  ): Promise<T> {
    return waitFor(find, {
      idleMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
      who: this.userId,
      what: () => {
        const syncState = this.stopped
          ? 'The sync loop was stopped.'
          : this.lastSyncError
            ? `Last sync error: ${this.lastSyncError}`
            : '';
        return `${describe()}\n${syncState}`.trimEnd();
      },
    });
  }

  // --- Sync ----------------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.syncOnce(20_000);
        this.lastSyncError = undefined;
      } catch (error) {
        if (this.stopped) return;
        this.lastSyncError = error instanceof Error ? error.message : String(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async syncOnce(timeoutMs: number): Promise<void> {
    // A large timeline limit so that a busy room never leaves a gap between two syncs.
    const filter = JSON.stringify({ room: { timeline: { limit: 500 } }, presence: { types: [] } });
    const query = new URLSearchParams({ timeout: String(timeoutMs), filter });
    if (this.since) query.set('since', this.since);
    const reply = await requestJson('GET', `/_matrix/client/v3/sync?${query.toString()}`, {
      token: this.accessToken,
      signal: this.abort.signal,
    });
    if (this.stopped) return;
    this.since = stringField(reply, 'next_batch', 'sync');
    const rooms = isRecord(reply) && isRecord(reply.rooms) ? reply.rooms : {};
    // Every new event is a sign of progress, which also lets every pending wait look again.
    let arrived: string | undefined;
    for (const section of ['join', 'leave']) {
      const entries = isRecord(rooms[section]) ? rooms[section] : {};
      for (const [roomId, room] of Object.entries(entries)) {
        const ephemeral = isRecord(room) && isRecord(room.ephemeral) ? room.ephemeral.events : undefined;
        if (Array.isArray(ephemeral) && ephemeral.length > 0) {
          this.noteReceipts(roomId, ephemeral as MatrixEvent[]);
          arrived = `${String((ephemeral as MatrixEvent[])[0]?.type)} in ${roomId}`;
        }
        const events = isRecord(room) && isRecord(room.timeline) ? room.timeline.events : undefined;
        if (!Array.isArray(events)) continue;
        const list = this.timeline(roomId);
        for (const event of events as MatrixEvent[]) {
          list.push({ item: event, consumed: false });
          arrived = `${event.type} from ${event.sender} in ${roomId}`;
        }
      }
    }
    const invited = isRecord(rooms.invite) ? rooms.invite : {};
    for (const [roomId, room] of Object.entries(invited)) {
      const state = isRecord(room) && isRecord(room.invite_state) ? room.invite_state.events : undefined;
      const events = Array.isArray(state) ? (state as MatrixEvent[]) : [];
      const own = events.find((e) => e.type === 'm.room.member' && e.state_key === this.userId);
      this.invites.push({ item: { roomId, sender: own?.sender ?? '', events }, consumed: false });
      arrived = `an invite to ${roomId}`;
    }
    if (arrived !== undefined) progress.note(`${this.userId} received ${arrived}`);
  }
}
