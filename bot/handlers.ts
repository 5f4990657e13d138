// Builds the handler of each kind of room, in dependency order: each side is given the
// ports of the sides it calls (the jury needs nobody; the candidacy side calls the jury;
// the lobby and the organisers call the candidacy side and the jury). No cycle.
import { CandidacyCatalog } from './candidacy/catalog.ts';
import { CandidacyHandler } from './candidacy/handler.ts';
import { CandidacyStarter } from './candidacy/start.ts';
import type { BotContext } from './context.ts';
import { JuryService } from './jury/index.ts';
import { createOrganisers } from './organisers/index.ts';
import type { StoredRoomDirectory } from './rooms.ts';
import type { InviteHandler } from './router.ts';
import type { RoomHandler, RoomKind } from './types.ts';

export interface Handlers {
  rooms: Partial<Record<RoomKind, RoomHandler>>;
  invites: InviteHandler;
  catalog: CandidacyCatalog;
  /** Catches up work that a crash or downtime may have left undone. */
  reconcile(): Promise<void>;
  stop(): void;
}

export function createHandlers(ctx: BotContext, directory: StoredRoomDirectory): Handlers {
  const catalog = new CandidacyCatalog(ctx.storage);
  const jury = new JuryService(ctx, catalog);
  const candidacy = new CandidacyHandler(ctx, catalog, jury);
  const starter = new CandidacyStarter(ctx, catalog, directory, candidacy);
  const organisers = createOrganisers(
    ctx,
    { candidacy, jury },
    {
      onCampaignChanged: () => {
        catalog.campaignChanged();
        jury.campaignChanged();
      },
    },
  );
  // Reminders to jurors before the jury deadline: stored dates, re-checked periodically.
  const stopJuryScheduler = jury.startScheduler();
  // An organiser's change to a campaign (deadline extended, closed) must be seen at once.
  ctx.clock.onJump(() => catalog.campaignChanged());
  return {
    rooms: {
      candidacy,
      dm: starter,
      lobby: starter,
      jury: jury.handler,
      ballot: jury.handler,
      organisers: organisers.handler,
    },
    invites: starter,
    catalog,
    async reconcile() {
      await organisers.service.reconcile();
      // Dossiers, questions, replies and decisions left unsent, and due juror reminders.
      await jury.reconcile();
    },
    stop() {
      organisers.stop();
      stopJuryScheduler();
    },
  };
}
