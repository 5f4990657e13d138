// What a person meets in the candidacy room, through the real homeserver and bot, one Matrix
// client per person: one quick widget per question, closed once answered; the current question
// recalled after every side reply; invisible and over-long answers refused; a list built by two
// people credited entry by entry in the exports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExport } from '../../bot/exports/build.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess } from './bot-process.ts';
import {
  answerCurrent,
  askedNumber,
  type Conversation,
  nextFromBot,
  openCandidacy,
  questionAsked,
  seedOpenCampaign,
  storageFor,
} from './candidate.ts';
import { type MatrixEvent, Person, type ReceivedMessage } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;
let campaign: Campaign;

beforeAll(async () => {
  // Polls and reactions are what these tests look at: they must not pause under other files' load.
  bot = await BotProcess.start({ config: { bot: { slowHomeserver: { pauseExtrasAboveMs: 0 } } } });
  storage = await storageFor(bot);
  campaign = await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
});

afterAll(() => endBotRun(bot, storage));

async function candidacyOf(roomId: string) {
  const candidacy = await storage.candidacies.findByRoom(roomId);
  if (!candidacy) throw new Error(`no candidacy stored for ${roomId}`);
  return candidacy;
}

/** Answers (typed) until the question asked has this number. */
async function reach(person: Person, conversation: Conversation, number: number): Promise<void> {
  for (let i = 0; i < 20 && askedNumber(conversation.last) !== number; i++)
    await answerCurrent(person, bot, conversation);
  expect(askedNumber(conversation.last)).toBe(number);
}

const relatesTo = (event: MatrixEvent) =>
  (event.content['m.relates_to'] as { event_id?: string; key?: string } | undefined) ?? {};

/** The line that ends every side reply while question `number` is asked. */
const currentLine = (number: number) => new RegExp(`Question en cours, Q${number} : [^\\n]+$`);

