// The Messenger double of the unit and in-memory tests. It records what the bot sends and
// answers a repeated idempotency key as the homeserver answers a repeated transaction id:
// the same event ids, and nothing sent again.
import type {
  CreateRoomOptions,
  Messenger,
  OutgoingFile,
  OutgoingMessage,
  SendOptions,
} from '../../bot/types.ts';

export interface Sent {
  roomId: string;
  message: OutgoingMessage;
  key: string | undefined;
  eventId: string;
  /** The event id of the message's poll, when it has one. */
  pollEventId?: string;
}

export interface SentFile {
  roomId: string;
  file: OutgoingFile;
  key: string | undefined;
  eventId: string;
}

export interface CreatedRoom {
  roomId: string;
  options: CreateRoomOptions;
}

interface Remembered {
  ids: string[];
  pollEventId?: string;
}

export class RecordingMessenger implements Messenger {
  readonly userId = '@bot:test';
  /** Messages that reached the "homeserver" as new events, oldest first. */
  readonly sent: Sent[] = [];
  readonly files: SentFile[] = [];
  readonly rooms: CreatedRoom[] = [];
  /** Polls ended, in order. */
  readonly endedPolls: Array<{ roomId: string; pollEventId: string; text: string }> = [];
  /** invite() calls (invitations made when a room is created are in `rooms`). */
  readonly invites: Array<{ roomId: string; userId: string }> = [];
  /** Room names, as created or renamed. */
  readonly names = new Map<string, string>();
  /** People's display names (none: null, as for a person who set none). */
  readonly displayNames = new Map<string, string>();
  readonly #memberships = new Map<string, string>();
  /** Every send and sendFile call, repeated keys included. */
  calls = 0;
  /** Makes the next message sends fail, as in an outage, while > 0. */
  failNext = 0;
  /** Rooms whose message sends are refused, with the reason (e.g. the bot was kicked). */
  readonly failing = new Map<string, string>();
  readonly #byKey = new Map<string, Remembered>();
  #counter = 0;

  #nextId(): string {
    return `$ev${++this.#counter}`;
  }

  // Records before its first await, so a subclass sees `sent` grow as soon as it calls this.
  async send(roomId: string, message: OutgoingMessage, options?: SendOptions): Promise<string[]> {
    this.calls += 1;
    const key = options?.idempotencyKey;
    const known = key ? this.#byKey.get(key) : undefined;
    if (known) {
      // A repeated send repeats its poll too, under the same transaction id: the same event.
      this.#pollSent(known.pollEventId, options);
      return known.ids;
    }
    const refusal = this.failing.get(roomId);
    if (refusal) throw Object.assign(new Error(refusal), { errcode: 'M_FORBIDDEN' });
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('homeserver unreachable');
    }
    const record: Sent = { roomId, message, key, eventId: this.#nextId() };
    if (message.poll) record.pollEventId = this.#nextId();
    this.sent.push(record);
    const remembered: Remembered = { ids: [record.eventId], pollEventId: record.pollEventId };
    if (key) this.#byKey.set(key, remembered);
    this.#pollSent(record.pollEventId, options);
    return remembered.ids;
  }

  /** Like the real Messenger, tells of the poll in the background, after the send returned. */
  #pollSent(pollEventId: string | undefined, options?: SendOptions): void {
    const onPollSent = options?.onPollSent;
    if (pollEventId && onPollSent) setTimeout(() => onPollSent(pollEventId), 0);
  }

  async sendFile(roomId: string, file: OutgoingFile, options?: SendOptions): Promise<string> {
    this.calls += 1;
    const key = options?.idempotencyKey;
    const known = key ? this.#byKey.get(key) : undefined;
    if (known) return known.ids[0] as string;
    const eventId = this.#nextId();
    this.files.push({ roomId, file, key, eventId });
    if (key) this.#byKey.set(key, { ids: [eventId] });
    return eventId;
  }

  async createRoom(options: CreateRoomOptions): Promise<string> {
    const roomId = `!room${this.rooms.length + 1}:test`;
    this.rooms.push({ roomId, options });
    this.names.set(roomId, options.name);
    for (const userId of options.invite) this.#memberships.set(`${roomId} ${userId}`, 'invite');
    return roomId;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    this.invites.push({ roomId, userId });
    this.#memberships.set(`${roomId} ${userId}`, 'invite');
  }

  async membership(roomId: string, userId: string): Promise<string | null> {
    return this.#memberships.get(`${roomId} ${userId}`) ?? null;
  }

  /** Sets a person's membership, as their client would (join, leave...). */
  setMembership(roomId: string, userId: string, membership: string): void {
    this.#memberships.set(`${roomId} ${userId}`, membership);
  }

  async roomName(roomId: string): Promise<string | null> {
    return this.names.get(roomId) ?? null;
  }

  async setRoomName(roomId: string, name: string): Promise<void> {
    this.names.set(roomId, name);
  }

  async displayName(userId: string): Promise<string | null> {
    return this.displayNames.get(userId) ?? null;
  }

  /** Members of rooms the double did not create (a configured jury room...), set by the test. */
  readonly presetMembers = new Map<string, string[]>();

  /** Those invited or joined (at the room's creation or since), and the preset ones. */
  async members(roomId: string): Promise<string[]> {
    const current = [...this.#memberships]
      .filter(([key, membership]) => key.startsWith(`${roomId} `) && ['join', 'invite'].includes(membership))
      .map(([key]) => key.slice(roomId.length + 1));
    return [...new Set([...(this.presetMembers.get(roomId) ?? []), ...current])];
  }

  async isEncrypted(): Promise<boolean> {
    return false;
  }

  async endPoll(roomId: string, pollEventId: string, text: string): Promise<void> {
    this.endedPolls.push({ roomId, pollEventId, text });
  }

  async react(): Promise<void> {}
  async join(): Promise<void> {}
  async typing(): Promise<void> {}
  async readReceipt(): Promise<void> {}

  /** Messages sent to a room, oldest first; with a thread root, only that thread (null: outside threads). */
  in(roomId: string, threadRoot?: string | null): Sent[] {
    return this.sent.filter(
      (s) =>
        s.roomId === roomId && (threadRoot === undefined || (s.message.threadRoot ?? null) === threadRoot),
    );
  }

  last(roomId: string): Sent {
    const last = this.in(roomId).at(-1);
    if (!last) throw new Error(`nothing sent to ${roomId}`);
    return last;
  }
}
