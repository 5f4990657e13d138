// Throughput: many people at once, each sending as soon as the previous reply came.
// - baseline: each person talks to the echo participant in a room of their own;
// - bot: each person answers the questions of their own candidacy (always validly).
// Phases alternate (echo, bot, echo, bot...) on the same people and rooms; each counts
// the round trips completed after a short warm-up. Reports messages per second, round
// trip times under load, and the CPU and memory of the bot, the echo and the stack.
//
// With 100 clients the homeserver is saturated and a round trip takes seconds: phases are
// long enough for a steady state. The homeserver slows down as its database grows, so the
// phases run echo, bot, bot, echo (--rounds 2, the default): that drift then weighs the same
// on both sides instead of always on the second.
//
// The bot pauses its extras (quick-reply reactions, polls, typing, receipts) while the
// homeserver is saturated, as it is here; `--extras always` keeps them, to measure their cost.
//
// Usage: node bench/throughput.ts [--clients 100] [--phase-s 60] [--warmup-s 20] [--rounds 2]
//                                 [--extras auto|always]
import { parseArgs } from 'node:util';
import { loadQuestionnaireById } from '../flows/questionnaire.ts';
import type { Person } from '../test/e2e/people.ts';
import { answerCurrentQuestion, openSeededCandidacy, type SeededRoom } from './lib/candidacies.ts';
import { botUsage, type BotUsage } from './lib/bot-metrics.ts';
import { collectGarbage, inspectorUrl } from './lib/inspector.ts';
import { EchoProcess } from './lib/echo-process.ts';
import { createPeople } from './lib/matrix.ts';
import { machineCpu, sampleProcess, sampleTree, type ProcSample } from './lib/proc.ts';
import { startBenchBot } from './lib/bench-bot.ts';
import { runBench } from './lib/run.ts';
import { loadStackEnv, stackPids } from './lib/stack.ts';
import { logOffset, requestCosts, type RequestCost } from './lib/synapse-log.ts';
import { emitFigures, mb, ms, num, sleep, summarize, table } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    'phase-s': { type: 'string', default: '60' },
    rounds: { type: 'string', default: '2' },
    'warmup-s': { type: 'string', default: '20' },
    questionnaire: { type: 'string', default: 'tnl-2026' },
    extras: { type: 'string', default: 'auto' },
  },
});
if (values.extras !== 'auto' && values.extras !== 'always') throw new Error('--extras: auto or always');
const extrasAlways = values.extras === 'always';
const clients = Number(values.clients);
const phaseMs = Number(values['phase-s']) * 1000;
const rounds = Number(values.rounds);
const warmupMs = Number(values['warmup-s']) * 1000;
const COMMAND = `npm run bench:throughput -- --clients ${clients}${extrasAlways ? ' --extras always' : ''}`;

interface Usage {
  bot: BotUsage;
  echo: ProcSample | undefined;
  synapse: ProcSample | undefined;
  gateway: ProcSample | undefined;
  postgres: ProcSample | undefined;
  machine: { busy: number; total: number };
}

interface PhaseResult {
  side: 'echo' | 'bot';
  messages: number;
  seconds: number;
  latencies: number[];
  before: Usage;
  after: Usage;
  peakBotRss: number;
  /** The bot's live heap after a full garbage collection at the end of the phase (bot phases). */
  botHeapAfterGc: number;
  /** Synapse's request costs during the counted window, by who and kind. */
  synapse: RequestCost[];
}

function cpu(a: ProcSample | undefined, b: ProcSample | undefined): number {
  return a && b ? b.cpuSeconds - a.cpuSeconds : NaN;
}

