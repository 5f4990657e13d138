// The homeserver and the database restart while candidates answer: the bot recovers by
// itself (same process), answers sent while the database is down are refused with the
// localised "not saved, please send it again" reply and leave nothing half-written.
//
// These tests really stop Synapse and PostgreSQL: every other client of the stack sees
// the outage. vitest.config.ts runs this file in its own project, after all others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../storage/storage.ts';
import { BotProcess } from '../bot-process.ts';
import { settle } from '../patience.ts';
import { seedOpenCampaign, storageFor } from '../candidate.ts';
import {
  Candidate,
  describeLines,
  errorLines,
  expectAlive,
  history,
  questionNumberIn,
  restartService,
  waitUntil,
} from './support.ts';
import { endBotRun } from '../teardown.ts';

let bot: BotProcess;
let storage: Storage;

beforeAll(async () => {
  bot = await BotProcess.start();
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
});

afterAll(() => endBotRun(bot, storage));

function readyCount(): number {
  return bot.logs.filter((line) => line.msg === 'ready').length;
}

/** Stored answers, audit trail and room history agree with what each candidate was told. */
async function expectConsistent(candidate: Candidate): Promise<void> {
  const stored = await storage.candidacies.findByRoom(candidate.roomId);
  if (!stored) throw new Error(`no candidacy for ${candidate.roomId}`);
  const acknowledged = candidate.acknowledged();
  const refused = candidate.turns.filter((turn) => turn.outcome !== 'next');
  const audit = (await storage.candidacies.listAudit(stored.id)).filter((entry) => entry.kind === 'answer');
  // Every acknowledged answer is stored, once; nothing that was refused left a trace.
  expect(audit.map((entry) => entry.eventId).sort()).toEqual(acknowledged.map((t) => t.eventId).sort());
  expect(Object.keys(stored.answers)).toHaveLength(acknowledged.length);
  for (const turn of refused) expect(stored.recentEventIds).not.toContain(turn.eventId);
  // The conversation went forward one question per acknowledged answer, asking none twice.
  const asked = (await history(candidate.person, candidate.roomId))
    .filter((e) => e.sender === bot.userId && e.type === 'm.room.message')
    .map((e) => questionNumberIn(e.content.body))
    .filter((n): n is number => n !== undefined);
  expect(asked).toEqual(asked.map((_, i) => i + 1));
  expect(candidate.current).toBe(acknowledged.length + 1);
}

describe('the homeserver restarts during activity', () => {
  it('the bot resumes by itself and handles the answers sent after the restart', async () => {
    const candidates = await Promise.all(['hs-a', 'hs-b', 'hs-c'].map((name) => Candidate.open(name, bot)));
    const readyBefore = readyCount();
    const errorsBefore = bot.logs.length;

    // Each candidate answers continuously; the homeserver goes away for 2 s in the middle.
    const answering = Promise.all(candidates.map((c) => c.answerAcknowledged(4, 400)));
    await waitUntil(() => candidates.every((c) => c.turns.length >= 1), 30_000, 'first answers');
    await restartService('synapse', 2);
    const back = Date.now();
    await answering;

    // Answers sent once the homeserver is back are handled too.
    const after = await Promise.all(candidates.map((c) => c.answer()));
    expect(after.map((turn) => turn.outcome)).toEqual(['next', 'next', 'next']);
    console.log(`homeserver restart: all answers handled ${Date.now() - back} ms after Synapse was back`);

    expect(readyCount()).toBe(readyBefore); // the same process, no restart of the bot
    expect((await bot.health('/healthz')).status).toBe(200);
    const errors = errorLines(bot, errorsBefore);
    expect(errors, describeLines(errors)).toEqual([]);
    for (const candidate of candidates) await expectConsistent(candidate);
  });
});

describe('the database restarts during activity', () => {
  it('answers sent while it is down get "not saved, please resend"; nothing half-written remains', async () => {
    const candidates = await Promise.all(['db-a', 'db-b', 'db-c'].map((name) => Candidate.open(name, bot)));
    const readyBefore = readyCount();
    for (const candidate of candidates) await candidate.answer();
    const logsBefore = bot.logs.length;

    // While the database is down, each candidate answers the question it is asked.
    const duringOutage: Array<Promise<unknown>> = [];
    await restartService('db', 6, async () => {
      for (const candidate of candidates) duringOutage.push(candidate.answer(30_000));
      await Promise.all(duringOutage);
    });
    const refused = candidates.map((c) => c.turns[c.turns.length - 1]);
    for (const turn of refused) {
      expect.soft(turn?.outcome, turn?.reply?.body).toBe('notSaved');
      expect.soft(turn?.reply?.body).toContain("n'a pas pu être enregistré");
    }
    await expectAlive(bot);
    const handlerErrors = errorLines(bot, logsBefore);
    expect.soft(handlerErrors, describeLines(handlerErrors)).toEqual([]);

    // Back up: the same answers, sent again, are taken, without restarting the bot.
    await waitUntil(
      () =>
        storage.ping().then(
          () => true,
          () => false,
        ),
      30_000,
      'the database',
    );
    await Promise.all(candidates.map((c) => c.answerAcknowledged(2, 200, 30_000)));
    await settle(500);

    expect(readyCount()).toBe(readyBefore);
    expect((await bot.health('/readyz')).status).toBe(200);
    for (const candidate of candidates) await expectConsistent(candidate);
  });
});
