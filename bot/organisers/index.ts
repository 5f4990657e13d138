// The organisers' part of the bot, ready to wire: the organisers' room handler and the
// `organisers` service (reconcile at start-up and on clock jumps).
//
//   const organisers = createOrganisers(ctx, { candidacy, jury });
//   handlers.organisers = organisers.handler;   organisers.service.reconcile() at start-up
//   ... on shutdown: organisers.stop();
import type { BotContext } from '../context.ts';
import type { RoomHandler } from '../types.ts';
import { OrganisersHandler } from './handler.ts';
import { type OrganiserPorts, OrganiserService, type OrganiserServiceOptions } from './service.ts';

export { OrganiserService } from './service.ts';
export { OrganisersHandler } from './handler.ts';

export interface Organisers {
  handler: RoomHandler;
  /** Catches up deadlines, reminders and broadcasts after a restart or a clock jump. */
  service: { reconcile(): Promise<void> };
  /** The service itself (tests, command-line tools). */
  organiserService: OrganiserService;
  /** Stops the periodic deadline checks. */
  stop(): void;
}

/**
 * With the test clock on (TNL_TEST_CLOCK=1), TNL_TEST_BROADCAST_PAUSE_MS sends one
 * delivery at a time with that pause after each, so an end-to-end test can kill the
 * bot in the middle of a broadcast. Ignored otherwise.
 */
function testPacing(): OrganiserServiceOptions['broadcast'] {
  const pause = Number(process.env.TNL_TEST_BROADCAST_PAUSE_MS ?? 0);
  if (process.env.TNL_TEST_CLOCK !== '1' || !(pause > 0)) return undefined;
  return { concurrency: 1, pauseMs: pause };
}

export function createOrganisers(
  ctx: BotContext,
  ports: OrganiserPorts,
  options: OrganiserServiceOptions = {},
): Organisers {
  const pacing = options.broadcast ?? testPacing();
  const service = new OrganiserService(ctx, ports, { ...options, ...(pacing ? { broadcast: pacing } : {}) });
  return {
    handler: new OrganisersHandler(ctx, service),
    service: { reconcile: () => service.reconcile() },
    organiserService: service,
    stop: () => service.stop(),
  };
}