await runBench('throughput', 600_000, async (resources) => {
  const env = loadStackEnv();
  const questionnaire = loadQuestionnaireById(values.questionnaire);
  const echo = await EchoProcess.start();
  resources.add(() => echo.stop());
  const { bot, storage, campaign } = await startBenchBot(resources, env.mongodbUri, values.questionnaire, {
    // The inspector lets the benchmark force a garbage collection: live memory, phase by phase.
    env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' },
    config: {
      logging: { level: 'info', format: 'json' },
      ...(extrasAlways ? { bot: { slowHomeserver: { pauseExtrasAboveMs: 0 } } } : {}),
    },
  });
  const pids = stackPids();

  const setupStarted = performance.now();
  const people = await createPeople('tp', clients);
  const echoRooms = new Map<Person, string>();
  const botRooms = new Map<Person, SeededRoom>();
  const runId = Date.now().toString(36);
  let opened = 0;
  const openBotRoom = async (person: Person) => {
    opened += 1;
    botRooms.set(
      person,
      await openSeededCandidacy({
        storage,
        bot,
        campaign,
        questionnaire,
        lead: person,
        seed: `tp${runId}x${opened}`,
      }),
    );
  };
  for (let i = 0; i < people.length; i += 10) {
    await Promise.all(
      people.slice(i, i + 10).map(async (person) => {
        const [roomId] = await Promise.all([echo.roomWith(person, 30_000), openBotRoom(person)]);
        echoRooms.set(person, roomId);
      }),
    );
  }
  console.log(
    `setup: ${clients} people, ${clients} echo rooms and ${clients} candidacy rooms in ${((performance.now() - setupStarted) / 1000).toFixed(0)} s`,
  );

  const mine = new Set(people.map((p) => p.userId));
  const classify = (userId: string) =>
    userId === bot.userId ? 'bot' : userId === echo.userId ? 'echo' : mine.has(userId) ? 'people' : 'others';
  const usage = async (): Promise<Usage> => ({
    bot: await botUsage(bot),
    echo: sampleProcess(echo.pid),
    synapse: pids.synapse ? sampleProcess(pids.synapse) : undefined,
    gateway: pids.gateway ? sampleProcess(pids.gateway) : undefined,
    postgres: pids.postgres ? sampleTree(pids.postgres) : undefined,
    machine: machineCpu(),
  });

  const runPhase = async (side: 'echo' | 'bot'): Promise<PhaseResult> => {
    const started = performance.now();
    const countFrom = started + warmupMs;
    const end = started + phaseMs;
    let messages = 0;
    let before: Usage | undefined;
    const latencies: number[] = [];
    let peakBotRss = 0;
    let offset = 0;
    const beforeReady = (async () => {
      await sleep(warmupMs);
      before = await usage();
      offset = logOffset();
    })();
    const sampler = setInterval(() => {
      void botUsage(bot).then((u) => (peakBotRss = Math.max(peakBotRss, u.rssBytes)));
    }, 1000);
    await Promise.all(
      people.map(async (person) => {
        let n = 0;
        while (performance.now() < end) {
          const t0 = performance.now();
          let count = 1;
          if (side === 'echo') {
            const roomId = echoRooms.get(person) as string;
            await person.sendText(roomId, `Message ${(n += 1)}`);
            await person.nextMessage(roomId, { from: echo.userId, timeoutMs: 60_000 });
          } else {
            let room = botRooms.get(person) as SeededRoom;
            if (!room.question) {
              await openBotRoom(person);
              room = botRooms.get(person) as SeededRoom;
            }
            count = (await answerCurrentQuestion(person, bot.userId, room, questionnaire)).messages;
          }
          const done = performance.now();
          // Counted by when they complete: unbiased over the window, whatever the round trip time.
          if (done >= countFrom && done <= end) {
            messages += count;
            latencies.push((done - t0) / count);
          }
        }
      }),
    );
    clearInterval(sampler);
    await beforeReady;
    const after = await usage();
    let botHeapAfterGc = NaN;
    const inspector = inspectorUrl(bot.stderr.join(''));
    if (side === 'bot' && inspector) {
      await sleep(2000); // trailing extras and receipts
      await collectGarbage(inspector);
      botHeapAfterGc = (await bot.metrics()).get('tnl_nodejs_heap_size_used_bytes') ?? NaN;
    }
    const synapse = requestCosts(offset, classify);
    // Round trips still running at the deadline were not counted: the window ends at `end`.
    return {
      side,
      messages,
      seconds: (end - countFrom) / 1000,
      latencies,
      before: before as Usage,
      after,
      peakBotRss,
      botHeapAfterGc,
      synapse,
    };
  };

  const results: PhaseResult[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? (['echo', 'bot'] as const) : (['bot', 'echo'] as const)) {
      results.push(await runPhase(side));
      await sleep(2000); // let trailing work (reactions, receipts) settle
    }
  }

  const rows = results.map((p) => {
    const s = summarize(p.latencies);
    const machine =
      (p.after.machine.busy - p.before.machine.busy) / (p.after.machine.total - p.before.machine.total);
    const per = (x: number) => `${num((x / p.seconds) * 100, 0)} %`;
    return [
      p.side,
      num(p.messages / p.seconds, 1),
      ms(s.p50),
      ms(s.p95),
      per(p.after.bot.cpuSeconds - p.before.bot.cpuSeconds),
      per(cpu(p.before.echo, p.after.echo)),
      per(cpu(p.before.synapse, p.after.synapse)),
      per(cpu(p.before.gateway, p.after.gateway) + cpu(p.before.postgres, p.after.postgres)),
      `${num(machine * 100, 0)} %`,
      mb(p.peakBotRss),
      p.side === 'bot' ? mb(p.botHeapAfterGc) : '',
    ];
  });
  const rate = (side: 'echo' | 'bot') => {
    const list = results.filter((p) => p.side === side);
    return list.reduce((a, p) => a + p.messages, 0) / list.reduce((a, p) => a + p.seconds, 0);
  };
  const echoRate = rate('echo');
  const botRate = rate('bot');
  const botPhases = results.filter((p) => p.side === 'bot');
  const botCpu = botPhases.reduce((a, p) => a + p.after.bot.cpuSeconds - p.before.bot.cpuSeconds, 0);
  const botSeconds = botPhases.reduce((a, p) => a + p.seconds, 0);
  const botMessages = botPhases.reduce((a, p) => a + p.messages, 0);
  const peakRss = Math.max(...botPhases.map((p) => p.peakBotRss));
  const skipped = botPhases.reduce((a, p) => a + p.after.bot.extrasSkipped - p.before.bot.extrasSkipped, 0);

  console.log(
    `\nThroughput: ${clients} people at once, phases of ${phaseMs / 1000} s (first ${warmupMs / 1000} s not counted), ` +
      `${rounds} rounds; CPU as a share of one core (the machine has 2)`,
  );
  console.log(
    table(
      [
        'phase',
        'messages/s',
        'rtt p50',
        'rtt p95',
        'bot cpu',
        'echo cpu',
        'synapse cpu',
        'db cpu',
        'machine busy',
        'bot rss peak',
        'bot heap after gc',
      ],
      rows,
    ),
  );
  console.log(
    table(
      ['', 'value', 'target'],
      [
        ['echo baseline, messages/s', num(echoRate, 1), ''],
        ['bot, answers handled/s', num(botRate, 1), ''],
        ['ratio bot/echo', num(botRate / echoRate), '>= 0.8'],
        ['bot CPU per answer', ms((botCpu / botMessages) * 1000), ''],
        ['bot CPU while busy', `${num((botCpu / botSeconds) * 100, 0)} % of a core`, ''],
        ['bot resident memory, peak', mb(peakRss), ''],
        ['candidacy rooms used', String(opened), ''],
        [
          'extras left out per answer',
          extrasAlways ? 'none (--extras always)' : num(skipped / botMessages),
          '',
        ],
      ],
    ),
  );
  // Synapse's side: CPU and database time per message, by who asked and what.
  const synapseRows: string[][] = [];
  for (const side of ['echo', 'bot'] as const) {
    const list = results.filter((p) => p.side === side);
    const messages = list.reduce((a, p) => a + p.messages, 0);
    const seconds = list.reduce((a, p) => a + p.seconds, 0);
    const merged = new Map<string, RequestCost>();
    for (const cost of list.flatMap((p) => p.synapse)) {
      const key = `${cost.who} ${cost.request}`;
      const into = merged.get(key);
      if (!into) merged.set(key, { ...cost });
      else {
        into.count += cost.count;
        into.cpuSeconds += cost.cpuSeconds;
        into.dbSeconds += cost.dbSeconds;
        into.dbWaitSeconds += cost.dbWaitSeconds;
        into.wallSeconds += cost.wallSeconds;
      }
    }
    const costs = [...merged.values()].sort((a, b) => b.cpuSeconds - a.cpuSeconds);
    const total = costs.filter((c) => c.who !== 'others').reduce((a, c) => a + c.cpuSeconds, 0);
    for (const c of costs.slice(0, 10)) {
      synapseRows.push([
        side,
        `${c.who} ${c.request}`.slice(0, 60),
        c.who === 'others' ? `${num(c.count / seconds, 1)}/s` : num(c.count / messages),
        c.who === 'others'
          ? `${num((c.cpuSeconds / seconds) * 1000, 1)}/s`
          : num((c.cpuSeconds / messages) * 1000, 1),
        c.who === 'others' ? '' : num((c.dbSeconds / messages) * 1000, 1),
        ms((c.wallSeconds / c.count) * 1000),
      ]);
    }
    synapseRows.push([side, 'all requests of this benchmark', '', num((total / messages) * 1000, 1), '', '']);
  }
  if (synapseRows.length > 2) {
    console.log(
      `\nSynapse's request log during the counted windows ("others": other users of the same homeserver)`,
    );
    console.log(
      table(
        ['phase', 'who and request', 'per message', 'cpu ms/message', 'db ms/message', 'wall/request'],
        synapseRows,
      ),
    );
  }
  emitFigures([
    {
      metric: `Throughput, ${clients} clients${extrasAlways ? ', extras never paused' : ''}: echo msg/s / bot answers/s / ratio`,
      value: `${num(echoRate, 1)} / ${num(botRate, 1)} / ${num(botRate / echoRate)}`,
      target: 'ratio >= 0.8',
      command: COMMAND,
    },
    {
      metric: `Bot under that load: CPU per answer, CPU share, peak RSS`,
      value: `${ms((botCpu / botMessages) * 1000)}, ${num((botCpu / botSeconds) * 100, 0)} % of a core, ${mb(peakRss)}`,
      target: '-',
      command: COMMAND,
    },
  ]);
});
