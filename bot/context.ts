// What every room handler is given. Handlers talk to Matrix only through `messenger`,
// to the database only through `storage`, and read time only from `clock`.
//
// Cross-room work (a submitted dossier reaching the jury, a juror's question reaching
// a candidacy room, a decision being published) must survive a crash between the
// save and the send. So it is driven by stored state, never by an in-memory event
// alone: the ports below look at what is stored and do what is missing, idempotently
// (stable idempotency keys on every send). They are called right after the change that
// needs them and again at start-up (`reconcile`).
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

/**
 * What the candidacy side offers the others (the organisers run system events through a
 * conversation; a new candidacy room gets its opening replies). Given to constructors,
 * so who depends on whom is visible where things are built (bot/handlers.ts).
 */
export interface CandidacyPort {
  /** Sends the replies saved with the candidacy's last change (idempotent). */
  sendStoredOutbox(candidacy: Candidacy): Promise<void>;
  /**
   * Runs a system event through the candidacy's conversation (the campaign closed, the jury
   * decided) so its snapshot and status change together, once per `key`. Sends no message:
   * the caller tells the room. Returns the candidacy as stored afterwards.
   */
  applySystemEvent(
    candidacyId: string,
    event: { type: 'close' } | { type: 'decide'; level: string },
    key: string,
    by: string,
  ): Promise<Candidacy | null>;
}

export type { JuryPort } from './jury/index.ts';

export interface BotContext {
  config: Config;
  logger: Logger;
  messenger: Messenger;
  storage: Storage;
  clock: Clock;
  metrics: Metrics;
  rooms: ManagedRooms;
}
