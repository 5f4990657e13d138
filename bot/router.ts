// Sends each delivered event to the one handler responsible for its room, after the
// checks every room shares: not our own event, not another bot's notice, not history
// from before the bot first started, a room the bot manages.
import type { Logger } from '../config/logging.ts';
import { StorageUnavailableError } from '../storage/errors.ts';
import type { ProcessedEventRepository } from '../storage/events.ts';
import type { Metrics } from './health.ts';
import type { SyncDelivery } from './sync-client.ts';
import type { RawEvent, RoomHandler, RoomKind } from './types.ts';

export interface RoomDirectory {
  /** The kind of a room the bot manages, or undefined for any other room. */
  kindOf(roomId: string): Promise<RoomKind | undefined>;
}

export interface InviteHandler {
  handleInvite(roomId: string, invite: RawEvent): Promise<void>;
}

/** Told to a person whose message could not be handled because the database is down. */
export type OutageReply = (roomId: string, event: RawEvent) => Promise<void>;

export interface RouterOptions {
  botUserId: string;
  directory: RoomDirectory;
  handlers: Partial<Record<RoomKind, RoomHandler>>;
  invites: InviteHandler;
  logger: Logger;
  metrics: Metrics;
  /** Answers a message that arrived while the database could not be reached. */
  onOutage?: OutageReply;
  /**
   * Events already handled in rooms whose handlers do not record them with their effects
   * (every room but candidacy rooms, whose single write records the event id). A sync batch
   * delivered again after a restart then changes nothing there either.
   */
  processed?: Pick<ProcessedEventRepository, 'isProcessed' | 'markProcessed'>;
}

/** Events worth a handler's attention; receipts, typing and most state are not. */
const HANDLED_TYPES = new Set([
  'm.room.message',
  'm.reaction',
  'm.room.redaction',
  'm.room.member',
  'org.matrix.msc3381.poll.response',
  'm.poll.response',
  'm.room.encrypted',
]);

export function shouldIgnore(event: RawEvent, botUserId: string): string | undefined {
  if (event.sender === botUserId) return 'own event';
  if (!HANDLED_TYPES.has(event.type)) return 'event type not handled';
  if (event.type === 'm.room.message' && event.content?.msgtype === 'm.notice')
    return 'notice from another bot';
  // Joins, and leaves (which matter in candidacy rooms only: see route).
  const membership = event.content?.membership;
  if (event.type === 'm.room.member' && membership !== 'join' && membership !== 'leave')
    return 'membership change';
  return undefined;
}

const RECORDS_OWN_EVENTS: readonly RoomKind[] = ['candidacy', 'jury', 'ballot'];

export class Router {
  private readonly options: RouterOptions;

  constructor(options: RouterOptions) {
    this.options = options;
  }

  async route(delivery: SyncDelivery, initial: boolean): Promise<void> {
    const { logger, metrics } = this.options;
    if (delivery.kind === 'invite') {
      // Invitations are pending state, not history: answer them even on the first sync.
      await this.options.invites.handleInvite(delivery.roomId, delivery.event);
      return;
    }
    if (delivery.kind === 'leave' || initial) return;
    const { event, roomId } = delivery;
    const ignored = shouldIgnore(event, this.options.botUserId);
    if (ignored) return;
    let kind: RoomKind | undefined;
    try {
      kind = await this.options.directory.kindOf(roomId);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      logger.warn({ roomId, eventId: event.event_id, err: error }, 'event not handled: database unavailable');
      if (event.type === 'm.room.message') await this.options.onOutage?.(roomId, event);
      return;
    }
    if (!kind) {
      logger.debug({ roomId, eventId: event.event_id }, 'event from a room the bot does not manage');
      return;
    }
    // Someone leaving a candidacy room is told how to come back; elsewhere a leave needs nothing.
    if (event.type === 'm.room.member' && event.content?.membership === 'leave' && kind !== 'candidacy')
      return;
    const handler = this.options.handlers[kind];
    if (!handler) return;
    // Candidacies and jury dossiers record the events they applied in the same write as
    // the effect (and re-send a redelivered event's replies with the same transaction ids),
    // so only the other rooms need the processed-events log (two more round trips each).
    const recorded = RECORDS_OWN_EVENTS.includes(kind) ? undefined : this.options.processed;
    if (recorded && (await recorded.isProcessed(event.event_id))) return;
    const stop = metrics.handlingSeconds.startTimer({ kind });
    try {
      await handler.handle({ roomId, kind, event });
      await recorded?.markProcessed(event.event_id, { roomId, handler: kind });
      metrics.eventsHandled.inc({ kind });
    } catch (error) {
      metrics.errors.inc({ where: kind });
      throw error;
    } finally {
      stop();
    }
  }
}
