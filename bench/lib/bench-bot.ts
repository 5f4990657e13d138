// The bot process a benchmark talks to: started on a fresh database with an open campaign,
// and stopped (its database dropped) when the benchmark ends, however it ends.
import type { Campaign } from '../../storage/campaigns.ts';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess, type BotOptions } from '../../test/e2e/bot-process.ts';
import { seedOpenCampaign, storageFor } from '../../test/e2e/candidate.ts';
import type { Resources } from './run.ts';

export async function startBenchBot(
  resources: Resources,
  mongodbUri: string,
  questionnaire: string,
  options: BotOptions,
): Promise<{ bot: BotProcess; storage: Storage; campaign: Campaign }> {
  const bot = await BotProcess.start(options);
  resources.add(() => bot.stop());
  resources.dropDatabaseAtEnd(mongodbUri, bot.dbName);
  const storage = await storageFor(bot);
  resources.add(() => storage.close());
  const campaign = await seedOpenCampaign(storage, { questionnaire });
  return { bot, storage, campaign };
}