describe('one way to answer at a time, closed once answered', () => {
  it('a choice question gets one poll and no reactions; answered by typing, its poll is ended; a late vote is answered', async () => {
    const ines = await Person.register('ines');
    const conversation = await openCandidacy(ines, bot);
    await reach(ines, conversation, 2);
    const question = conversation.last;
    expect(question.body).toMatch(/Tapez le numéro de votre réponse/);
    const poll = await ines.nextEvent(conversation.roomId, {
      from: bot.userId,
      type: 'org.matrix.msc3381.poll.start',
    });
    const start = poll.content['org.matrix.msc3381.poll.start'] as {
      question: Record<string, string>;
      answers: Array<{ id: string; 'org.matrix.msc1767.text': string }>;
    };
    // A short title, not the question again; the answers in the questionnaire's order.
    expect(start.question['org.matrix.msc1767.text']).toBe('Réponse rapide à la Q2');
    expect(start.answers.map((a) => a['org.matrix.msc1767.text'])).toEqual([
      'Commune',
      'Intercommunalité',
      'Département',
      'Région',
      'Autre organisme public',
    ]);

    await ines.sendText(conversation.roomId, '2');
    conversation.last = await nextFromBot(ines, bot, conversation.roomId);
    expect(askedNumber(conversation.last)).toBe(3);
    const end = await ines.nextEvent(conversation.roomId, {
      from: bot.userId,
      type: 'org.matrix.msc3381.poll.end',
    });
    expect(relatesTo(end)).toEqual({ rel_type: 'm.reference', event_id: poll.event_id });
    expect(end.content['org.matrix.msc3381.poll.end']).toEqual({});
    expect(end.content['org.matrix.msc1767.text']).toMatch(/Q2/);

    // A vote that comes after: nothing changes, and the person is told how to change the answer.
    const intercommunalite = start.answers[1]?.id;
    await ines.sendEvent(conversation.roomId, 'org.matrix.msc3381.poll.response', {
      'm.relates_to': { rel_type: 'm.reference', event_id: poll.event_id },
      'org.matrix.msc3381.poll.response': { answers: [start.answers[0]?.id] },
    });
    const late = await nextFromBot(ines, bot, conversation.roomId);
    expect(late.body).toContain('La Q2 a déjà une réponse : Intercommunalité. Pour la changer : !modifier 2');
    expect(late.body).toMatch(currentLine(3));
    const stored = await candidacyOf(conversation.roomId);
    expect(stored.answers.collectivity_kind?.value).toBe(intercommunalite?.split('/')[1]);

    // No reaction was ever added to the choice question.
    const history = await ines.messages(conversation.roomId, { limit: 100 });
    const reactions = history.filter(
      (e) => e.type === 'm.reaction' && e.sender === bot.userId && relatesTo(e).event_id === question.eventId,
    );
    expect(reactions).toEqual([]);
  });

  it('a yes/no question gets ✅ then ❌; answered with one, a late reaction is answered', async () => {
    const jules = await Person.register('jules');
    const conversation = await openCandidacy(jules, bot);
    await reach(jules, conversation, 7);
    const question = conversation.last;
    expect(questionAsked(conversation.questionnaire, question)?.type).toBe('yes_no');
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const reaction = await jules.nextEvent(conversation.roomId, {
        from: bot.userId,
        type: 'm.reaction',
        predicate: (e) => relatesTo(e).event_id === question.eventId,
      });
      keys.push(relatesTo(reaction).key ?? '');
    }
    expect(keys).toEqual(['✅', '❌']);

    await jules.sendReaction(conversation.roomId, question.eventId, '✅');
    conversation.last = await nextFromBot(jules, bot, conversation.roomId);
    expect(askedNumber(conversation.last)).toBe(8);
    expect((await candidacyOf(conversation.roomId)).answers.uses_linux_workstations?.value).toBe(true);

    await jules.sendReaction(conversation.roomId, question.eventId, '❌');
    const late = await nextFromBot(jules, bot, conversation.roomId);
    expect(late.body).toContain('La Q7 a déjà une réponse : Oui. Pour la changer : !modifier 7');
    expect(late.body).toMatch(currentLine(8));
    expect((await candidacyOf(conversation.roomId)).answers.uses_linux_workstations?.value).toBe(true);
  });
});

describe('the current question is never lost from view', () => {
  it('ends every side reply: !recap, !progression, !aide, an unknown command, a refusal', async () => {
    const karim = await Person.register('karim');
    const conversation = await openCandidacy(karim, bot);
    await reach(karim, conversation, 3);
    const replies: ReceivedMessage[] = [];
    for (const command of ['!recap', '!progression', '!aide', '!abracadabra', '!modifier 99', '!soumettre']) {
      await karim.sendText(conversation.roomId, command);
      const reply = await nextFromBot(karim, bot, conversation.roomId);
      replies.push(reply);
      expect(reply.body, command).toMatch(currentLine(3));
      expect(reply.body, command).toContain('nom et prénom');
    }
    // The counts agree with "Q3/11": over the eleven questions.
    expect(replies[1]?.body).toContain('2 réponses sur 11.');
    expect(replies[0]?.body).toContain('2 réponses sur 11.');
    // The help's examples name questions that exist.
    expect(replies[2]?.body).toContain('!aide 3');
    expect(replies[2]?.body).not.toMatch(/\b12\b/);
    // Still at Q3: the next typed answer goes to it.
    await answerCurrent(karim, bot, conversation);
    expect(askedNumber(conversation.last)).toBe(4);
  });
});

