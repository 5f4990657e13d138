// Each juror's private ballot room: created once, the juror invited, welcomed once.
import { z } from 'zod';
import { checkInput, dateSchema, type DocumentKind, nonEmpty, readDocument } from './documents.ts';
import { CONSTRAINTS, DuplicateError } from './errors.ts';
import type { DocCollection, IndexSpec } from './port.ts';

const BALLOT_ROOMS = 'jury_ballot_rooms';

const ballotRoomDocSchema = z.object({
  /** The juror's Matrix id. */
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  roomId: nonEmpty,
  createdAt: dateSchema,
  /** When the welcome was sent (null: not yet). */
  welcomedAt: dateSchema.nullable(),
});
type BallotRoomDoc = z.infer<typeof ballotRoomDocSchema>;

export const ballotRoomKind: DocumentKind<BallotRoomDoc> = {
  collection: BALLOT_ROOMS,
  current: 1,
  migrations: [],
  schema: ballotRoomDocSchema,
};

export const ballotRoomIndexes: Record<string, IndexSpec[]> = {
  [BALLOT_ROOMS]: [{ name: 'by_room', keys: { roomId: 1 } }],
};

export interface BallotRoom {
  juror: string;
  roomId: string;
  createdAt: Date;
  welcomedAt: Date | null;
}

export interface BallotRoomRepository {
  get(juror: string): Promise<BallotRoom | null>;
  /** Records the juror's room; if one is already recorded, returns that one (`created: false`). */
  record(juror: string, roomId: string, at?: Date): Promise<{ room: BallotRoom; created: boolean }>;
  markWelcomed(juror: string, at?: Date): Promise<void>;
  list(): Promise<BallotRoom[]>;
}

const recordInput = z.object({ juror: nonEmpty, roomId: nonEmpty, at: dateSchema.optional() });

function roomFrom(doc: BallotRoomDoc): BallotRoom {
  return { juror: doc._id, roomId: doc.roomId, createdAt: doc.createdAt, welcomedAt: doc.welcomedAt };
}

export class BallotRoomStore implements BallotRoomRepository {
  readonly #rooms: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#rooms = collection(BALLOT_ROOMS);
    this.#now = now;
  }

  async get(juror: string): Promise<BallotRoom | null> {
    const raw = await this.#rooms.findOne({ _id: juror });
    return raw ? roomFrom(readDocument(ballotRoomKind, raw).value) : null;
  }

  async record(juror: string, roomId: string, at?: Date): Promise<{ room: BallotRoom; created: boolean }> {
    const v = checkInput(recordInput, { juror, roomId, at }, 'ballot room');
    const doc: BallotRoomDoc = {
      _id: v.juror,
      schemaVersion: 1,
      roomId: v.roomId,
      createdAt: v.at ?? this.#now(),
      welcomedAt: null,
    };
    try {
      await this.#rooms.insertOne(doc);
      return { room: roomFrom(doc), created: true };
    } catch (error) {
      if (!(error instanceof DuplicateError) || error.constraint !== CONSTRAINTS.id) throw error;
      const existing = await this.get(v.juror);
      if (!existing) throw error;
      return { room: existing, created: false };
    }
  }

  async markWelcomed(juror: string, at?: Date): Promise<void> {
    await this.#rooms.updateOne(
      { _id: juror, welcomedAt: null },
      { $set: { welcomedAt: at ?? this.#now() } },
    );
  }

  async list(): Promise<BallotRoom[]> {
    const out: BallotRoom[] = [];
    for await (const raw of this.#rooms.find({}, { sort: { _id: 1 } }))
      out.push(roomFrom(readDocument(ballotRoomKind, raw).value));
    return out;
  }
}
