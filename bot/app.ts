// Wires the bot together: Matrix client, storage, handlers. Kept thin on purpose;
// each piece lives in its own module.
import { LogService, MatrixClient, MemoryStorageProvider } from 'matrix-bot-sdk';
import type { Logger } from '../config/logging.ts';
import type { Config } from '../config/schema.ts';

export interface RunningBot {
  userId: string;
  stop(): Promise<void>;
}

export async function startBot(config: Config, logger: Logger): Promise<RunningBot> {
  LogService.muteModule('Metrics');
  const client = new MatrixClient(
    config.homeserver.url,
    config.homeserver.accessToken,
    new MemoryStorageProvider(),
  );
  const userId = await client.getUserId();
  await client.start();
  logger.info({ userId, homeserver: config.homeserver.url }, 'ready');
  return {
    userId,
    async stop() {
      client.stop();
    },
  };
}
