// Round-trip latency, the bot against the homeserver's own floor, same stack, same run.
// - baseline: a person sends a message to the echo participant and receives its reply;
// - bot: a person answers the question asked in a candidacy room (always validly) and
//   receives the next question.
// Samples alternate (random order within each pair) so both see the same machine noise;
// a short pause after each sample stands for the time a person takes to read and type.
//
// Usage: node bench/latency.ts [--samples 300] [--warmup 10] [--think-ms 100] [--max-s 150]
//                               [--questionnaire tnl-2026]
//                               [--bot-cpu-prof DIR]
// Needs the local stack (bash scripts/stack.sh up).
import { parseArgs } from 'node:util';
import { loadQuestionnaireById } from '../flows/questionnaire.ts';
import { answerCurrentQuestion, openSeededCandidacy, type SeededRoom } from './lib/candidacies.ts';
import { botUsage } from './lib/bot-metrics.ts';
import { EchoProcess } from './lib/echo-process.ts';
import { createPeople } from './lib/matrix.ts';
import { sampleProcess } from './lib/proc.ts';
import { startBenchBot } from './lib/bench-bot.ts';
import { runBench } from './lib/run.ts';
import { loadStackEnv } from './lib/stack.ts';
import { emitFigures, ms, num, sleep, summarize, table } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '10' },
    'think-ms': { type: 'string', default: '100' },
    /** Sampling stops after this long even if fewer samples were taken (busy machine). */
    'max-s': { type: 'string', default: '150' },
    questionnaire: { type: 'string', default: 'tnl-2026' },
    /** Writes a V8 CPU profile of the bot into this directory (see bench/cpu-profile.ts). */
    'bot-cpu-prof': { type: 'string' },
  },
});
const samples = Number(values.samples);
const warmup = Number(values.warmup);
const thinkMs = Number(values['think-ms']);
const maxMs = Number(values['max-s']) * 1000;
const COMMAND = `npm run bench:latency -- --samples ${samples}`;

await runBench('latency', 240_000, async (resources) => {
  const env = loadStackEnv();
  const questionnaire = loadQuestionnaireById(values.questionnaire);
  const echo = await EchoProcess.start();
  resources.add(() => echo.stop());
  const profileDir = values['bot-cpu-prof'];
  const { bot, storage, campaign } = await startBenchBot(resources, env.mongodbUri, values.questionnaire, {
    config: { logging: { level: 'info', format: 'json' } },
    ...(profileDir ? { env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } } : {}),
  });
  const [lead, sender] = await createPeople('latency', 2);
  if (!lead || !sender) throw new Error('people not created');

  const echoRoom = await echo.roomWith(sender);

  let rooms = 0;
  let room: SeededRoom | undefined;
  const runId = Date.now().toString(36);
  const openRoom = async () => {
    rooms += 1;
    room = await openSeededCandidacy({
      storage,
      bot,
      campaign,
      questionnaire,
      lead,
      seed: `lat${runId}x${rooms}`,
    });
  };

  let echoCount = 0;
  const echoSample = async (): Promise<number> => {
    echoCount += 1;
    const started = performance.now();
    await sender.sendText(echoRoom, `Message ${echoCount}`);
    await sender.nextMessage(echoRoom, { from: echo.userId, timeoutMs: 30_000 });
    return performance.now() - started;
  };
  /** One answer whose next question came back; list answers (two messages) are answered but not timed. */
  const botSample = async (): Promise<number> => {
    for (;;) {
      if (!room?.question) await openRoom();
      const outcome = await answerCurrentQuestion(lead, bot.userId, room as SeededRoom, questionnaire);
      if (outcome.ms !== undefined) return outcome.ms;
      await sleep(thinkMs);
    }
  };

  const baseline: number[] = [];
  const measured: number[] = [];
  const before = await botUsage(bot);
  const echoBefore = sampleProcess(echo.pid);
  const started = performance.now();
  for (let i = 0; i < samples + warmup && performance.now() - started < maxMs; i++) {
    const botFirst = Math.random() < 0.5;
    for (const which of botFirst ? ['bot', 'echo'] : ['echo', 'bot']) {
      const value = which === 'bot' ? await botSample() : await echoSample();
      if (i >= warmup) (which === 'bot' ? measured : baseline).push(value);
      await sleep(thinkMs);
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  const after = await botUsage(bot);
  const echoAfter = sampleProcess(echo.pid);

  const b = summarize(baseline);
  const m = summarize(measured);
  const answers = after.answersSaved - before.answersSaved;
  console.log(
    `\nRound trip latency: ${measured.length} samples each (after ${warmup} warm-up), alternating, ` +
      `${thinkMs} ms pause between samples, questionnaire ${values.questionnaire}, ${rooms} candidacy rooms, ${elapsed.toFixed(0)} s`,
  );
  console.log(
    table(
      ['round trip', 'p50', 'p95', 'p99', 'mean', 'max'],
      [
        ['echo (baseline)', ms(b.p50), ms(b.p95), ms(b.p99), ms(b.mean), ms(b.max)],
        ['bot (answer -> next question)', ms(m.p50), ms(m.p95), ms(m.p99), ms(m.mean), ms(m.max)],
        [
          'ratio bot/baseline',
          num(m.p50 / b.p50),
          num(m.p95 / b.p95),
          num(m.p99 / b.p99),
          num(m.mean / b.mean),
          '',
        ],
        ['target', '<= 1.15', '<= 1.30', '', '', ''],
      ],
    ),
  );
  const echoCpu = (echoAfter?.cpuSeconds ?? NaN) - (echoBefore?.cpuSeconds ?? NaN);
  console.log(
    `\nCPU over the run: bot ${num(after.cpuSeconds - before.cpuSeconds)} s for ${answers} answers saved ` +
      `(${num(((after.cpuSeconds - before.cpuSeconds) / answers) * 1000, 1)} ms per answer); ` +
      `echo ${num(echoCpu)} s for ${echoCount} replies (${num((echoCpu / echoCount) * 1000, 1)} ms per reply)`,
  );
  emitFigures([
    {
      metric: 'Round trip p50: echo / bot / ratio',
      value: `${ms(b.p50)} / ${ms(m.p50)} / ${num(m.p50 / b.p50)}`,
      target: 'ratio <= 1.15',
      command: COMMAND,
    },
    {
      metric: 'Round trip p95: echo / bot / ratio',
      value: `${ms(b.p95)} / ${ms(m.p95)} / ${num(m.p95 / b.p95)}`,
      target: 'ratio <= 1.3',
      command: COMMAND,
    },
    {
      metric: 'Round trip p99: echo / bot / ratio',
      value: `${ms(b.p99)} / ${ms(m.p99)} / ${num(m.p99 / b.p99)}`,
      target: '-',
      command: COMMAND,
    },
  ]);
});
