// Builds the handler of each kind of room and the services they offer each other.
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
  const candidacy = new CandidacyHandler(ctx, catalog);
  const starter = new CandidacyStarter(ctx, catalog, directory);
  const jury = new JuryService(ctx, catalog);
  const organisers = createOrganisers(ctx, {
    onCampaignChanged: () => {
      catalog.campaignChanged();
      jury.campaignChanged();
    },
  });
  // Reminders to jurors before the jury deadline: stored dates, re-checked periodically.
  const stopJuryScheduler = jury.startScheduler();
  ctx.services.candidacy = candidacy;
  ctx.services.jury = jury;
  ctx.services.organisers = organisers.service;
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
      await ctx.services.organisers?.reconcile();
      // Dossiers, questions, replies and decisions left unsent, and due juror reminders.
      await jury.reconcile();
    },
    stop() {
      organisers.stop();
      stopJuryScheduler();
    },
  };
}
