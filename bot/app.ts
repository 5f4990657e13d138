// Wires the bot together: storage, Matrix client, room handlers, health server.
// Kept thin on purpose; each piece lives in its own module.
import { LogService, LogLevel } from 'matrix-bot-sdk';
import type { Logger } from '../config/logging.ts';
import type { Config } from '../config/schema.ts';
import { openStorage, type Storage } from '../storage/storage.ts';
import { ManualClock, systemClock, type Clock } from './clock.ts';
import type { BotContext } from './context.ts';
import { createMetrics, startHealthServer, type HealthServer } from './health.ts';
import { HomeserverPressure } from './homeserver-pressure.ts';
import { MatrixMessenger } from './matrix-messenger.ts';
import { ensureManagedRooms, StoredRoomDirectory } from './rooms.ts';
import { RoomQueue } from './room-queue.ts';
import { Router } from './router.ts';
import { DurableSyncClient } from './sync-client.ts';
import { createHandlers } from './handlers.ts';
import { escapeHtml } from './html-guard.ts';
import { translator } from '../locales/i18n.ts';

export interface RunningBot {
  userId: string;
  healthPort: number;
  storage: Storage;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  storage?: Storage;
}

/** Sync filter: no presence or typing noise, and long timelines so no event is skipped after downtime. */
const SYNC_FILTER = {
  presence: { not_types: ['*'] },
  room: {
    timeline: { limit: 1000 },
    ephemeral: { not_types: ['*'] },
    state: { lazy_load_members: true },
  },
};

function routeSdkLogs(logger: Logger): void {
  const sdk = logger.child({ module: 'matrix-bot-sdk' });
  const text = (args: unknown[]) =>
    args
      .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a)))
      .join(' ');
  LogService.setLevel(LogLevel.WARN);
  LogService.setLogger({
    trace: () => {},
    debug: () => {},
    info: (module: string, ...args: unknown[]) => sdk.info({ sdkModule: module }, text(args)),
    warn: (module: string, ...args: unknown[]) => sdk.warn({ sdkModule: module }, text(args)),
    // The SDK logs every failed request as an error, also those the bot expects and handles
    // (a missing m.direct account data at first start): "not found" is only worth a debug line.
    error: (module: string, ...args: unknown[]) => {
      const message = text(args);
      if (message.includes('M_NOT_FOUND')) sdk.debug({ sdkModule: module }, message);
      else sdk.warn({ sdkModule: module }, message);
    },
  });
}

export async function startBot(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningBot> {
  routeSdkLogs(logger);
  const testClock = process.env.TNL_TEST_CLOCK === '1' ? new ManualClock() : undefined;
  const clock = options.clock ?? testClock ?? systemClock;
  const metrics = createMetrics();

  const storage =
    options.storage ??
    (await openStorage({
      uri: config.database.uri,
      dbName: config.database.name,
      serverSelectionTimeoutMS: config.database.serverSelectionTimeoutMs,
      writeConcern: config.database.writeConcern,
      logger: logger.child({ module: 'storage' }),
      now: () => clock.now(),
    }));

  const queue = new RoomQueue((roomId, error) => {
    metrics.errors.inc({ where: 'handler' });
    logger.error({ roomId, err: error }, 'event handling failed');
  });
  // The router needs the client's user id, the client needs the dispatch: fill it in once known.
  const routing: { router?: Router } = {};
  const client = new DurableSyncClient({
    homeserverUrl: config.homeserver.url,
    accessToken: config.homeserver.accessToken,
    position: {
      load: () => storage.botState.getSyncToken(),
      save: (token) => storage.botState.setSyncToken(token),
    },
    onSaveError: (error) =>
      logger.warn({ error: (error as Error).message }, 'sync position not saved yet (will retry)'),
    dispatch: (delivery, initial) =>
      queue.run(delivery.roomId, async () => {
        await routing.router?.route(delivery, initial);
      }),
  });
  const userId = await client.getUserId();
  client.botUserId = userId;
  const messengerLog = logger.child({ module: 'messenger' });
  const { pauseExtrasAboveMs, resumeBelowMs } = config.bot.slowHomeserver;
  const pressure = new HomeserverPressure(
    { slowAboveMs: pauseExtrasAboveMs, recoveredBelowMs: resumeBelowMs },
    (slow, averageMs) => {
      metrics.homeserverSlow.set(slow ? 1 : 0);
      const fields = { averageSendMs: Math.round(averageMs) };
      if (slow)
        messengerLog.warn(fields, 'homeserver slow: quick replies, polls, typing and receipts paused');
      else
        messengerLog.info(
          fields,
          'homeserver quick again: quick replies, polls, typing and receipts resumed',
        );
    },
  );
  const messenger = new MatrixMessenger(client, userId, messengerLog, {
    pressure,
    onExtraSkipped: (extra) => metrics.extrasSkipped.inc({ extra }),
    onSent: (durationMs) => metrics.homeserverSendSeconds.observe(durationMs / 1000),
  });
  const rooms = await ensureManagedRooms(config, storage, messenger, logger);
  const directory = new StoredRoomDirectory(storage);

  const context: BotContext = { config, logger, messenger, clock, metrics, rooms, storage };
  const handlers = createHandlers(context, directory);
  routing.router = new Router({
    botUserId: userId,
    directory,
    handlers: handlers.rooms,
    invites: handlers.invites,
    logger,
    metrics,
    processed: storage.events,
    onOutage: async (roomId, event) => {
      const text = translator(config.bot.defaultLanguage)('notSaved');
      await messenger.send(
        roomId,
        { plain: text, html: escapeHtml(text) },
        { idempotencyKey: `not-saved:${event.event_id}` },
      );
    },
  });

  const health: HealthServer = await startHealthServer(
    config.health.host,
    config.health.port,
    metrics,
    [
      {
        name: 'homeserver',
        check: async () => void (await client.doRequest('GET', '/_matrix/client/versions')),
      },
      { name: 'database', check: () => storage.ping() },
    ],
    testClock
      ? {
          '/test/clock': async (body) => {
            const now = testClock.set(body.trim());
            return { status: 200, body: `${now.toISOString()}\n` };
          },
        }
      : {},
  );

  await client.start(SYNC_FILTER);
  // Catching up (deadlines passed while down, dossiers or messages left unsent) can take a
  // while on a large campaign: it runs beside the sync, not before the bot is ready.
  const catchUp = handlers
    .reconcile()
    .catch((error: unknown) => logger.error({ err: error }, 'catch-up at start failed'));
  logger.info({ userId, homeserver: config.homeserver.url, healthPort: health.port, rooms }, 'ready');

  return {
    userId,
    healthPort: health.port,
    storage,
    async stop() {
      await catchUp;
      handlers.stop();
      client.stop();
      await queue.drain();
      await client.positionSaved();
      await health.close();
      if (!options.storage) await storage.close();
    },
  };
}
