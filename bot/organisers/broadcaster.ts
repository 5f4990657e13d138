// Sends stored broadcasts: one delivery per room, claimed before it is sent and marked
// after, with the delivery's stable transaction id as idempotency key. A delivery left
// claimed by a crash is sent again with the same key, which the homeserver recognises,
// so a broadcast interrupted by a restart resumes without any room getting it twice.
// Failed deliveries are retried with growing delays; a report goes to the organisers
// once per round.
import type { Logger } from '../../config/logging.ts';
import {
  isDue,
  MAX_ATTEMPTS,
  retryDelayMs,
  summarize,
  type DeliveryView,
} from '../../flows/campaign/broadcast.ts';
import type { Broadcast, Delivery, Storage } from '../../storage/index.ts';
import type { Clock } from '../clock.ts';
import type { Messenger, OutgoingMessage } from '../types.ts';

/** What to send for one delivery (rendered at send time, in the room's language). */
export type DeliveryRenderer = (broadcast: Broadcast, delivery: Delivery) => Promise<OutgoingMessage>;

export interface ReportInput {
  broadcast: Broadcast;
  summary: ReturnType<typeof summarize>;
  failures: Array<{ roomId: string; error: string; attempts: number }>;
}

export interface BroadcasterOptions {
  storage: Storage;
  messenger: Messenger;
  clock: Clock;
  logger: Logger;
  render: DeliveryRenderer;
  /** Posts the delivery report (idempotent for a given broadcast and round). */
  report: (input: ReportInput) => Promise<void>;
  /** Called after a delivery is marked sent (e.g. to record a decision as published). */
  onSent?: (broadcast: Broadcast, delivery: Delivery) => Promise<void>;
  /** Sends in flight at once. */
  concurrency?: number;
  /** Pause after each delivery (end-to-end tests slow a broadcast down to interrupt it mid-way). */
  pauseMs?: number;
}

export function deliveryView(d: Delivery): DeliveryView {
  return {
    roomId: d.roomId,
    status: d.state === 'claimed' ? 'sending' : d.state,
    attempts: d.attempts,
    error: d.error,
    nextAttemptAt: d.state === 'failed' ? new Date(d.updatedAt.getTime() + retryDelayMs(d.attempts)) : null,
  };
}

function describeError(error: unknown): string {
  const e = error as { errcode?: string; body?: { errcode?: string; error?: string }; message?: string };
  const code = e?.errcode ?? e?.body?.errcode;
  const message = e?.body?.error ?? e?.message ?? String(error);
  return (code ? `${code}: ${message}` : message).slice(0, 300);
}

export class Broadcaster {
  readonly #o: BroadcasterOptions;

  constructor(options: BroadcasterOptions) {
    this.#o = options;
  }

  /** Sends every due delivery of every unfinished broadcast; `force` also retries a broadcast's failed ones now. */
  async run(force?: ReadonlySet<string>): Promise<void> {
    const { storage } = this.#o;
    const active = await storage.broadcasts.list({ statuses: ['planned', 'sending'] });
    // Oldest first: a broadcast started earlier finishes earlier.
    for (const broadcast of active.reverse()) {
      await this.#runOne(broadcast, force?.has(broadcast.id) ?? false);
    }
  }

  async #runOne(broadcast: Broadcast, forced: boolean): Promise<void> {
    const { storage, clock } = this.#o;
    if (broadcast.status === 'planned')
      await storage.broadcasts.setStatus(broadcast.id, 'sending', clock.now());
    const now = clock.now();
    const due = (await storage.broadcasts.listDeliveries(broadcast.id)).filter(
      (d) => isDue(deliveryView(d), now) || (forced && d.state === 'failed'),
    );
    await this.#pool(due, (d) => this.#deliver(broadcast, d));
    await this.#settle(broadcast);
  }

  async #pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.#o.concurrency ?? 4, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
        if (this.#o.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.#o.pauseMs));
      }
    });
    await Promise.all(lanes);
  }

  async #deliver(broadcast: Broadcast, planned: Delivery): Promise<void> {
    const { storage, messenger, clock, logger } = this.#o;
    // Claim first: whatever happens next, the stored state says this delivery may have gone out.
    const claimed = await storage.broadcasts.claimDelivery(broadcast.id, planned.roomId, {
      at: clock.now(),
      reclaimInDoubt: true,
    });
    if (!claimed) return;
    try {
      const message = await this.#o.render(broadcast, claimed);
      const ids = await messenger.send(claimed.roomId, message, { idempotencyKey: claimed.txnId });
      const sent = await storage.broadcasts.markSent(broadcast.id, claimed.roomId, {
        eventId: ids[0] ?? '',
        at: clock.now(),
      });
      await this.#o.onSent?.(broadcast, sent);
    } catch (error) {
      const reason = describeError(error);
      logger.warn(
        { broadcastId: broadcast.id, roomId: claimed.roomId, attempts: claimed.attempts, err: error },
        'broadcast delivery failed',
      );
      await storage.broadcasts.markFailed(broadcast.id, claimed.roomId, { error: reason, at: clock.now() });
    }
  }

  async #settle(broadcast: Broadcast): Promise<void> {
    const { storage, clock } = this.#o;
    const deliveries = await storage.broadcasts.listDeliveries(broadcast.id);
    const summary = summarize(deliveries.map(deliveryView));
    if (!summary.settled) return;
    if (summary.total > 0) {
      await this.#o.report({
        broadcast,
        summary,
        failures: deliveries
          .filter((d) => d.state === 'failed')
          .map((d) => ({ roomId: d.roomId, error: d.error ?? '?', attempts: d.attempts })),
      });
    }
    const finished = deliveries.every((d) => d.state === 'sent' || d.attempts >= MAX_ATTEMPTS);
    if (finished) await storage.broadcasts.setStatus(broadcast.id, 'done', clock.now());
  }
}
