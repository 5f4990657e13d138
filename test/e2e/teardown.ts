// The end of a test file that ran the bot: what the bot logged as problems (the first thing
// to read when a test failed), then every person's sync, the bot and the database connection
// stopped.
import type { Storage } from '../../storage/storage.ts';
import type { BotProcess } from './bot-process.ts';
import { stopAllPeople } from './people.ts';

export async function endBotRun(
  bot: BotProcess | undefined,
  storage: Storage | undefined,
  options: { maxProblems?: number } = {},
): Promise<void> {
  for (const line of bot?.problems().slice(0, options.maxProblems) ?? []) {
    console.log('bot:', JSON.stringify(line).slice(0, 1500));
  }
  stopAllPeople();
  await bot?.stop();
  await storage?.close();
}
