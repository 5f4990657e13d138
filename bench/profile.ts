// Where the time of one answer goes, and how many requests it costs. The bot and the
// echo participant run behind recording proxies (homeserver and, for the bot, the
// database), a person answers questions one at a time with a pause in between, and
// each round trip is cut into phases from the proxies' records:
//   person's send -> the participant's /sync returns the message -> its reply starts
//   (the participant's own work, with the database commands made meanwhile) -> reply
//   sent -> the person's /sync has it.
// It also counts, per answer, the homeserver requests by kind and the database round
// trips by command at the bot process's socket (item "Storage" of issue 10).
// The proxies add a loopback hop to every request: use bench/latency.ts for latency
// figures, this one to explain them.
//
// Usage: node bench/profile.ts [--samples 60] [--think-ms 400] [--questionnaire tnl-2026]
import { parseArgs } from 'node:util';
import { loadQuestionnaireById } from '../flows/questionnaire.ts';
import { validAnswer } from '../test/e2e/candidate.ts';
import { openSeededCandidacy, questionIn, type SeededRoom } from './lib/candidacies.ts';
import { botUsage } from './lib/bot-metrics.ts';
import { CountingDbProxy, MONITORING, type DbRecord } from './lib/db-proxy.ts';
import { EchoProcess } from './lib/echo-process.ts';
import { RecordingProxy, type HttpRecord } from './lib/http-proxy.ts';
import { createPeople } from './lib/matrix.ts';
import { startBenchBot } from './lib/bench-bot.ts';
import { runBench } from './lib/run.ts';
import { loadStackEnv } from './lib/stack.ts';
import { emitFigures, ms, num, sleep, summarize, table } from './lib/stats.ts';
import { randomBytes } from 'node:crypto';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '60' },
    'think-ms': { type: 'string', default: '400' },
    questionnaire: { type: 'string', default: 'tnl-2026' },
  },
});
const samples = Number(values.samples);
const thinkMs = Number(values['think-ms']);
const COMMAND = `npm run bench:profile -- --samples ${samples}`;

interface Sample {
  /** Before the person's PUT. */
  t0: number;
  /** The person's PUT answered (event id known). */
  sent: number;
  /** The person's /sync delivered the reply. */
  received: number;
  eventId: string;
  roomId: string;
  /** Start of the next sample (end of this one's window). */
  windowEnd: number;
}

interface Phases {
  personSend: number;
  toParticipant: number;
  ownWork: number;
  dbInWork: number;
  dbCommandsInWork: number;
  replyPut: number;
  toPerson: number;
  total: number;
  /** Requests made for this message in its window, by kind. */
  requests: Map<string, number>;
  db: Map<string, number>;
  /** From the reply's end until the participant's last request for this room in the window. */
  trailing: number;
}

function phases(sample: Sample, http: readonly HttpRecord[], db: readonly DbRecord[]): Phases | undefined {
  const sync = http
    .filter((r) => r.kind === 'sync' && r.eventIds.includes(sample.eventId))
    .sort((a, b) => a.end - b.end)[0];
  if (!sync) return undefined;
  const reply = http
    .filter((r) => r.kind === 'send m.room.message' && r.roomId === sample.roomId && r.start >= sync.end)
    .sort((a, b) => a.start - b.start)[0];
  if (!reply) return undefined;
  const inWork = db.filter(
    (d) => !MONITORING.has(d.command) && d.start >= sync.end && d.start <= reply.start,
  );
  const window = http.filter((r) => r.start >= sample.t0 && r.start < sample.windowEnd);
  const requests = new Map<string, number>();
  for (const r of window) requests.set(r.kind, (requests.get(r.kind) ?? 0) + 1);
  const dbCounts = new Map<string, number>();
  for (const d of db) {
    if (MONITORING.has(d.command) || d.start < sample.t0 || d.start >= sample.windowEnd) continue;
    const key = `${d.command} ${d.collection ?? ''}`.trim();
    dbCounts.set(key, (dbCounts.get(key) ?? 0) + 1);
  }
  const roomWork = window.filter((r) => r.roomId === sample.roomId && r.kind !== 'sync');
  const lastEnd = Math.max(reply.end, ...roomWork.map((r) => r.end));
  return {
    personSend: sample.sent - sample.t0,
    toParticipant: sync.end - sample.sent,
    ownWork: reply.start - sync.end,
    dbInWork: inWork.reduce((sum, d) => sum + ((d.end ?? d.start) - d.start), 0),
    dbCommandsInWork: inWork.length,
    replyPut: reply.end - reply.start,
    toPerson: sample.received - reply.end,
    total: sample.received - sample.t0,
    requests,
    db: dbCounts,
    trailing: lastEnd - reply.end,
  };
}

