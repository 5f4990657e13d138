// Processed Matrix events, for handlers whose effect is not a candidacy update
// (those record the event id inside the candidacy, see candidacies.ts). The
// event id is the _id, so "one record per event id" is the primary key itself.
import { z } from 'zod';
import { dateSchema, type DocumentKind, nonEmpty } from './documents.ts';
import { DuplicateError } from './errors.ts';
import type { DocCollection, IndexSpec } from './port.ts';

const COLLECTION = 'processed_events';

const processedDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  roomId: z.string().nullable(),
  /** Which handler processed it (for debugging). */
  handler: z.string().nullable(),
  at: dateSchema,
});
export const processedEventKind: DocumentKind<z.infer<typeof processedDocSchema>> = {
  collection: COLLECTION,
  current: 1,
  migrations: [],
  schema: processedDocSchema,
};

export const processedEventIndexes: IndexSpec[] = [{ name: 'by_time', keys: { at: 1 } }];

export interface ProcessedEventRepository {
  isProcessed(eventId: string): Promise<boolean>;
  /**
   * Records the event; true if this call recorded it, false if it was already.
   * Use after an idempotent effect (at-least-once, effect-once), or before an
   * effect that must never run twice (at-most-once): see storage/README.md.
   */
  markProcessed(eventId: string, info?: { roomId?: string; handler?: string; at?: Date }): Promise<boolean>;
  /** Forgets records older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

export class ProcessedEventStore implements ProcessedEventRepository {
  readonly #collection: DocCollection;
  readonly #now: () => Date;

  constructor(collection: DocCollection, now: () => Date) {
    this.#collection = collection;
    this.#now = now;
  }

  async isProcessed(eventId: string): Promise<boolean> {
    return (await this.#collection.findOne({ _id: eventId }, { projection: { _id: 1 } })) !== null;
  }

  async markProcessed(
    eventId: string,
    info?: { roomId?: string; handler?: string; at?: Date },
  ): Promise<boolean> {
    try {
      await this.#collection.insertOne({
        _id: eventId,
        schemaVersion: 1,
        roomId: info?.roomId ?? null,
        handler: info?.handler ?? null,
        at: info?.at ?? this.#now(),
      });
      return true;
    } catch (error) {
      if (error instanceof DuplicateError) return false;
      throw error;
    }
  }

  prune(before: Date): Promise<number> {
    return this.#collection.deleteMany({ at: { $lt: before } });
  }
}
