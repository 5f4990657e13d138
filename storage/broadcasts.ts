// Broadcasts (announcements, reminders, results) and their deliveries: one delivery
// document per broadcast and room, keyed by the pair, moving
// pending -> claimed -> sent | failed. A sender claims a delivery before sending
// and marks it after, so a resumed broadcast never re-sends a delivery marked sent;
// one left `claimed` by a crash is "in doubt" and is re-sent with the same
// transaction id, which the homeserver de-duplicates (see storage/README.md).
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  checkInput,
  checkStorableKeys,
  dateSchema,
  type DocumentKind,
  type JsonValue,
  jsonValueSchema,
  nonEmpty,
  readDocument,
} from './documents.ts';
import { CONSTRAINTS, DuplicateError, NotFoundError } from './errors.ts';
import type { DocCollection, Filter, IndexSpec, RawDoc } from './port.ts';

const BROADCASTS = 'broadcasts';
const DELIVERIES = 'deliveries';

export const BROADCAST_STATUSES = ['planned', 'sending', 'done', 'cancelled'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];
export const DELIVERY_STATES = ['pending', 'claimed', 'sent', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

const broadcastDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  campaignId: z.string().nullable(),
  /** e.g. announcement, reminder, result. */
  kind: nonEmpty,
  /** What to send, e.g. the text per language. */
  content: jsonValueSchema,
  /** How the rooms were chosen (for the report), e.g. { statuses: ['draft'] }. */
  target: jsonValueSchema,
  createdBy: nonEmpty,
  createdAt: dateSchema,
  status: z.enum(BROADCAST_STATUSES),
  updatedAt: dateSchema,
});
type BroadcastDoc = z.infer<typeof broadcastDocSchema>;
export const broadcastKind: DocumentKind<BroadcastDoc> = {
  collection: BROADCASTS,
  current: 1,
  migrations: [],
  schema: broadcastDocSchema,
};

const deliveryDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  broadcastId: nonEmpty,
  roomId: nonEmpty,
  language: z.string().nullable(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.number().int().nonnegative(),
  /** Matrix transaction id to send with: the same on every attempt. */
  txnId: nonEmpty,
  claimedAt: dateSchema.nullable(),
  sentAt: dateSchema.nullable(),
  /** The event id the homeserver gave the sent message. */
  eventId: z.string().nullable(),
  error: z.string().nullable(),
  updatedAt: dateSchema,
});
type DeliveryDoc = z.infer<typeof deliveryDocSchema>;
export const deliveryKind: DocumentKind<DeliveryDoc> = {
  collection: DELIVERIES,
  current: 1,
  migrations: [],
  schema: deliveryDocSchema,
};

export const broadcastIndexes: Record<string, IndexSpec[]> = {
  [BROADCASTS]: [{ name: 'by_campaign', keys: { campaignId: 1, createdAt: 1 } }],
  [DELIVERIES]: [
    { name: CONSTRAINTS.delivery, keys: { broadcastId: 1, roomId: 1 }, unique: true },
    { name: 'by_state', keys: { broadcastId: 1, state: 1 } },
  ],
};

export interface Broadcast {
  id: string;
  campaignId: string | null;
  kind: string;
  content: JsonValue;
  target: JsonValue;
  createdBy: string;
  createdAt: Date;
  status: BroadcastStatus;
  updatedAt: Date;
}

export interface Delivery {
  broadcastId: string;
  roomId: string;
  language: string | null;
  state: DeliveryState;
  attempts: number;
  txnId: string;
  claimedAt: Date | null;
  sentAt: Date | null;
  eventId: string | null;
  error: string | null;
  updatedAt: Date;
}

export interface DeliveryReport {
  total: number;
  pending: number;
  claimed: number;
  sent: number;
  failed: number;
  failures: { roomId: string; error: string | null; attempts: number }[];
}

export interface NewBroadcast {
  /** Give a deterministic id (e.g. "reminder:2026:7d") to make creation idempotent. */
  id?: string;
  campaignId?: string | null;
  kind: string;
  content: JsonValue;
  target?: JsonValue;
  createdBy: string;
  at?: Date;
}

