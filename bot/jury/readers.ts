// Who actually reads a room: its members (joined or invited), the bot left out, with
// their roles. Asked of the homeserver each time: someone let in a minute ago reads
// whatever is posted next, so what secrecy allows must follow the room as it is now.
import { rolesOf, type Roster } from '../../flows/jury/rules.ts';
import type { Reader } from '../../flows/jury/secrecy.ts';
import type { Messenger } from '../types.ts';

export class RoomReaderList {
  private readonly messenger: Messenger;
  private readonly roster: () => Roster;

  constructor(messenger: Messenger, roster: () => Roster) {
    this.messenger = messenger;
    this.roster = roster;
  }

  async of(roomId: string | null): Promise<Reader[]> {
    if (!roomId) return [];
    const roster = this.roster();
    const members = await this.messenger.members(roomId);
    return members
      .filter((userId) => userId !== this.messenger.userId)
      .map((userId) => ({ userId, roles: rolesOf(roster, userId) }));
  }
}
