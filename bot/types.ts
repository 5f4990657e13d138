// Contracts between the Matrix layer and the room handlers. Handlers (candidacy,
// jury, organisers, lobby) receive parsed events and talk back through a Messenger,
// so they can be unit-tested with an in-memory Messenger and never touch the SDK.

/** A room event as the homeserver delivered it (client-server API "ClientEvent"). */
export interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

/** One message the bot sends: plain text that reads well alone, and its HTML twin. */
export interface OutgoingMessage {
  plain: string;
  html: string;
  /**
   * Optional finer cut of the same content (e.g. one block per section). When the whole
   * message is over the homeserver's event size limit, it is split between blocks.
   */
  blocks?: Array<{ plain: string; html: string }>;
  /** Users to ping (m.mentions.user_ids); empty means nobody. */
  mentions?: string[];
  /** Post in the thread of this root event. */
  threadRoot?: string;
  /** Reaction keys the bot adds to its own message as quick replies. */
  quickReplies?: string[];
  /** A poll (MSC3381) offered alongside the typed question. */
  poll?: { question: string; answers: Array<{ id: string; text: string }>; maxSelections: number };
}

export interface OutgoingFile {
  name: string;
  mimetype: string;
  data: Buffer;
  threadRoot?: string;
}

export interface SendOptions {
  /**
   * A stable key for this send. The same key always gives the same transaction id,
   * so a send repeated after a crash is deduplicated by the homeserver.
   */
  idempotencyKey?: string;
  /** Told the event id of the message's poll once it is sent (in the background, or never). */
  onPollSent?: (eventId: string) => void;
}

export interface CreateRoomOptions {
  name: string;
  topic?: string;
  invite: string[];
  /** Public rooms are joinable by anyone (lobby, announcements). */
  visibility?: 'private' | 'public';
  /** Power level 50 (moderator) for these users. */
  moderators?: string[];
  /**
   * Who may read the room's past (m.room.history_visibility): `shared` (default) lets
   * anyone who joins read it all; `invited`, only what came after their invitation.
   */
  history?: 'shared' | 'invited';
}

/** Everything a handler may do on Matrix. Implementations retry rate limits and outages. */
export interface Messenger {
  readonly userId: string;
  send(roomId: string, message: OutgoingMessage, options?: SendOptions): Promise<string[]>;
  sendFile(roomId: string, file: OutgoingFile, options?: SendOptions): Promise<string>;
  react(roomId: string, eventId: string, key: string, options?: SendOptions): Promise<void>;
  /**
   * Ends one of the bot's polls (MSC3381 `org.matrix.msc3381.poll.end`, `text` its fallback),
   * a moment later, in the background: clients then show it closed and take no more votes.
   */
  endPoll(roomId: string, pollEventId: string, text: string): Promise<void>;
  createRoom(options: CreateRoomOptions): Promise<string>;
  invite(roomId: string, userId: string): Promise<void>;
  join(roomId: string): Promise<void>;
  /** Whether the room has end-to-end encryption turned on (m.room.encryption state). */
  isEncrypted(roomId: string): Promise<boolean>;
  setRoomName(roomId: string, name: string): Promise<void>;
  typing(roomId: string, on: boolean): Promise<void>;
  readReceipt(roomId: string, eventId: string): Promise<void>;
  /** Members (joined or invited) of a room. */
  members(roomId: string): Promise<string[]>;
  /** A user's membership in a room ('join', 'invite', 'leave', 'ban'...), null if never a member. */
  membership(roomId: string, userId: string): Promise<string | null>;
  /** A room's name (m.room.name), null if it has none. */
  roomName(roomId: string): Promise<string | null>;
  /** A user's display name, null if none is set or the profile cannot be read. */
  displayName(userId: string): Promise<string | null>;
}

export type { RoomKind } from '../storage/bot-state.ts';
import type { RoomKind } from '../storage/bot-state.ts';

export interface RoutedEvent {
  roomId: string;
  kind: RoomKind;
  event: RawEvent;
}

/** Handles the events of one kind of room. Called one event at a time per room. */
export interface RoomHandler {
  handle(routed: RoutedEvent): Promise<void>;
}
