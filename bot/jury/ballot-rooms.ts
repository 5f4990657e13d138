// Each juror's private ballot room (the juror and the bot only): created on first
// need, named after the juror's display name, the juror invited again if they left,
// and welcomed once with the dossiers that wait for their vote.
import type { Storage } from '../../storage/index.ts';
import type { Messenger, OutgoingMessage } from '../types.ts';
import { KeyedLock } from './dossiers.ts';

export interface BallotRoomOptions {
  /** The room's name for this juror, in their language. */
  roomName(juror: string): Promise<string>;
  /** The welcome, built when it is sent (it lists what waits for the juror then). */
  welcome(juror: string): Promise<OutgoingMessage>;
}

export class BallotRooms {
  private readonly storage: Storage;
  private readonly messenger: Messenger;
  private readonly options: BallotRoomOptions;
  private readonly lock = new KeyedLock();
  /** Known rooms (juror -> room, room -> juror), checked once per process. */
  private readonly ready = new Map<string, string>();
  private readonly owners = new Map<string, string>();

  constructor(storage: Storage, messenger: Messenger, options: BallotRoomOptions) {
    this.storage = storage;
    this.messenger = messenger;
    this.options = options;
  }

  /** The juror whose ballot room this is, or null. */
  async ownerOf(roomId: string): Promise<string | null> {
    const known = this.owners.get(roomId);
    if (known) return known;
    const entry = await this.storage.botState.getRoom(roomId);
    if (entry?.kind !== 'ballot' || !entry.userId) return null;
    this.owners.set(roomId, entry.userId);
    return entry.userId;
  }

  /** The juror's room, created (and the juror invited and welcomed) on first need. */
  async roomOf(juror: string): Promise<string> {
    const ready = this.ready.get(juror);
    if (ready) return ready;
    return this.lock.run(juror, async () => {
      let room = await this.storage.ballotRooms.get(juror);
      if (!room) {
        const roomId = await this.messenger.createRoom({
          name: await this.options.roomName(juror),
          invite: [],
        });
        // Registered before the juror is invited, so their first event is routed here.
        await this.storage.botState.registerRoom(roomId, { kind: 'ballot', userId: juror });
        room = (await this.storage.ballotRooms.record(juror, roomId)).room;
      }
      const members = await this.messenger.members(room.roomId);
      if (!members.includes(juror)) await this.messenger.invite(room.roomId, juror);
      if (!room.welcomedAt) {
        await this.messenger.send(room.roomId, await this.options.welcome(juror), {
          idempotencyKey: `jury:ballot-welcome:${room.roomId}`,
        });
        await this.storage.ballotRooms.markWelcomed(juror);
      }
      this.ready.set(juror, room.roomId);
      this.owners.set(room.roomId, juror);
      return room.roomId;
    });
  }

  /** Makes sure every juror has a room (a failure for one does not stop the others). */
  async prepare(jurors: readonly string[], onError: (juror: string, error: unknown) => void): Promise<void> {
    for (const juror of jurors) {
      try {
        await this.roomOf(juror);
      } catch (error) {
        onError(juror, error);
      }
    }
  }
}
