// The Messenger on top of matrix-bot-sdk. It adds what the SDK lacks: retries after
// M_LIMIT_EXCEEDED and outages, idempotent sends (stable transaction ids), splitting
// of long messages under the event size limit, and the HTML allow-list guard.
//
// Why this file is long: it is the one adapter of every Matrix call (sends with retries and
// idempotency, extras, rooms, state, profiles); split, the retry policy would be scattered.
import { createHash } from 'node:crypto';
import type { MatrixClient } from 'matrix-bot-sdk';
import type { Logger } from '../config/logging.ts';
import { escapeHtml, guardHtml } from './html-guard.ts';
import type { HomeserverPressure } from './homeserver-pressure.ts';
import type { CreateRoomOptions, Messenger, OutgoingFile, OutgoingMessage, SendOptions } from './types.ts';

/**
 * Delay between a message and its extras (poll, reactions, read receipt): about what the
 * homeserver takes to deliver the message to the room's clients, so that it does that first.
 */
export const EXTRAS_AFTER_MS = 50;

/** Content bytes per event; Synapse refuses events over 65,536 bytes in all. */
export const MAX_CONTENT_BYTES = 40_000;

export interface RetryPolicy {
  /** First backoff after a failure that is not a rate limit. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up after this long (the room's queue then moves on; the error is logged). */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  giveUpAfterMs: 10 * 60_000,
};