function median(list: readonly number[]): number {
  return summarize(list).p50;
}

function perMessage(all: readonly Phases[], pick: (p: Phases) => Map<string, number>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const p of all) for (const [k, v] of pick(p)) totals.set(k, (totals.get(k) ?? 0) + v);
  for (const [k, v] of totals) totals.set(k, v / all.length);
  return totals;
}

await runBench('profile', 180_000, async (resources) => {
  const env = loadStackEnv();
  const questionnaire = loadQuestionnaireById(values.questionnaire);
  const botProxy = new RecordingProxy(env.homeserverUrl);
  const echoProxy = new RecordingProxy(env.homeserverUrl);
  const dbProxy = new CountingDbProxy(env.mongodbUri);
  await Promise.all([botProxy.start(), echoProxy.start(), dbProxy.start()]);
  resources.add(() => Promise.all([botProxy.stop(), echoProxy.stop(), dbProxy.stop()]));

  const echo = await EchoProcess.start({ TNL_HOMESERVER_URL: echoProxy.url });
  resources.add(() => echo.stop());
  const dbName = `bench_profile_${randomBytes(4).toString('hex')}`;
  const { bot, storage, campaign } = await startBenchBot(resources, env.mongodbUri, values.questionnaire, {
    dbName,
    config: {
      homeserver: { url: botProxy.url },
      database: { uri: dbProxy.uriFor(env.mongodbUri), name: dbName, serverSelectionTimeoutMs: 2000 },
      logging: { level: 'info', format: 'json' },
    },
  });
  const [lead, sender] = await createPeople('profile', 2);
  if (!lead || !sender) throw new Error('people not created');
  const echoRoom = await echo.roomWith(sender);

  let room: SeededRoom | undefined;
  let rooms = 0;
  const botSamples: Sample[] = [];
  const echoSamples: Sample[] = [];
  const questionTypes: string[] = [];
  /** The last bot sample's window ends when the lead next writes in a candidacy room. */
  const closeBotWindow = () => {
    const last = botSamples.at(-1);
    if (last && Number.isNaN(last.windowEnd)) last.windowEnd = performance.now();
  };
  const before = await botUsage(bot);
  for (let i = 0; i < samples + 3; i++) {
    // Echo sample.
    let t0 = performance.now();
    const echoLast = echoSamples.at(-1);
    if (echoLast) echoLast.windowEnd = t0;
    let eventId = await sender.sendText(echoRoom, `Message ${i}`);
    let sent = performance.now();
    await sender.nextMessage(echoRoom, { from: echo.userId, timeoutMs: 30_000 });
    echoSamples.push({ t0, sent, received: performance.now(), eventId, roomId: echoRoom, windowEnd: NaN });
    await sleep(thinkMs);
    // Bot sample: single-message answers only (a list answer is answered outside the samples).
    while (!room?.question || room.question.type === 'list') {
      if (!room?.question) {
        rooms += 1;
        room = await openSeededCandidacy({
          storage,
          bot,
          campaign,
          questionnaire,
          lead,
          seed: `prof${dbName}x${rooms}`,
        });
        continue;
      }
      closeBotWindow();
      await lead.sendText(room.roomId, validAnswer(room.question, room.seed));
      await lead.nextMessage(room.roomId, { from: bot.userId, timeoutMs: 30_000 });
      await lead.sendText(room.roomId, '!fini');
      room.question = questionIn(
        questionnaire,
        await lead.nextMessage(room.roomId, { from: bot.userId, timeoutMs: 30_000 }),
      );
      await sleep(thinkMs);
    }
    questionTypes.push(room.question.type);
    closeBotWindow();
    t0 = performance.now();
    eventId = await lead.sendText(room.roomId, validAnswer(room.question, room.seed));
    sent = performance.now();
    const reply = await lead.nextMessage(room.roomId, { from: bot.userId, timeoutMs: 30_000 });
    botSamples.push({ t0, sent, received: performance.now(), eventId, roomId: room.roomId, windowEnd: NaN });
    room.question = questionIn(questionnaire, reply);
    await sleep(thinkMs);
  }
  const after = await botUsage(bot);
  // The last windows close now (the pause after them has passed).
  closeBotWindow();
  const echoLast = echoSamples.at(-1);
  if (echoLast) echoLast.windowEnd = performance.now();
  for (const list of [botSamples, echoSamples]) list.splice(0, 3); // warm-up
  questionTypes.splice(0, 3);
  const botPhases = botSamples.map((s) => phases(s, botProxy.records, dbProxy.records));
  const echoPhases = echoSamples.map((s) => phases(s, echoProxy.records, []));
  const okBot = botPhases.filter((p): p is Phases => p !== undefined);
  const okEcho = echoPhases.filter((p): p is Phases => p !== undefined);

  const row = (label: string, pick: (p: Phases) => number) => [
    label,
    ms(median(okEcho.map(pick))),
    ms(median(okBot.map(pick))),
    ms(summarize(okBot.map(pick)).p95),
  ];
  console.log(
    `\nOne round trip, phase by phase (median; bot p95 in the last column), ${okBot.length} bot and ${okEcho.length} echo samples, ` +
      `${thinkMs} ms pause, behind recording proxies`,
  );
  console.log(
    table(
      ['phase', 'echo p50', 'bot p50', 'bot p95'],
      [
        row('person sends (PUT /send)', (p) => p.personSend),
        row('homeserver -> participant (its /sync returns)', (p) => p.toParticipant),
        row("participant's own work until its reply starts", (p) => p.ownWork),
        row('  of which database commands (sum)', (p) => p.dbInWork),
        row('reply sent (PUT /send)', (p) => p.replyPut),
        row('homeserver -> person (its /sync returns)', (p) => p.toPerson),
        row('total', (p) => p.total),
        row('after the reply: work still going on in the room', (p) => p.trailing),
      ],
    ),
  );
  console.log(
    `database commands before the reply (median): ${median(okBot.map((p) => p.dbCommandsInWork))}; ` +
      `questions answered: ${[...new Set(questionTypes)].map((t) => `${t} x${questionTypes.filter((q) => q === t).length}`).join(', ')}`,
  );

  const botRequests = perMessage(okBot, (p) => p.requests);
  const echoRequests = perMessage(okEcho, (p) => p.requests);
  const kinds = [...new Set([...botRequests.keys(), ...echoRequests.keys()])].sort();
  console.log('\nHomeserver requests per answer (bot) and per message (echo), average');
  console.log(
    table(
      ['request', 'echo', 'bot'],
      [
        ...kinds.map((k) => [k, num(echoRequests.get(k) ?? 0), num(botRequests.get(k) ?? 0)]),
        [
          'all',
          num([...echoRequests.values()].reduce((a, b) => a + b, 0)),
          num([...botRequests.values()].reduce((a, b) => a + b, 0)),
        ],
      ],
    ),
  );

  const db = perMessage(okBot, (p) => p.db);
  const dbTotal = [...db.values()].reduce((a, b) => a + b, 0);
  console.log(`\nDatabase round trips per answer at the bot's socket (driver monitoring excluded), average`);
  console.log(
    table(
      ['command collection', 'per answer'],
      [
        ...[...db.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, num(v)]),
        ['all', num(dbTotal)],
        ['target', '<= 2'],
      ],
    ),
  );
  const answers = after.answersSaved - before.answersSaved;
  console.log(
    `\nbot CPU: ${num(((after.cpuSeconds - before.cpuSeconds) / answers) * 1000, 1)} ms per answer saved ` +
      `(${answers} answers, list answers included)`,
  );
  emitFigures([
    {
      metric: 'Database round trips per answer (bot process, at its socket)',
      value: `${num(dbTotal)} (before the reply: ${median(okBot.map((p) => p.dbCommandsInWork))})`,
      target: '<= 2',
      command: COMMAND,
    },
    {
      metric: 'Homeserver requests per answer: echo / bot',
      value: `${num([...echoRequests.values()].reduce((a, b) => a + b, 0))} / ${num([...botRequests.values()].reduce((a, b) => a + b, 0))}`,
      target: '-',
      command: COMMAND,
    },
    {
      metric: "Bot's own work per answer (p50), of which database",
      value: `${ms(median(okBot.map((p) => p.ownWork)))}, ${ms(median(okBot.map((p) => p.dbInWork)))}`,
      target: '-',
      command: COMMAND,
    },
  ]);
});
