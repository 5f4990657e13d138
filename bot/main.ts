// Entry point: `npm start [-- path/to/config.yaml]`. Validates the configuration before
// connecting to anything (exit status 2 on any problem), then runs the bot until a
// termination signal arrives.
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from '../config/logging.ts';
import { startBot } from './app.ts';

const EXIT_CONFIG = 2;

const configPath = process.argv[2] ?? process.env.TNL_CONFIG ?? 'config/config.yaml';

let config;
try {
  config = loadConfig(configPath);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(EXIT_CONFIG);
  }
  throw error;
}

const logger = createLogger(config.logging);
const bot = await startBot(config, logger);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  await bot.stop();
  logger.flush();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
