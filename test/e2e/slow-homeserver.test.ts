// When the homeserver is saturated, the bot stops adding extras (quick-reply reactions,
// polls, typing, receipts) and resumes once its sends are quick again; answering by text and
// by reaction keeps working all along. The bot reaches Synapse through a proxy that can hold
// its sends back; the candidate talks to Synapse directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess, metricTotal, stackEnv } from './bot-process.ts';
import {
  answerCurrent,
  nextFromBot,
  openCandidacy,
  questionAsked,
  seedOpenCampaign,
  storageFor,
  type Conversation,
} from './candidate.ts';
import { settle } from './patience.ts';
import { Person, type MatrixEvent } from './people.ts';
import { SlowHomeserver } from './slow-homeserver.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;
let proxy: SlowHomeserver;

beforeAll(async () => {
  proxy = new SlowHomeserver(stackEnv().homeserverUrl);
  await proxy.start();
  bot = await BotProcess.start({
    config: {
      homeserver: { url: proxy.url },
      // The defaults (1000/300 ms) but higher: other test files share the homeserver, and
      // their load must not trip it; a 4 s hold trips it at the second send.
      bot: { slowHomeserver: { pauseExtrasAboveMs: 1500, resumeBelowMs: 600 } },
    },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
});

afterAll(async () => {
  // How long the bot's sends took, to tell a slow machine from a wrong pause.
  const { body } = (await bot?.health('/metrics')) ?? { body: '' };
  console.log(
    body
      .split('\n')
      .filter((l) => l.startsWith('tnl_homeserver_send_seconds'))
      .join('\n'),
  );
  await endBotRun(bot, storage);
  await proxy?.stop();
});

async function metric(name: string): Promise<number> {
  return metricTotal(await bot.metrics(), name);
}

/** The bot's reactions and polls on or after its message `eventId`, as the homeserver stores them. */
async function extrasAfter(person: Person, roomId: string, eventId: string): Promise<MatrixEvent[]> {
  const events = await person.messages(roomId, { limit: 100 });
  const index = events.findIndex((e) => e.event_id === eventId);
  return events
    .slice(index)
    .filter((e) => e.sender === bot.userId)
    .filter((e) => e.type === 'm.reaction' || e.type === 'org.matrix.msc3381.poll.start');
}

async function answerUntil(person: Person, conversation: Conversation, type: string): Promise<void> {
  for (let i = 0; i < 12; i++) {
    const asked = questionAsked(conversation.questionnaire, conversation.last);
    if (!asked) throw new Error(`the bot asks nothing:\n${conversation.last.body}`);
    if (asked.type === type) return;
    await answerCurrent(person, bot, conversation, { timeoutMs: 40_000 });
  }
  throw new Error(`no ${type} question reached`);
}

describe('a saturated homeserver', () => {
  it('pauses quick replies and polls while sends are slow, and resumes them after', async () => {
    const eva = await Person.register('eva');
    const conversation = await openCandidacy(eva, bot);

    // Quick homeserver: the single-choice question comes with its poll (its one quick widget).
    await answerUntil(eva, conversation, 'single_choice');
    const choice = conversation.last;
    const poll = await eva.nextEvent(conversation.roomId, {
      from: bot.userId,
      type: 'org.matrix.msc3381.poll.start',
    });
    expect((await extrasAfter(eva, conversation.roomId, choice.eventId)).map((e) => e.event_id)).toEqual([
      poll.event_id,
    ]);
    expect(await metric('tnl_homeserver_slow')).toBe(0);

    // Saturated: every send of the bot takes 4 s more. The questions still come, bare.
    proxy.sendDelayMs = 4000;
    await answerUntil(eva, conversation, 'yes_no');
    const yesNo = conversation.last;
    expect(await metric('tnl_homeserver_slow')).toBe(1);
    await settle(3000); // time for any reaction to land
    expect(await extrasAfter(eva, conversation.roomId, yesNo.eventId)).toEqual([]);
    expect(await metric('tnl_extras_skipped_total')).toBeGreaterThanOrEqual(2);

    // Answering with a reaction key still works without the bot's own keys under the question.
    const question = questionAsked(conversation.questionnaire, yesNo);
    await eva.sendReaction(conversation.roomId, yesNo.eventId, '✅');
    conversation.last = await nextFromBot(eva, bot, conversation.roomId, (m) => m.msgtype === 'm.notice');
    const stored = await storage.candidacies.findByRoom(conversation.roomId);
    expect(stored?.answers[question?.id ?? '']?.value).toBe(true);

    // Quick again: after a few quick sends (answers to "!aide") the extras come back.
    proxy.sendDelayMs = 0;
    for (let i = 0; i < 12 && (await metric('tnl_homeserver_slow')) === 1; i++) {
      await eva.sendText(conversation.roomId, '!aide');
      await nextFromBot(eva, bot, conversation.roomId);
    }
    expect(await metric('tnl_homeserver_slow')).toBe(0);
    await answerUntil(eva, conversation, 'yes_no');
    const again = conversation.last;
    const keys = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const reaction = await eva.nextEvent(conversation.roomId, {
        from: bot.userId,
        type: 'm.reaction',
        predicate: (e) => (e.content['m.relates_to'] as { event_id?: string })?.event_id === again.eventId,
      });
      keys.add(String((reaction.content['m.relates_to'] as { key?: string }).key));
    }
    expect(keys).toEqual(new Set(['✅', '❌']));
  });
});
