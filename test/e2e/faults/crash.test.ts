// Thirty candidates answer at the same time while the bot is killed with SIGKILL ten
// times at random moments and started again. At the end every answer a candidate saw
// acknowledged is stored exactly once, no question was asked twice, and every
// conversation goes on at the right question.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../storage/storage.ts';
import { BotProcess } from '../bot-process.ts';
import { answerCurrent, askedNumber, seedOpenCampaign, storageFor } from '../candidate.ts';
import {
  Candidate,
  describeLines,
  errorLines,
  expectAlive,
  history,
  questionNumberIn,
  sleep,
  waitUntil,
} from './support.ts';
import { endBotRun } from '../teardown.ts';

const CANDIDATES = 30;
const KILLS = 10;
/** Questions 1 to 5 of the badge questionnaire (the 6th is a list). */
const ANSWERS = 5;

let bot: BotProcess;
let storage: Storage;

beforeAll(async () => {
  bot = await BotProcess.start();
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
});

afterAll(() => endBotRun(bot, storage));

describe('kill -9 while thirty candidates answer', () => {
  it('stores every acknowledged answer exactly once and asks no question twice', async () => {
    const opened = Date.now();
    const candidates = await Promise.all(
      Array.from({ length: CANDIDATES }, (_, i) => Candidate.open(`crash-${i}`, bot)),
    );
    const openedIn = Date.now() - opened;
    const logsFrom = bot.logs.length;

    // Answers in flight (sent, not yet replied to), to kill the bot in the middle of the work.
    let inFlight = 0;
    const anomalies: string[] = [];
    const answering = Promise.all(
      candidates.map(async (candidate) => {
        while (candidate.acknowledged().length < ANSWERS) {
          await sleep(Math.random() * 1500);
          inFlight++;
          const turn = await candidate.answer(90_000).finally(() => inFlight--);
          if (turn.outcome !== 'next') {
            anomalies.push(
              `${candidate.person.userId} Q${turn.question}: ${turn.outcome} ${turn.reply?.body ?? ''}`,
            );
            return;
          }
        }
      }),
    );

    const interrupted: number[] = [];
    const launches: number[] = [];
    const chaosStarted = Date.now();
    // Kills spread over the work whatever the machine's speed: the k-th once about k/11 of
    // three quarters of all answers were acknowledged (a restart releases a burst of replies,
    // and the last kill must still find work), give or take a few, then at a random instant.
    const total = CANDIDATES * ANSWERS;
    const acknowledged = () => candidates.reduce((sum, c) => sum + c.acknowledged().length, 0);
    for (let kill = 0; kill < KILLS; kill++) {
      const threshold = Math.round((0.75 * (kill + 1) * total) / (KILLS + 1) + (Math.random() - 0.5) * 6);
      await waitUntil(() => acknowledged() >= threshold, 60_000, `${threshold} acknowledged answers`, 20);
      await sleep(Math.random() * 400);
      await waitUntil(() => inFlight > 0 || acknowledged() >= total, 60_000, 'an answer in flight', 5);
      interrupted.push(inFlight);
      await bot.kill9();
      await sleep(Math.random() * 500);
      const launched = Date.now();
      await bot.launch();
      launches.push(Date.now() - launched);
    }
    await answering;
    const chaosIn = Date.now() - chaosStarted;
    console.log(
      `crash: ${CANDIDATES} candidacies opened in ${openedIn} ms; ${KILLS} kills in ${chaosIn} ms, ` +
        `answers in flight at each kill: ${interrupted.join(', ')}; start to ready (ms): ${launches.join(', ')}`,
    );

    expect(anomalies).toEqual([]);
    // Every kill interrupted answers being handled.
    expect(interrupted.filter((n) => n > 0)).toHaveLength(KILLS);

    for (const candidate of candidates) {
      const stored = await storage.candidacies.findByRoom(candidate.roomId);
      if (!stored) throw new Error(`no candidacy for ${candidate.roomId}`);
      const acknowledged = candidate.acknowledged().map((turn) => turn.eventId);
      expect(acknowledged).toHaveLength(ANSWERS);
      // One audit entry per acknowledged answer event, and no other answer.
      const audit = (await storage.candidacies.listAudit(stored.id)).filter((e) => e.kind === 'answer');
      expect(audit.map((entry) => entry.eventId).sort()).toEqual([...acknowledged].sort());
      expect(Object.keys(stored.answers)).toHaveLength(ANSWERS);
      // Questions asked in order, each once.
      const asked = (await history(candidate.person, candidate.roomId))
        .filter((e) => e.sender === bot.userId && e.type === 'm.room.message')
        .map((e) => questionNumberIn(e.content.body))
        .filter((n): n is number => n !== undefined);
      expect(asked, candidate.person.userId).toEqual([1, 2, 3, 4, 5, 6]);
    }

    // Each conversation goes on at the right question (the 6th, a list, then the 7th).
    await Promise.all(
      candidates.map(async (candidate) => {
        expect(candidate.current).toBe(ANSWERS + 1);
        await answerCurrent(candidate.person, bot, candidate.conversation);
        expect(askedNumber(candidate.conversation.last)).toBe(ANSWERS + 2);
      }),
    );

    await expectAlive(bot);
    expect(bot.logs.filter((line) => line.msg === 'ready')).toHaveLength(KILLS + 1);
    const errors = errorLines(bot, logsFrom);
    expect(errors, describeLines(errors)).toEqual([]);
  });
});