export interface BroadcastRepository {
  /** With an id that exists already, returns that broadcast (`created: false`). */
  create(input: NewBroadcast): Promise<{ broadcast: Broadcast; created: boolean }>;
  get(id: string): Promise<Broadcast | null>;
  /** Newest first. */
  list(options?: { campaignId?: string; statuses?: readonly BroadcastStatus[] }): Promise<Broadcast[]>;
  setStatus(id: string, status: BroadcastStatus, at?: Date): Promise<Broadcast>;
  /** Adds a pending delivery per room; rooms already planned are left as they are. */
  planDeliveries(
    broadcastId: string,
    targets: readonly { roomId: string; language?: string | null }[],
    at?: Date,
  ): Promise<{ added: number; existing: number }>;
  /**
   * Takes a pending or failed delivery for sending (attempts + 1); null if it is
   * sent or claimed already. With `reclaimInDoubt`, also takes a claimed one (after
   * a restart: it may or may not have been sent; re-send it with its txnId).
   */
  claimDelivery(
    broadcastId: string,
    roomId: string,
    options?: { at?: Date; reclaimInDoubt?: boolean },
  ): Promise<Delivery | null>;
  /** Idempotent. */
  markSent(broadcastId: string, roomId: string, result: { eventId: string; at?: Date }): Promise<Delivery>;
  /** Only a claimed delivery becomes failed (a sent one stays sent). */
  markFailed(broadcastId: string, roomId: string, failure: { error: string; at?: Date }): Promise<Delivery>;
  listDeliveries(broadcastId: string, options?: { states?: readonly DeliveryState[] }): Promise<Delivery[]>;
  report(broadcastId: string): Promise<DeliveryReport>;
}

const newBroadcastSchema = z.object({
  id: nonEmpty.optional(),
  campaignId: z.string().nullable().optional(),
  kind: nonEmpty,
  content: jsonValueSchema,
  target: jsonValueSchema.optional(),
  createdBy: nonEmpty,
  at: dateSchema.optional(),
});

function deliveryId(broadcastId: string, roomId: string): string {
  return `${broadcastId}|${roomId}`;
}

/** Stable per delivery, short, and made of characters any homeserver accepts in a path. */
export function deliveryTxnId(broadcastId: string, roomId: string): string {
  return `tnl-${createHash('sha256').update(deliveryId(broadcastId, roomId)).digest('hex').slice(0, 32)}`;
}

function broadcastFrom(raw: RawDoc): Broadcast {
  const { _id, schemaVersion: _v, ...rest } = readDocument(broadcastKind, raw).value;
  return { ...rest, id: _id };
}

function deliveryFrom(raw: RawDoc): Delivery {
  const { _id: _id, schemaVersion: _v, ...rest } = readDocument(deliveryKind, raw).value;
  return rest;
}

