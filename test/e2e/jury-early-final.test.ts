// A campaign that lets a candidate make a submitted dossier final before closing: the
// candidate is told so at submission, confirms `!definitif`, and from then on cannot
// change it; the jury's thread says voting is open and each juror's ballot room lists
// it; a vote is taken at once. In a campaign that does not allow it, `!definitif` says
// the dossier stays editable until closing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess } from './bot-process.ts';
import { nextFromBot, seedOpenCampaign, storageFor, storedRoom } from './candidate.ts';
import { enterBallotRoom, inThread, submitDossier } from './jury-people.ts';
import { Person } from './people.ts';
import { endBotRun } from './teardown.ts';

let bot: BotProcess;
let storage: Storage;
let bruno: Person;
let lea: Person;
let juryRoom = '';

beforeAll(async () => {
  [bruno, lea] = await Promise.all(['final-bruno', 'final-lea'].map((name) => Person.register(name)));
  bot = await BotProcess.start({ config: { people: { jurors: [bruno.userId] } } });
  storage = await storageFor(bot);
  juryRoom = await storedRoom(storage, 'room:jury');
  await bruno.acceptInvite({ roomId: juryRoom, timeoutMs: 30_000 });
});

afterAll(() => endBotRun(bot, storage));

async function submit(person: Person): Promise<{ roomId: string; confirmation: string }> {
  const { roomId, confirmation } = await submitDossier(person, bot);
  return { roomId, confirmation: confirmation.body };
}

describe('a dossier made final before closing', () => {
  it('is refused where the campaign does not allow it: the dossier stays editable until closing', async () => {
    await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
    const noe = await Person.register('final-noe');
    const { roomId, confirmation } = await submit(noe);
    expect(confirmation).toContain('Le jury peut le lire dès maintenant');
    expect(confirmation).not.toContain('!definitif');
    await noe.sendText(roomId, '!definitif');
    const refused = await nextFromBot(noe, bot, roomId);
    expect(refused.body).toContain('ne permet pas de rendre un dossier définitif avant la clôture');
    expect((await storage.candidacies.findByRoom(roomId))?.status).toBe('submitted');
  });

  it('is offered at submission, confirmed, frozen, and opens the vote at once', async () => {
    // The organisers allow it for this campaign; the bot reads campaigns again after its
    // clock moves (as after any change an organiser makes through the bot).
    const campaign = (await storage.campaigns.list()).find((c) => c.status === 'open');
    if (!campaign) throw new Error('no open campaign');
    await storage.campaigns.update(campaign, { settings: { earlyFinal: true }, by: '@organiser:localhost' });
    await bot.setClock('+1000');
    const { roomId, confirmation } = await submit(lea);
    expect(confirmation).toContain('Le jury peut le lire dès maintenant');
    expect(confirmation).toContain('!definitif pour le rendre définitif dès maintenant');
    const root = await bruno.nextMessage(juryRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('#2') && !m.content['m.relates_to'],
    });
    expect(root.body).toContain('Dossier provisoire');
    const { roomId: ballot } = await enterBallotRoom(storage, bot, bruno);
    bruno.skipPending(ballot);
    await bruno.sendText(ballot, '!voter #2 3');
    expect((await bruno.nextMessage(ballot, { from: bot.userId, timeoutMs: 30_000 })).body).toContain(
      'encore provisoire',
    );

    await lea.sendText(roomId, '!definitif');
    expect((await nextFromBot(lea, bot, roomId)).body).toContain(
      'Rendre votre dossier définitif maintenant ?',
    );
    await lea.sendText(roomId, '!oui');
    expect((await nextFromBot(lea, bot, roomId)).body).toContain('Votre dossier est définitif');
    expect((await storage.candidacies.findByRoom(roomId))?.status).toBe('under_review');

    const opened = await bruno.nextMessage(juryRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => inThread(root.eventId)(m) && m.body.includes('Le vote est ouvert'),
    });
    expect(opened.body).toContain('Dossier #2 définitif');
    const notice = await bruno.nextMessage(ballot, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Le vote est ouvert'),
    });
    expect(notice.body).toContain('#2 ');
    bruno.skipPending(ballot);
    await bruno.sendText(ballot, '!voter #2 3');
    expect((await bruno.nextMessage(ballot, { from: bot.userId, timeoutMs: 30_000 })).body).toContain(
      'Vote enregistré pour #2',
    );

    // Final: the candidate can no longer change it.
    await lea.sendText(roomId, '!modifier 1');
    expect((await nextFromBot(lea, bot, roomId)).body).toContain('ne peut plus être modifié');
  });
});
