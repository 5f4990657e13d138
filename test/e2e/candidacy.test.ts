// The candidacy conversation through the real homeserver, one Matrix client per person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess } from './bot-process.ts';
import {
  answerAll,
  answerCurrent,
  askedNumber,
  nextFromBot,
  openCandidacy,
  questionAsked,
  seedOpenCampaign,
  storageFor,
  validAnswer,
} from './candidate.ts';
import { Person } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;

beforeAll(async () => {
  // These tests check the extras themselves (polls, reactions): they must not pause because
  // other test files load the shared homeserver meanwhile. Pausing is slow-homeserver.test.ts's.
  bot = await BotProcess.start({ config: { bot: { slowHomeserver: { pauseExtrasAboveMs: 0 } } } });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
});

afterAll(() => endBotRun(bot, storage));

async function candidacyOf(roomId: string) {
  const candidacy = await storage.candidacies.findByRoom(roomId);
  if (!candidacy) throw new Error(`no candidacy stored for ${roomId}`);
  return candidacy;
}

describe('a candidate', () => {
  it('completes the questionnaire from the first message to submission', async () => {
    const lea = await Person.register('lea');
    const conversation = await openCandidacy(lea, bot);
    expect(askedNumber(conversation.last)).toBe(1);
    expect(conversation.last.msgtype).toBe('m.notice');
    expect(conversation.last.formattedBody).toBeDefined();
    expect(conversation.last.content['m.mentions']).toEqual({});

    const answered = await answerAll(lea, bot, conversation);
    expect(answered).toBeGreaterThanOrEqual(8);
    // Each handled message is marked read by the bot.
    const [lastAnswer] = (await lea.messages(conversation.roomId, { limit: 20 }))
      .filter((e) => e.sender === lea.userId && e.type === 'm.room.message')
      .slice(-1);
    await lea.readReceiptFrom(conversation.roomId, bot.userId, lastAnswer?.event_id ?? '');
    await lea.sendText(conversation.roomId, '!soumettre');
    await nextFromBot(lea, bot, conversation.roomId);
    await lea.sendText(conversation.roomId, '!oui');
    await nextFromBot(lea, bot, conversation.roomId);

    const stored = await candidacyOf(conversation.roomId);
    expect(stored.status).toBe('submitted');
    expect(Object.keys(stored.answers).length).toBeGreaterThanOrEqual(answered);
    for (const answer of Object.values(stored.answers)) expect(answer.by).toBe(lea.userId);
  });

  it('resumes at the right question after a restart and after kill -9, losing and doubling nothing', async () => {
    const sam = await Person.register('sam');
    const conversation = await openCandidacy(sam, bot);
    await answerCurrent(sam, bot, conversation);
    await answerCurrent(sam, bot, conversation);
    const beforeRestart = askedNumber(conversation.last);

    await bot.restart();
    // The next answer goes to the question asked before the restart.
    await answerCurrent(sam, bot, conversation);
    expect(askedNumber(conversation.last)).toBeGreaterThan(beforeRestart ?? 0);

    // Crash right after the answer is sent: it is handled after the restart, exactly once.
    const question = questionAsked(conversation.questionnaire, conversation.last);
    if (!question) throw new Error('expected a question');
    const answerEvent = await sam.sendText(conversation.roomId, validAnswer(question));
    await bot.kill9();
    await bot.launch();
    const reply = await nextFromBot(sam, bot, conversation.roomId);
    if (question.type === 'list') {
      await sam.sendText(conversation.roomId, '!fini');
      conversation.last = await nextFromBot(sam, bot, conversation.roomId);
    } else conversation.last = reply;
    const stored = await candidacyOf(conversation.roomId);
    expect(stored.answers[question.id]).toBeDefined();
    const audit = await storage.candidacies.listAudit(stored.id);
    expect(audit.filter((entry) => entry.eventId === answerEvent)).toHaveLength(1);
    // No question was asked twice: numbers only go forward.
    const asked = (await sam.messages(conversation.roomId, { limit: 200 }))
      .filter((event) => event.sender === bot.userId && event.type === 'm.room.message')
      .map((event) => /\bQ(\d+)\s*\//.exec(String(event.content.body))?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    expect(asked).toEqual([...asked].sort((a, b) => a - b));
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('is moved out of an encrypted direct chat into a new room, told in French and English', async () => {
    const eve = await Person.register('eve');
    const dm = await eve.openDirectChat(bot.userId, {
      initial_state: [
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      ],
    });
    const notice = await eve.nextMessage(dm, { from: bot.userId, timeoutMs: 20_000 });
    expect(notice.body).toContain('chiffré de bout en bout');
    expect(notice.body).toContain('end-to-end encrypted');
    const roomId = await eve.waitForInvite({ from: bot.userId, timeoutMs: 20_000 });
    expect(roomId).not.toBe(dm);
    await eve.join(roomId);
    const first = await nextFromBot(eve, bot, roomId, (m) => askedNumber(m) !== undefined);
    expect(askedNumber(first)).toBe(1);
  });
});

describe('answers', () => {
  it('an edit replaces the answer, a redaction offers to clear it', async () => {
    const ana = await Person.register('ana');
    const conversation = await openCandidacy(ana, bot);
    const question = questionAsked(conversation.questionnaire, conversation.last);
    expect(question?.type).toBe('short_text');
    const original = await ana.sendText(conversation.roomId, 'Commune de Brive');
    conversation.last = await nextFromBot(ana, bot, conversation.roomId);

    await ana.edit(conversation.roomId, original, 'Commune de Brive-la-Gaillarde');
    const replaced = await nextFromBot(ana, bot, conversation.roomId);
    expect(replaced.body).toContain('Brive-la-Gaillarde');
    let stored = await candidacyOf(conversation.roomId);
    expect(stored.answers[question?.id ?? '']?.value).toBe('Commune de Brive-la-Gaillarde');

    await ana.redact(conversation.roomId, original);
    const offer = await nextFromBot(ana, bot, conversation.roomId);
    expect(offer.body.length).toBeGreaterThan(0);
    await ana.sendText(conversation.roomId, '!oui');
    await nextFromBot(ana, bot, conversation.roomId);
    stored = await candidacyOf(conversation.roomId);
    expect(stored.answers[question?.id ?? '']).toBeUndefined();
  });

  it('reactions and poll answers work as quick replies', async () => {
    const max = await Person.register('max');
    const conversation = await openCandidacy(max, bot);
    // Walk to the first single-choice question, then to the first yes/no one.
    const reachType = async (type: string) => {
      for (let i = 0; i < 30; i++) {
        if (questionAsked(conversation.questionnaire, conversation.last)?.type === type) return;
        await answerCurrent(max, bot, conversation);
      }
      throw new Error(`no ${type} question reached`);
    };
    await reachType('single_choice');
    const choice = questionAsked(conversation.questionnaire, conversation.last);
    if (choice?.type !== 'single_choice') throw new Error('expected a single choice');
    const poll = await max.nextEvent(conversation.roomId, {
      from: bot.userId,
      type: 'org.matrix.msc3381.poll.start',
      timeoutMs: 10_000,
    });
    const second = choice.choices[1];
    // The poll's answer ids name the question and the choice.
    await max.sendEvent(conversation.roomId, 'org.matrix.msc3381.poll.response', {
      'm.relates_to': { rel_type: 'm.reference', event_id: poll.event_id },
      'org.matrix.msc3381.poll.response': { answers: [`${choice.id}/${second?.id}`] },
    });
    conversation.last = await nextFromBot(max, bot, conversation.roomId);
    expect((await candidacyOf(conversation.roomId)).answers[choice.id]?.value).toBe(second?.id);

    await reachType('yes_no');
    const yesNo = questionAsked(conversation.questionnaire, conversation.last);
    const prompt = conversation.last;
    await max.sendReaction(conversation.roomId, prompt.eventId, '✅');
    conversation.last = await nextFromBot(max, bot, conversation.roomId, (m) => m.msgtype === 'm.notice');
    expect((await candidacyOf(conversation.roomId)).answers[yesNo?.id ?? '']?.value).toBe(true);
  });

  it('escapes HTML and script in answers, and refuses a 60 KB message politely', async () => {
    const zoe = await Person.register('zoe');
    const conversation = await openCandidacy(zoe, bot);
    await zoe.sendText(conversation.roomId, '<script>alert(1)</script><b>Mairie</b>');
    conversation.last = await nextFromBot(zoe, bot, conversation.roomId);
    await zoe.sendText(conversation.roomId, '!recap');
    const summary = await nextFromBot(zoe, bot, conversation.roomId);
    expect(summary.formattedBody).toContain('&lt;script&gt;');
    expect(summary.formattedBody).not.toContain('<script>');
    expect(summary.formattedBody).not.toContain('<b>Mairie</b>');

    const before = await candidacyOf(conversation.roomId);
    await zoe.sendText(conversation.roomId, 'x'.repeat(60_000));
    const refusal = await nextFromBot(zoe, bot, conversation.roomId);
    expect(refusal.body).toMatch(/trop long|too long/);
    const after = await candidacyOf(conversation.roomId);
    expect(after.version).toBe(before.version);
  });
});

describe('people in a candidacy room', () => {
  it('a stranger cannot answer; two co-editors answering at once are both recorded', async () => {
    const lead = await Person.register('lead');
    const colleague = await Person.register('colleague');
    const stranger = await Person.register('stranger');
    const conversation = await openCandidacy(lead, bot);

    // The lead lets a stranger into the room by hand (not through the bot): they still cannot answer.
    await lead.invite(conversation.roomId, stranger.userId);
    await stranger.join(conversation.roomId);
    await stranger.sendText(conversation.roomId, 'Commune pirate');
    const refused = await stranger.nextMessage(conversation.roomId, {
      from: bot.userId,
      predicate: (m) => m.body.includes(stranger.userId),
    });
    expect(refused.body).toMatch(/ne faites pas partie|not part of/);
    expect((await candidacyOf(conversation.roomId)).answers).toEqual({});

    await lead.sendText(conversation.roomId, `!inviter ${colleague.userId}`);
    const invited = await nextFromBot(lead, bot, conversation.roomId, (m) =>
      m.body.includes(colleague.userId),
    );
    expect(invited.body).toMatch(/invité|invited/);
    await colleague.acceptInvite({ roomId: conversation.roomId });

    // Both texts are valid for both questions (a name, then the kind "commune"), whatever order they land in.
    await Promise.all([
      lead.sendText(conversation.roomId, 'Commune'),
      colleague.sendText(conversation.roomId, 'commune'),
    ]);
    const asks = (m: { body: string }) => /\bQ\d+\s*\//.test(m.body);
    await nextFromBot(lead, bot, conversation.roomId, asks);
    await nextFromBot(lead, bot, conversation.roomId, asks);
    const stored = await candidacyOf(conversation.roomId);
    const by = Object.values(stored.answers).map((answer) => answer.by);
    expect(by).toContain(lead.userId);
    expect(by).toContain(colleague.userId);
    expect(stored.people.coEditors.map((p) => p.userId)).toEqual([colleague.userId]);
  });
});