export class BroadcastStore implements BroadcastRepository {
  readonly #broadcasts: DocCollection;
  readonly #deliveries: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#broadcasts = collection(BROADCASTS);
    this.#deliveries = collection(DELIVERIES);
    this.#now = now;
  }

  async create(input: NewBroadcast): Promise<{ broadcast: Broadcast; created: boolean }> {
    const v = checkInput(newBroadcastSchema, input, 'broadcast');
    checkStorableKeys(v.content, 'broadcast content');
    checkStorableKeys(v.target ?? null, 'broadcast target');
    const at = v.at ?? this.#now();
    const doc: BroadcastDoc = {
      _id: v.id ?? randomUUID(),
      schemaVersion: 1,
      campaignId: v.campaignId ?? null,
      kind: v.kind,
      content: v.content,
      target: v.target ?? null,
      createdBy: v.createdBy,
      createdAt: at,
      status: 'planned',
      updatedAt: at,
    };
    try {
      await this.#broadcasts.insertOne(doc);
      return { broadcast: broadcastFrom(doc), created: true };
    } catch (error) {
      if (!(error instanceof DuplicateError) || !v.id) throw error;
      const existing = await this.get(v.id);
      if (!existing) throw error;
      return { broadcast: existing, created: false };
    }
  }

  async get(id: string): Promise<Broadcast | null> {
    const raw = await this.#broadcasts.findOne({ _id: id });
    return raw ? broadcastFrom(raw) : null;
  }

  async list(options?: { campaignId?: string; statuses?: readonly BroadcastStatus[] }): Promise<Broadcast[]> {
    const filter: Record<string, Filter[string]> = {};
    if (options?.campaignId !== undefined) filter.campaignId = options.campaignId;
    if (options?.statuses) filter.status = { $in: [...options.statuses] };
    const out: Broadcast[] = [];
    for await (const raw of this.#broadcasts.find(filter, { sort: { createdAt: -1, _id: 1 } })) {
      out.push(broadcastFrom(raw));
    }
    return out;
  }

  async setStatus(id: string, status: BroadcastStatus, at?: Date): Promise<Broadcast> {
    const raw = await this.#broadcasts.findOneAndUpdate(
      { _id: id },
      { $set: { status, updatedAt: at ?? this.#now() } },
    );
    if (!raw) throw new NotFoundError(BROADCASTS, id);
    return broadcastFrom(raw);
  }

  async planDeliveries(
    broadcastId: string,
    targets: readonly { roomId: string; language?: string | null }[],
    at?: Date,
  ): Promise<{ added: number; existing: number }> {
    const when = at ?? this.#now();
    const docs: DeliveryDoc[] = targets.map((target) => ({
      _id: deliveryId(broadcastId, target.roomId),
      schemaVersion: 1,
      broadcastId,
      roomId: target.roomId,
      language: target.language ?? null,
      state: 'pending',
      attempts: 0,
      txnId: deliveryTxnId(broadcastId, target.roomId),
      claimedAt: null,
      sentAt: null,
      eventId: null,
      error: null,
      updatedAt: when,
    }));
    const result = await this.#deliveries.insertMany(docs);
    return { added: result.inserted, existing: result.duplicates };
  }

  async claimDelivery(
    broadcastId: string,
    roomId: string,
    options?: { at?: Date; reclaimInDoubt?: boolean },
  ): Promise<Delivery | null> {
    const at = options?.at ?? this.#now();
    const states: DeliveryState[] = options?.reclaimInDoubt
      ? ['pending', 'failed', 'claimed']
      : ['pending', 'failed'];
    const raw = await this.#deliveries.findOneAndUpdate(
      { _id: deliveryId(broadcastId, roomId), state: { $in: states } },
      { $set: { state: 'claimed', claimedAt: at, updatedAt: at }, $inc: { attempts: 1 } },
    );
    return raw ? deliveryFrom(raw) : null;
  }

  async #existing(broadcastId: string, roomId: string): Promise<Delivery> {
    const raw = await this.#deliveries.findOne({ _id: deliveryId(broadcastId, roomId) });
    if (!raw) throw new NotFoundError(DELIVERIES, deliveryId(broadcastId, roomId));
    return deliveryFrom(raw);
  }

  async markSent(
    broadcastId: string,
    roomId: string,
    result: { eventId: string; at?: Date },
  ): Promise<Delivery> {
    const at = result.at ?? this.#now();
    const raw = await this.#deliveries.findOneAndUpdate(
      { _id: deliveryId(broadcastId, roomId), state: { $ne: 'sent' } },
      { $set: { state: 'sent', sentAt: at, eventId: result.eventId, error: null, updatedAt: at } },
    );
    return raw ? deliveryFrom(raw) : this.#existing(broadcastId, roomId);
  }

  async markFailed(
    broadcastId: string,
    roomId: string,
    failure: { error: string; at?: Date },
  ): Promise<Delivery> {
    const at = failure.at ?? this.#now();
    const raw = await this.#deliveries.findOneAndUpdate(
      { _id: deliveryId(broadcastId, roomId), state: 'claimed' },
      { $set: { state: 'failed', error: failure.error, updatedAt: at } },
    );
    return raw ? deliveryFrom(raw) : this.#existing(broadcastId, roomId);
  }

  async listDeliveries(
    broadcastId: string,
    options?: { states?: readonly DeliveryState[] },
  ): Promise<Delivery[]> {
    const filter: Filter = options?.states
      ? { broadcastId, state: { $in: [...options.states] } }
      : { broadcastId };
    const out: Delivery[] = [];
    for await (const raw of this.#deliveries.find(filter, { sort: { roomId: 1 } }))
      out.push(deliveryFrom(raw));
    return out;
  }

  async report(broadcastId: string): Promise<DeliveryReport> {
    const deliveries = await this.listDeliveries(broadcastId);
    const count = (state: DeliveryState) => deliveries.filter((d) => d.state === state).length;
    return {
      total: deliveries.length,
      pending: count('pending'),
      claimed: count('claimed'),
      sent: count('sent'),
      failed: count('failed'),
      failures: deliveries
        .filter((d) => d.state === 'failed')
        .map((d) => ({ roomId: d.roomId, error: d.error, attempts: d.attempts })),
    };
  }
}
