// The bot's own state: the sync position, a small key/value store, the registry of
// rooms it manages (what each room is for) and each person's language.
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
import type { DocCollection, IndexSpec, RawDoc } from './port.ts';
import { findIn } from './util.ts';

const VALUES = 'bot_state';
const ROOMS = 'rooms';
const PEOPLE = 'people';
const SYNC_TOKEN_KEY = 'sync_token';

export const ROOM_KINDS = [
  'candidacy',
  'jury',
  'ballot',
  'organisers',
  'lobby',
  'dm',
  'announcements',
] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

const valueDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  value: jsonValueSchema,
  updatedAt: dateSchema,
});
const roomDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  kind: z.enum(ROOM_KINDS),
  candidacyId: z.string().nullable(),
  /** For a direct chat: the person it is with. */
  userId: z.string().nullable(),
  createdAt: dateSchema,
  updatedAt: dateSchema,
});
const personDocSchema = z.object({
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  language: nonEmpty,
  updatedAt: dateSchema,
});

export const botStateKinds = {
  values: { collection: VALUES, current: 1, migrations: [], schema: valueDocSchema },
  rooms: { collection: ROOMS, current: 1, migrations: [], schema: roomDocSchema },
  people: { collection: PEOPLE, current: 1, migrations: [], schema: personDocSchema },
} satisfies Record<string, DocumentKind<unknown>>;

export const botStateIndexes: Record<string, IndexSpec[]> = {
  [ROOMS]: [
    { name: 'by_kind', keys: { kind: 1 } },
    { name: 'by_candidacy', keys: { candidacyId: 1 } },
    { name: 'by_user', keys: { userId: 1 } },
  ],
};

export interface RoomEntry {
  roomId: string;
  kind: RoomKind;
  candidacyId: string | null;
  userId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface BotStateRepository {
  getSyncToken(): Promise<string | null>;
  setSyncToken(token: string): Promise<void>;
  getValue(key: string): Promise<JsonValue | null>;
  /** Several values in few round trips: the keys that exist, with their values. */
  getValues(keys: readonly string[]): Promise<Map<string, JsonValue>>;
  setValue(key: string, value: JsonValue): Promise<void>;
  deleteValue(key: string): Promise<void>;
  /** Creates or replaces the room's entry (its creation date is kept). */
  registerRoom(
    roomId: string,
    entry: { kind: RoomKind; candidacyId?: string | null; userId?: string | null },
  ): Promise<RoomEntry>;
  getRoom(roomId: string): Promise<RoomEntry | null>;
  listRooms(kind?: RoomKind): Promise<RoomEntry[]>;
  /** The direct chat a person opened with the bot most recently, if any. */
  directChatOf(userId: string): Promise<RoomEntry | null>;
  forgetRoom(roomId: string): Promise<void>;
  getLanguage(userId: string): Promise<string | null>;
  setLanguage(userId: string, language: string): Promise<void>;
}

const roomInput = z.object({
  kind: z.enum(ROOM_KINDS),
  candidacyId: z.string().nullable().optional(),
  userId: z.string().nullable().optional(),
});

function roomFrom(raw: RawDoc): RoomEntry {
  const { _id, schemaVersion: _v, ...rest } = readDocument(botStateKinds.rooms, raw).value;
  return { ...rest, roomId: _id };
}

export class BotStateStore implements BotStateRepository {
  readonly #values: DocCollection;
  readonly #rooms: DocCollection;
  readonly #people: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#values = collection(VALUES);
    this.#rooms = collection(ROOMS);
    this.#people = collection(PEOPLE);
    this.#now = now;
  }

  async getSyncToken(): Promise<string | null> {
    const value = await this.getValue(SYNC_TOKEN_KEY);
    return typeof value === 'string' ? value : null;
  }

  setSyncToken(token: string): Promise<void> {
    return this.setValue(SYNC_TOKEN_KEY, checkInput(nonEmpty, token, 'sync token'));
  }

  async getValue(key: string): Promise<JsonValue | null> {
    const raw = await this.#values.findOne({ _id: key });
    return raw ? readDocument(botStateKinds.values, raw).value.value : null;
  }

  async getValues(keys: readonly string[]): Promise<Map<string, JsonValue>> {
    const out = new Map<string, JsonValue>();
    for await (const raw of findIn(this.#values, '_id', keys)) {
      out.set(raw._id, readDocument(botStateKinds.values, raw).value.value);
    }
    return out;
  }

  async setValue(key: string, value: JsonValue): Promise<void> {
    checkInput(nonEmpty, key, 'key');
    checkStorableKeys(checkInput(jsonValueSchema, value, `value of ${key}`), `value of ${key}`);
    await this.#values.updateOne(
      { _id: key },
      { $set: { schemaVersion: 1, value, updatedAt: this.#now() } },
      { upsert: true },
    );
  }

  async deleteValue(key: string): Promise<void> {
    await this.#values.deleteMany({ _id: key });
  }

  async registerRoom(
    roomId: string,
    entry: { kind: RoomKind; candidacyId?: string | null; userId?: string | null },
  ): Promise<RoomEntry> {
    const v = checkInput(roomInput, entry, 'room entry');
    const at = this.#now();
    const raw = await this.#rooms.findOneAndUpdate(
      { _id: checkInput(nonEmpty, roomId, 'room id') },
      {
        $set: {
          schemaVersion: 1,
          kind: v.kind,
          candidacyId: v.candidacyId ?? null,
          userId: v.userId ?? null,
          updatedAt: at,
        },
        $setOnInsert: { createdAt: at },
      },
      { upsert: true },
    );
    if (!raw) throw new Error('upsert returned nothing');
    return roomFrom(raw);
  }

  async getRoom(roomId: string): Promise<RoomEntry | null> {
    const raw = await this.#rooms.findOne({ _id: roomId });
    return raw ? roomFrom(raw) : null;
  }

  async listRooms(kind?: RoomKind): Promise<RoomEntry[]> {
    const out: RoomEntry[] = [];
    for await (const raw of this.#rooms.find(kind ? { kind } : {}, { sort: { createdAt: 1, _id: 1 } })) {
      out.push(roomFrom(raw));
    }
    return out;
  }

  async directChatOf(userId: string): Promise<RoomEntry | null> {
    const cursor = this.#rooms.find({ kind: 'dm', userId }, { sort: { createdAt: -1, _id: -1 }, limit: 1 });
    for await (const raw of cursor) return roomFrom(raw);
    return null;
  }

  async forgetRoom(roomId: string): Promise<void> {
    await this.#rooms.deleteMany({ _id: roomId });
  }

  async getLanguage(userId: string): Promise<string | null> {
    const raw = await this.#people.findOne({ _id: userId });
    return raw ? readDocument(botStateKinds.people, raw).value.language : null;
  }

  async setLanguage(userId: string, language: string): Promise<void> {
    await this.#people.updateOne(
      { _id: checkInput(nonEmpty, userId, 'user id') },
      {
        $set: {
          schemaVersion: 1,
          language: checkInput(nonEmpty, language, 'language'),
          updatedAt: this.#now(),
        },
      },
      { upsert: true },
    );
  }
}
