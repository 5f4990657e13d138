// Numbers for the storage of answers (issue 4): database round trips per answer
// saved, and time per answer at p50/p99 with many candidacies answering at once.
// Each candidacy is answered by one writer, one answer after the other, as the bot
// does per room (rooms run concurrently). An answer is saved the way the bot saves
// it: updateWithRetry with the Matrix event id (read + one conditional write).
//
// Usage: node bench/storage.ts [--uri URI] [--candidacies 100] [--answers 20] [--memory]
// The URI defaults to TNL_MONGODB_URI (printed by `bash scripts/stack.sh env`).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { createMemoryStorage, openStorage, type Storage } from '../storage/index.ts';

const { values } = parseArgs({
  options: {
    uri: {
      type: 'string',
      default: process.env.TNL_MONGODB_URI ?? 'mongodb://127.0.0.1:27027/?directConnection=true',
    },
    candidacies: { type: 'string', default: '100' },
    answers: { type: 'string', default: '20' },
    memory: { type: 'boolean', default: false },
  },
});
const candidacyCount = Number(values.candidacies);
const answersEach = Number(values.answers);
const dbName = `bench_storage_${randomBytes(4).toString('hex')}`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** A long-ish free-text answer, as candidates write them. */
function answerText(i: number): string {
  return `Réponse ${i} : ${'nous utilisons LibreOffice, Firefox et Thunderbird sur nos postes. '.repeat(1 + (i % 8))}`;
}

/** A conversation snapshot of a realistic size (a few KB of JSON). */
function snapshot(step: number): unknown {
  return {
    status: 'active',
    value: { questionnaire: { section: `s${step % 5}`, question: `q${step}` } },
    context: { step, history: Array.from({ length: 20 }, (_, i) => ({ q: `q${i}`, at: i })) },
  };
}

async function saveAnswer(storage: Storage, id: string, i: number, eventId: string): Promise<void> {
  const result = await storage.candidacies.updateWithRetry(
    id,
    () => ({
      by: '@lead:localhost',
      effects: [{ kind: 'set', questionId: `q${i}`, value: answerText(i) }],
      conversation: { machineVersion: 1, state: snapshot(i) },
    }),
    { eventId },
  );
  if (result.outcome !== 'applied') throw new Error(`answer ${eventId} was not applied (${result.outcome})`);
}

async function main(): Promise<void> {
  const storage = values.memory
    ? createMemoryStorage()
    : await openStorage({ uri: values.uri, dbName, serverSelectionTimeoutMS: 5000 });
  try {
    const ids: string[] = [];
    for (let c = 0; c < candidacyCount; c += 1) {
      const { candidacy } = await storage.candidacies.create({
        campaignId: 'bench',
        collectivite: { name: `Commune ${c}`, kind: 'commune' },
        people: { lead: { userId: '@lead:localhost' }, coEditors: [] },
        language: 'fr',
      });
      ids.push(candidacy.id);
    }

    // 1. Round trips of one answer, measured alone (nothing else talks to the database).
    const alone: number[] = [];
    const aloneTimes: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const before = storage.commandCount();
      const t = performance.now();
      await saveAnswer(storage, ids[0] as string, 1000 + i, `$alone-${i}`);
      aloneTimes.push(performance.now() - t);
      alone.push(storage.commandCount() - before);
    }
    aloneTimes.sort((a, b) => a - b);

    // 2. All candidacies answering at once.
    const latencies: number[] = [];
    const commandsBefore = storage.commandCount();
    const started = performance.now();
    await Promise.all(
      ids.map(async (id, c) => {
        for (let i = 0; i < answersEach; i += 1) {
          const t = performance.now();
          await saveAnswer(storage, id, i, `$c${c}-a${i}`);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const commands = storage.commandCount() - commandsBefore;
    latencies.sort((a, b) => a - b);
    const saved = latencies.length;

    // Everything acknowledged is there.
    let stored = 0;
    for await (const c of storage.candidacies.listByCampaign('bench'))
      stored += Object.keys(c.answers).length;
    const expected = saved + alone.length;

    console.log(`storage bench: ${values.memory ? 'in-memory double' : `${values.uri} (db ${dbName})`}`);
    console.log(
      `one answer alone: ${Math.min(...alone)} to ${Math.max(...alone)} round trips, ` +
        `p50 ${percentile(aloneTimes, 50).toFixed(1)} ms`,
    );
    console.log(
      `${candidacyCount} candidacies x ${answersEach} answers at once: ${saved} answers in ${elapsed.toFixed(2)} s ` +
        `(${(saved / elapsed).toFixed(0)} answers/s)`,
    );
    console.log(
      `round trips per answer, concurrent: ${(commands / saved).toFixed(2)} (${commands} commands)`,
    );
    console.log(
      `time per answer saved: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`,
    );
    console.log(`answers stored: ${stored} of ${expected} acknowledged`);
    if (stored !== expected) process.exitCode = 1;
  } finally {
    await storage.close();
    if (!values.memory) {
      const client = new MongoClient(values.uri);
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    }
  }
}

await main();