describe('input hygiene', () => {
  it('an answer of zero-width characters and a 25,000-character one are refused, and the question asked again', async () => {
    const lou = await Person.register('lou');
    const conversation = await openCandidacy(lou, bot);
    const before = await candidacyOf(conversation.roomId);

    await lou.sendText(conversation.roomId, '\u200b\u200c\u2060\u00a0');
    const empty = await nextFromBot(lou, bot, conversation.roomId);
    expect(empty.body).toContain('la réponse est vide');
    expect(askedNumber(empty)).toBe(1);

    await lou.sendText(conversation.roomId, 'x'.repeat(25_000));
    const long = await nextFromBot(lou, bot, conversation.roomId);
    expect(long.body).toMatch(/trop long/);
    expect(long.body).toMatch(currentLine(1));

    const after = await candidacyOf(conversation.roomId);
    expect(after.answers).toEqual({});
    expect(Object.keys(after.answers)).toEqual(Object.keys(before.answers));
    // Decomposed accents are stored composed.
    await lou.sendText(conversation.roomId, 'Commune de Me\u0301ze');
    conversation.last = await nextFromBot(lou, bot, conversation.roomId);
    expect((await candidacyOf(conversation.roomId)).answers.collectivity_name?.value).toBe('Commune de Méze');
  });

  it('a list built by two people credits each entry to its author, in the audit trail and the JSON and CSV exports', async () => {
    const lead = await Person.register('maud');
    const colleague = await Person.register('nils');
    const conversation = await openCandidacy(lead, bot);
    await lead.sendText(conversation.roomId, `!inviter ${colleague.userId}`);
    const invited = await nextFromBot(lead, bot, conversation.roomId, (m) =>
      m.body.includes(colleague.userId),
    );
    expect(invited.body).toMatch(currentLine(1));
    await colleague.acceptInvite({ roomId: conversation.roomId });
    await reach(lead, conversation, 6);

    await lead.sendText(conversation.roomId, 'LibreOffice');
    await nextFromBot(lead, bot, conversation.roomId);
    await colleague.sendText(conversation.roomId, 'Firefox');
    await nextFromBot(lead, bot, conversation.roomId);
    await colleague.sendText(conversation.roomId, '!fini');
    conversation.last = await nextFromBot(lead, bot, conversation.roomId);
    expect(askedNumber(conversation.last)).toBe(7);

    const stored = await candidacyOf(conversation.roomId);
    const answer = stored.answers.free_software_used;
    expect(answer).toMatchObject({ value: ['LibreOffice', 'Firefox'], by: colleague.userId });
    expect(answer?.itemsBy).toEqual([lead.userId, colleague.userId]);
    const audit = (await storage.candidacies.listAudit(stored.id)).find(
      (e) => e.kind === 'answer' && e.questionId === 'free_software_used',
    );
    expect(audit?.kind === 'answer' ? audit.itemsBy : undefined).toEqual([lead.userId, colleague.userId]);

    const now = new Date();
    const json = await buildExport(storage, campaign.id, 'json', { lang: 'fr', now });
    if (!json.ok) throw new Error(`no JSON export: ${json.reason}`);
    const exported = JSON.parse(json.files[0]?.data.toString('utf8') ?? '{}') as {
      candidacies: Array<{ id: string; answers: Record<string, { itemsBy?: string[] }> }>;
    };
    const mine = exported.candidacies.find((c) => c.id === stored.id);
    expect(mine?.answers.free_software_used?.itemsBy).toEqual([lead.userId, colleague.userId]);

    const csv = await buildExport(storage, campaign.id, 'csv', { lang: 'fr', now });
    if (!csv.ok) throw new Error(`no CSV export: ${csv.reason}`);
    const csvText = csv.files[0]?.data.toString('utf8') ?? '';
    expect(csvText).toContain(`LibreOffice (${lead.userId})\nFirefox (${colleague.userId})`);

    const trail = await buildExport(storage, campaign.id, 'audit', { lang: 'fr', now });
    if (!trail.ok) throw new Error(`no audit export: ${trail.reason}`);
    const lines = (trail.files[0]?.data.toString('utf8') ?? '').split(/\r?\n/);
    const entryLine = (author: string, entry: string) =>
      lines.find(
        (l) => l.includes(stored.id) && l.includes('answer_entry') && l.includes(author) && l.includes(entry),
      );
    expect(entryLine(lead.userId, 'LibreOffice')).toBeDefined();
    expect(entryLine(colleague.userId, 'Firefox')).toBeDefined();
  });
});