interface MatrixErrorLike {
  errcode?: string;
  statusCode?: number;
  retryAfterMs?: number;
  body?: { retry_after_ms?: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True for failures worth retrying: rate limits, server errors, network errors. */
export function isTransient(error: unknown): boolean {
  const e = error as MatrixErrorLike & { code?: string };
  if (e?.errcode === 'M_LIMIT_EXCEEDED') return true;
  if (typeof e?.statusCode === 'number') return e.statusCode >= 500 || e.statusCode === 429;
  return true; // no HTTP status: the request did not get an answer (network, DNS, reset)
}

export async function withRetry<T>(
  what: string,
  action: () => Promise<T>,
  logger: Logger,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  const started = Date.now();
  let delay = policy.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const e = error as MatrixErrorLike;
      if (!isTransient(error) || Date.now() - started > policy.giveUpAfterMs) throw error;
      const wait =
        e?.errcode === 'M_LIMIT_EXCEEDED'
          ? (e.retryAfterMs ?? e.body?.retry_after_ms ?? delay)
          : Math.min(delay, policy.maxDelayMs);
      logger.warn({ what, attempt, waitMs: wait, errcode: e?.errcode, status: e?.statusCode }, 'retrying');
      await sleep(wait);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}

function contentBytes(block: { plain: string; html: string }): number {
  return Buffer.byteLength(block.plain) + Buffer.byteLength(block.html) * 1.2;
}

/** Cuts a message into parts that each fit in one event. */
export function splitMessage(
  message: OutgoingMessage,
  limit = MAX_CONTENT_BYTES,
): Array<{ plain: string; html: string }> {
  if (contentBytes(message) <= limit) return [{ plain: message.plain, html: message.html }];
  const blocks = message.blocks ?? [{ plain: message.plain, html: message.html }];
  const parts: Array<{ plain: string; html: string }> = [];
  let current: { plain: string; html: string } | undefined;
  for (const block of blocks.flatMap((b) => (contentBytes(b) <= limit ? [b] : splitPlain(b.plain, limit)))) {
    if (current && contentBytes(current) + contentBytes(block) <= limit) {
      current = { plain: `${current.plain}\n\n${block.plain}`, html: current.html + block.html };
    } else {
      if (current) parts.push(current);
      current = block;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** A block too big on its own: plain lines, regrouped, each shown as escaped text. */
function splitPlain(plain: string, limit: number): Array<{ plain: string; html: string }> {
  const budget = Math.floor(limit / 3);
  const chunks: string[] = [];
  let current = '';
  for (const line of plain.split('\n')) {
    for (let i = 0; i < Math.max(line.length, 1); i += budget) {
      const piece = line.slice(i, i + budget);
      if (current && Buffer.byteLength(current) + Buffer.byteLength(piece) + 1 > budget) {
        chunks.push(current);
        current = piece;
      } else current = current ? `${current}\n${piece}` : piece;
    }
  }
  if (current) chunks.push(current);
  return chunks.map((chunk) => ({ plain: chunk, html: escapeHtml(chunk).replace(/\n/g, '<br>') }));
}

export function transactionId(key: string, part: number | string): string {
  return `tnl.${createHash('sha256').update(key).digest('hex').slice(0, 32)}.${part}`;
}

/** Extras the bot leaves out while the homeserver is slow (see homeserver-pressure.ts). */
export type Extra = 'reaction' | 'poll' | 'typing' | 'receipt';

export interface MessengerOptions {
  retry?: RetryPolicy;
  /** Judges from send times whether extras should pause; without it they never do. */
  pressure?: HomeserverPressure;
  /** Told each time an extra is left out. */
  onExtraSkipped?: (extra: Extra) => void;
  /** Told how long each event send took, from the first attempt to the homeserver's answer. */
  onSent?: (durationMs: number) => void;
}

export class MatrixMessenger implements Messenger {
  readonly userId: string;
  private readonly client: MatrixClient;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private readonly pressure: HomeserverPressure | undefined;
  private readonly onExtraSkipped: (extra: Extra) => void;
  private readonly onSent: (durationMs: number) => void;
  private counter = 0;
  /** Messages sent per room: quick replies stop once a newer message supersedes their question. */
  private readonly sentInRoom = new Map<string, number>();

  constructor(client: MatrixClient, userId: string, logger: Logger, options: MessengerOptions = {}) {
    this.client = client;
    this.userId = userId;
    this.logger = logger;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.pressure = options.pressure;
    this.onExtraSkipped = options.onExtraSkipped ?? (() => {});
    this.onSent = options.onSent ?? (() => {});
  }

  /** False (and counted) when the homeserver is too slow for this extra. */
  private extraAllowed(extra: Extra): boolean {
    if (!this.pressure?.isSlow) return true;
    this.onExtraSkipped(extra);
    return false;
  }

  private txn(options: SendOptions | undefined, part: number | string): string {
    if (options?.idempotencyKey) return transactionId(options.idempotencyKey, part);
    return `tnl.${process.pid}.${Date.now()}.${this.counter++}`;
  }

  private async sendEvent(roomId: string, type: string, content: Record<string, unknown>, txnId: string) {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`;
    const started = performance.now();
    const response = (await withRetry(
      `send ${type}`,
      () => this.client.doRequest('PUT', path, null, content),
      this.logger,
      this.retry,
    )) as { event_id: string };
    const duration = performance.now() - started;
    this.pressure?.record(duration);
    this.onSent(duration);
    return response.event_id;
  }

  async send(roomId: string, message: OutgoingMessage, options?: SendOptions): Promise<string[]> {
    const ids: string[] = [];
    const generation = (this.sentInRoom.get(roomId) ?? 0) + 1;
    this.sentInRoom.set(roomId, generation);
    const parts = splitMessage(message);
    for (const [index, part] of parts.entries()) {
      const content: Record<string, unknown> = {
        msgtype: 'm.notice',
        body: part.plain,
        format: 'org.matrix.custom.html',
        formatted_body: guardHtml(part.html),
        'm.mentions': message.mentions?.length ? { user_ids: message.mentions } : {},
      };
      if (message.threadRoot) {
        content['m.relates_to'] = {
          rel_type: 'm.thread',
          event_id: message.threadRoot,
          is_falling_back: true,
          'm.in_reply_to': { event_id: ids[ids.length - 1] ?? message.threadRoot },
        };
      }
      ids.push(await this.sendEvent(roomId, 'm.room.message', content, this.txn(options, index)));
    }
    const last = ids[ids.length - 1];
    if (last && (message.poll || message.quickReplies?.length)) {
      // The extras (poll, quick-reply reactions) are a convenience: typing the answer always
      // works. They go out in the background, a moment after the message, so that the
      // homeserver delivers the message the person waits for before it handles them, and the
      // room's next message does not wait for them. Once the bot has posted again in the room
      // (the question was answered), the rest are useless.
      const current = () => this.sentInRoom.get(roomId) === generation;
      void (async () => {
        await sleep(EXTRAS_AFTER_MS);
        if (message.poll && current() && this.extraAllowed('poll')) {
          const pollId = await this.sendPoll(roomId, message.poll, this.txn(options, 'poll'));
          options?.onPollSent?.(pollId);
        }
        const base = options?.idempotencyKey ?? last;
        for (const [index, key] of (message.quickReplies ?? []).entries()) {
          if (!current() || !this.extraAllowed('reaction')) return;
          await this.react(roomId, last, key, { idempotencyKey: `${base}:react:${index}` });
        }
      })().catch((error: unknown) =>
        this.logger.warn({ roomId, err: error }, 'poll or quick-reply reactions not all sent'),
      );
    }
    return ids;
  }

  private sendPoll(roomId: string, poll: NonNullable<OutgoingMessage['poll']>, txnId: string) {
    const fallback = [poll.question, ...poll.answers.map((a, i) => `${i + 1}. ${a.text}`)].join('\n');
    return this.sendEvent(
      roomId,
      'org.matrix.msc3381.poll.start',
      {
        'org.matrix.msc3381.poll.start': {
          question: { 'org.matrix.msc1767.text': poll.question },
          kind: 'org.matrix.msc3381.poll.disclosed',
          max_selections: poll.maxSelections,
          answers: poll.answers.map((a) => ({ id: a.id, 'org.matrix.msc1767.text': a.text })),
        },
        'org.matrix.msc1767.text': fallback,
        body: fallback,
      },
      txnId,
    );
  }

  async endPoll(roomId: string, pollEventId: string, text: string): Promise<void> {
    // After the reply that made it useless, like the other extras, but never left out while
    // the homeserver is slow: a poll left open keeps taking votes. A stable transaction id
    // makes ending it twice one event.
    await sleep(EXTRAS_AFTER_MS);
    await this.sendEvent(
      roomId,
      'org.matrix.msc3381.poll.end',
      {
        'm.relates_to': { rel_type: 'm.reference', event_id: pollEventId },
        'org.matrix.msc3381.poll.end': {},
        'org.matrix.msc1767.text': text,
        body: text,
      },
      transactionId(`poll-end:${pollEventId}`, 0),
    ).catch((error: unknown) => this.logger.warn({ roomId, pollEventId, err: error }, 'poll not ended'));
  }

  async sendFile(roomId: string, file: OutgoingFile, options?: SendOptions): Promise<string> {
    const url = await withRetry(
      'upload',
      () => this.client.uploadContent(file.data, file.mimetype, file.name),
      this.logger,
      this.retry,
    );
    const content: Record<string, unknown> = {
      msgtype: 'm.file',
      body: file.name,
      filename: file.name,
      url,
      info: { mimetype: file.mimetype, size: file.data.length },
      'm.mentions': {},
    };
    if (file.threadRoot) {
      content['m.relates_to'] = {
        rel_type: 'm.thread',
        event_id: file.threadRoot,
        is_falling_back: true,
        'm.in_reply_to': { event_id: file.threadRoot },
      };
    }
    return this.sendEvent(roomId, 'm.room.message', content, this.txn(options, 'file'));
  }

  async react(roomId: string, eventId: string, key: string, options?: SendOptions): Promise<void> {
    await this.sendEvent(
      roomId,
      'm.reaction',
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } },
      this.txn(options, 'reaction'),
    );
  }

  async createRoom(options: CreateRoomOptions): Promise<string> {
    const moderators = Object.fromEntries((options.moderators ?? []).map((user) => [user, 50]));
    return withRetry(
      'createRoom',
      () =>
        this.client.createRoom({
          name: options.name,
          ...(options.topic ? { topic: options.topic } : {}),
          invite: options.invite,
          preset: options.visibility === 'public' ? 'public_chat' : 'private_chat',
          visibility: options.visibility === 'public' ? 'public' : 'private',
          is_direct: false,
          initial_state: [
            {
              type: 'm.room.history_visibility',
              state_key: '',
              content: { history_visibility: options.history ?? 'shared' },
            },
          ],
          power_level_content_override: { users: { [this.userId]: 100, ...moderators } },
        }),
      this.logger,
      this.retry,
    );
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await withRetry('invite', () => this.client.inviteUser(userId, roomId), this.logger, this.retry);
  }

  async join(roomId: string): Promise<void> {
    await withRetry('join', () => this.client.joinRoom(roomId), this.logger, this.retry);
  }

  async isEncrypted(roomId: string): Promise<boolean> {
    // The whole state rather than the one event: a room without encryption is not an error to log.
    const state = (await withRetry(
      'state',
      () => this.client.getRoomState(roomId),
      this.logger,
      this.retry,
    )) as Array<{
      type: string;
      content?: { algorithm?: unknown };
    }>;
    return state.some(
      (event) => event.type === 'm.room.encryption' && typeof event.content?.algorithm === 'string',
    );
  }

  async setRoomName(roomId: string, name: string): Promise<void> {
    await withRetry(
      'setRoomName',
      () => this.client.sendStateEvent(roomId, 'm.room.name', '', { name }),
      this.logger,
      this.retry,
    );
  }

  async typing(roomId: string, on: boolean): Promise<void> {
    // Cosmetic: never retried, never fatal. "Stopped typing" always goes, or it would linger.
    if (on && !this.extraAllowed('typing')) return;
    await this.client.setTyping(roomId, on, 20_000).catch(() => undefined);
  }

  async readReceipt(roomId: string, eventId: string): Promise<void> {
    // Like the other extras, a moment after the reply it usually follows.
    await sleep(EXTRAS_AFTER_MS);
    if (!this.extraAllowed('receipt')) return;
    await this.client.sendReadReceipt(roomId, eventId).catch(() => undefined);
  }

  async members(roomId: string): Promise<string[]> {
    const events = await withRetry(
      'members',
      () => this.client.getRoomMembers(roomId, undefined, ['join', 'invite']),
      this.logger,
      this.retry,
    );
    return events.map((event) => event.membershipFor);
  }

  async membership(roomId: string, userId: string): Promise<string | null> {
    const content = await this.stateContent(roomId, 'm.room.member', userId);
    return typeof content?.membership === 'string' ? content.membership : null;
  }

  async roomName(roomId: string): Promise<string | null> {
    const content = await this.stateContent(roomId, 'm.room.name', '');
    return typeof content?.name === 'string' && content.name ? content.name : null;
  }

  async displayName(userId: string): Promise<string | null> {
    // Cosmetic (a room's name): an unreadable profile is no reason to fail.
    const profile = (await this.client.getUserProfile(userId).catch(() => null)) as {
      displayname?: unknown;
    } | null;
    return typeof profile?.displayname === 'string' && profile.displayname.trim()
      ? profile.displayname.trim()
      : null;
  }

  /** One state event's content, or null when the room has none of that type and key. */
  private async stateContent(
    roomId: string,
    type: string,
    stateKey: string,
  ): Promise<Record<string, unknown> | null> {
    try {
      return (await withRetry(
        'state event',
        () => this.client.getRoomStateEvent(roomId, type, stateKey),
        this.logger,
        this.retry,
      )) as Record<string, unknown>;
    } catch (error) {
      const e = error as MatrixErrorLike;
      if (e?.errcode === 'M_NOT_FOUND' || e?.statusCode === 404) return null;
      throw error;
    }
  }
}
