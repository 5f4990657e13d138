// The full 2026 questionnaire, answered through the homeserver from the first message
// to submission, in English this time (the badge walk in candidacy.test.ts is in French).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess } from './bot-process.ts';
import {
  answerAll,
  askedNumber,
  nextFromBot,
  openCandidacy,
  seedOpenCampaign,
  storageFor,
} from './candidate.ts';
import { Person } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;

beforeAll(async () => {
  bot = await BotProcess.start();
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'tnl-2026' });
});

afterAll(() => endBotRun(bot, storage));

describe('the 2026 questionnaire', () => {
  it('is answered in English from the first question to a submitted dossier', async () => {
    const lead = await Person.register('hugo');
    const conversation = await openCandidacy(lead, bot, 'tnl-2026');
    await lead.sendText(conversation.roomId, '!language en');
    const switched = await nextFromBot(lead, bot, conversation.roomId);
    expect(switched.body).toMatch(/English/);
    conversation.last = switched;
    if (askedNumber(conversation.last) === undefined) {
      conversation.last = await nextFromBot(
        lead,
        bot,
        conversation.roomId,
        (m) => askedNumber(m) !== undefined,
      );
    }

    const answered = await answerAll(lead, bot, conversation);
    expect(answered).toBeGreaterThanOrEqual(30);
    await lead.sendText(conversation.roomId, '!submit');
    const confirm = await nextFromBot(lead, bot, conversation.roomId);
    expect(confirm.body).toMatch(/confirm|yes/i);
    await lead.sendText(conversation.roomId, '!yes');
    const done = await nextFromBot(lead, bot, conversation.roomId);
    expect(done.body).toMatch(/submitted/i);

    const stored = await storage.candidacies.findByRoom(conversation.roomId);
    expect(stored?.status).toBe('submitted');
    expect(stored?.collectivite?.name).toMatch(/^Commune de hugo/);
    expect(Object.keys(stored?.answers ?? {}).length).toBe(answered);
  });
});
