// What every room handler is given. Handlers talk to Matrix only through `messenger`,
// to the database only through `storage`, and read time only from `clock`.
//
// Cross-room work (a submitted dossier reaching the jury, a juror's question reaching
// a candidacy room, a decision being published) must survive a crash between the
// save and the send. So it is driven by stored state, never by an in-memory event
// alone: the service methods below look at what is stored and do what is missing,
// idempotently (stable idempotency keys on every send). They are called right after
// the change that needs them and again at start-up (`reconcile`).
import type { Logger } from '../config/logging.ts';
import type { Config } from '../config/schema.ts';
import type { Candidacy } from '../storage/candidacies.ts';
import type { Storage } from '../storage/storage.ts';
import type { Clock } from './clock.ts';
import type { Metrics } from './health.ts';
import type { Messenger } from './types.ts';

export interface ManagedRooms {
  jury: string;
  organisers: string;
  lobby: string | null;
  announcements: string | null;
}

/** Services one part of the bot offers the others. Each is optional until it exists. */
export interface BotServices {
  jury?: import('./jury/index.ts').JuryPort;
  candidacy?: {
    /** Sends a message to a candidacy's room in that room's language (`key`: idempotency key). */
    notify(
      candidacyId: string,
      render: (lang: string) => { plain: string; html: string },
      key: string,
    ): Promise<void>;
    /** Sends the replies saved with the candidacy's last change (idempotent). */
    sendStoredOutbox(candidacy: Candidacy): Promise<void>;
    /**
     * Runs a system event through the candidacy's conversation (the campaign closed, the jury
     * decided) so its snapshot and status change together, once per `key`. Sends no message:
     * the caller tells the room. Returns the candidacy as stored afterwards.
     */
    applySystemEvent?(
      candidacyId: string,
      event: { type: 'close' } | { type: 'decide'; level: string },
      key: string,
      by: string,
    ): Promise<Candidacy | null>;
  };
  organisers?: {
    /** Catches up deadlines, reminders and broadcasts after a restart or a clock jump. */
    reconcile(): Promise<void>;
  };
}

export interface BotContext {
  config: Config;
  logger: Logger;
  messenger: Messenger;
  storage: Storage;
  clock: Clock;
  metrics: Metrics;
  rooms: ManagedRooms;
  services: BotServices;
}
