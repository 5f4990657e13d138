// The rooms the bot manages: the configured ones (jury, organisers, lobby,
// announcements), the first three created at first start when the config leaves them
// empty, and the room registry (candidacy rooms, direct chats) kept in storage.
import { LRUCache } from 'lru-cache';
import type { Logger } from '../config/logging.ts';
import type { Config } from '../config/schema.ts';
import type { RoomEntry } from '../storage/bot-state.ts';
import type { Storage } from '../storage/storage.ts';
import type { ManagedRooms } from './context.ts';
import type { RoomDirectory } from './router.ts';
import type { Messenger, RoomKind } from './types.ts';

const CONFIGURED = ['jury', 'organisers', 'lobby', 'announcements'] as const;
type ConfiguredKind = (typeof CONFIGURED)[number];

const ROOM_NAMES: Record<ConfiguredKind, { name: string; topic: string }> = {
  jury: {
    name: 'Jury – Territoire Numérique Libre',
    topic: 'Examen des dossiers, votes et décisions / Dossier review, votes and decisions',
  },
  organisers: {
    name: 'Organisation – Territoire Numérique Libre',
    topic: 'Console des organisateurs / Organisers console (!aide, !help)',
  },
  lobby: {
    name: 'Candidater – Territoire Numérique Libre',
    topic:
      'Écrivez !candidater pour commencer ou retrouver votre candidature / Write !apply to start or find your candidacy',
  },
  announcements: {
    name: 'Annonces – Territoire Numérique Libre',
    topic: 'Annonces et résultats du label / Label announcements and results',
  },
};

function membersOf(kind: ConfiguredKind, config: Config): string[] {
  const { organisers, jurors, juryPresident } = config.people;
  if (kind === 'jury')
    return [...new Set([...jurors, ...(juryPresident ? [juryPresident] : []), ...organisers])];
  if (kind === 'organisers' || kind === 'announcements') return [...organisers];
  return [];
}

/** The rooms the bot creates when the config names none, and who may join them. */
const CREATED: Partial<Record<ConfiguredKind, 'private' | 'public'>> = {
  jury: 'private',
  organisers: 'private',
  // Everyone may join and read it; the organisers, invited, moderate it.
  announcements: 'public',
};

/**
 * Settles the id of every configured room: the config's, or the one created at an
 * earlier start, or a new one (the jury, organisers and announcements rooms are always
 * needed: results are published in the last; the lobby only when configured).
 */
export async function ensureManagedRooms(
  config: Config,
  storage: Storage,
  messenger: Messenger,
  logger: Logger,
): Promise<ManagedRooms> {
  const result: Record<ConfiguredKind, string | null> = {
    jury: null,
    organisers: null,
    lobby: null,
    announcements: null,
  };
  for (const kind of CONFIGURED) {
    const configured = config.rooms[kind];
    const remembered = await storage.botState.getValue(`room:${kind}`);
    let roomId = configured ?? (typeof remembered === 'string' ? remembered : null);
    const visibility = CREATED[kind];
    if (!roomId && visibility) {
      const members = membersOf(kind, config);
      roomId = await messenger.createRoom({
        ...ROOM_NAMES[kind],
        invite: members,
        moderators: members,
        visibility,
      });
      await storage.botState.setValue(`room:${kind}`, roomId);
      logger.info({ kind, roomId, invited: members.length }, 'created room');
    }
    if (roomId) {
      const entry = await storage.botState.getRoom(roomId);
      if (entry?.kind !== kind) await storage.botState.registerRoom(roomId, { kind });
    }
    result[kind] = roomId;
  }
  return {
    jury: result.jury as string,
    organisers: result.organisers as string,
    lobby: result.lobby,
    announcements: result.announcements,
  };
}

/** Room kinds, read from storage on first use and remembered (idle rooms cost nothing until then). */
export class StoredRoomDirectory implements RoomDirectory {
  private readonly storage: Storage;
  /** Entries wrapped, so that "no such room" (null) is remembered too. */
  private readonly cache = new LRUCache<string, { entry: RoomEntry | null }>({ max: 20_000 });

  constructor(storage: Storage) {
    this.storage = storage;
  }

  async entry(roomId: string): Promise<RoomEntry | null> {
    const cached = this.cache.get(roomId);
    if (cached) return cached.entry;
    const entry = await this.storage.botState.getRoom(roomId);
    this.cache.set(roomId, { entry });
    return entry;
  }

  async kindOf(roomId: string): Promise<RoomKind | undefined> {
    return (await this.entry(roomId))?.kind;
  }

  async register(
    roomId: string,
    entry: { kind: RoomKind; candidacyId?: string | null; userId?: string | null },
  ): Promise<void> {
    this.cache.set(roomId, { entry: await this.storage.botState.registerRoom(roomId, entry) });
  }
}
