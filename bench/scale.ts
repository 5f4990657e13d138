// Scale of state: the bot over a database holding 10,000 candidacies.
// A. On an empty database: time from process start to the "ready" log line and resident
//    memory.
// B. 10,000 drafts, at every stage from just started to every question answered, each
//    written like storage writes it (answers, audit, and the conversation snapshot that
//    flows/conversation.ts reaches after those answers, computed in-process; see
//    lib/candidacies.ts). The bot restarts on them: ready time, memory, and what it read
//    at start-up (a counting proxy sits in front of the database).
//    Then it is watched idle for --idle-s (the organisers' clock ticks every 30 s).
// C. Submitted candidacies are added (their jury dossiers recorded as already posted) and
//    the bot restarts again: the jury and organiser catch-up now runs before "ready".
// D. Back on the empty database, conversations become active (a person answers one
//    question in each of 10 candidacy rooms, to warm up, then of 100 more) and the bot's
//    memory is read after a full garbage collection (through the inspector): memory per
//    active conversation is the heap's growth over the 100, divided by 100.
// Each start waits at most --ready-timeout-s for "ready".
//
// Usage: node bench/scale.ts [--drafts 10000] [--submitted 1500] [--active 100] [--ready-timeout-s 45]
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadQuestionnaireById } from '../flows/questionnaire.ts';
import type { Campaign } from '../storage/campaigns.ts';
import { openStorage, type Storage } from '../storage/storage.ts';
import { BotProcess } from '../test/e2e/bot-process.ts';
import { seedOpenCampaign } from '../test/e2e/candidate.ts';
import { registerUser, type Person } from '../test/e2e/people.ts';
import {
  answerCurrentQuestion,
  cloneCandidacies,
  openSeededCandidacy,
  seedStoredCandidacy,
  simulatedConversation,
} from './lib/candidacies.ts';
import { CountingDbProxy, MONITORING } from './lib/db-proxy.ts';
import { collectGarbage, inspectorUrl } from './lib/inspector.ts';
import { createPeople } from './lib/matrix.ts';
import { runBench } from './lib/run.ts';
import { loadStackEnv } from './lib/stack.ts';
import { emitFigures, mb, num, sleep, table } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    drafts: { type: 'string', default: '10000' },
    submitted: { type: 'string', default: '1500' },
    active: { type: 'string', default: '100' },
    'warmup-active': { type: 'string', default: '10' },
    'rooms-per-person': { type: 'string', default: '10' },
    'ready-timeout-s': { type: 'string', default: '45' },
    /** How long the bot is watched doing nothing on the drafts (the organisers' clock ticks every 30 s). */
    'idle-s': { type: 'string', default: '30' },
  },
});
const drafts = Number(values.drafts);
const submitted = Number(values.submitted);
const active = Number(values.active);
const warmupActive = Number(values['warmup-active']);
const roomsPerPerson = Number(values['rooms-per-person']);
const readyTimeoutMs = Number(values['ready-timeout-s']) * 1000;
const idleMs = Number(values['idle-s']) * 1000;
const COMMAND = `npm run bench:scale -- --drafts ${drafts} --submitted ${submitted} --active ${active}`;
const DRAFT_TEMPLATES = 17;
const SUBMITTED_TEMPLATES = 3;

interface StartFigures {
  label: string;
  readyMs: number;
  ready: boolean;
  /** From spawning the process to its first log line: Node's start and module loading. */
  loadMs: number;
  rss: number;
  peakRss: number;
  heap: number;
  rssAfterGc: number;
  heapAfterGc: number;
  candidacyCommands: number;
  candidacyBytes: number;
  commands: number;
  byCommand: Map<string, { count: number; bytes: number }>;
}

const t0 = performance.now();
/** Progress on stderr, so a slow step shows while it runs. */
function progress(message: string): void {
  console.error(`[scale ${((performance.now() - t0) / 1000).toFixed(0)} s] ${message}`);
}

await runBench('scale', 300_000, async (resources) => {
  const env = loadStackEnv();
  const questionnaire = loadQuestionnaireById('tnl-2026');
  const proxy = new CountingDbProxy(env.mongodbUri);
  await proxy.start();
  resources.add(() => proxy.stop());
  const account = await registerUser('bot');
  const runId = randomBytes(3).toString('hex');

  // One bot process (one account, one config file), pointed at one database after the other.
  let bot: BotProcess | undefined;
  /** Memory after a full garbage collection. */
  const memory = async () => {
    const url = inspectorUrl(bot?.stderr.join('') ?? '');
    if (!bot || !url) throw new Error('the bot did not print its inspector address');
    await collectGarbage(url);
    const m = await bot.metrics();
    return {
      rss: m.get('tnl_process_resident_memory_bytes') ?? NaN,
      heap: m.get('tnl_nodejs_heap_size_used_bytes') ?? NaN,
    };
  };
  resources.add(() => bot?.kill9());
  const startBot = async (label: string, dbName: string, inspect = true): Promise<StartFigures> => {
    if (bot) await bot.stop();
    const from = proxy.records.length;
    const logsFrom = bot?.logs.length ?? 0;
    if (inspect && bot) process.env.NODE_OPTIONS = '--inspect=127.0.0.1:0';
    const started = performance.now();
    const launchedAt = Date.now();
    let peakRss = 0;
    let ready = true;
    const sampler = setInterval(() => {
      if (bot)
        void bot
          .metrics()
          .then((m) => (peakRss = Math.max(peakRss, m.get('tnl_process_resident_memory_bytes') ?? 0)))
          .catch(() => undefined);
    }, 500);
    try {
      if (!bot) {
        bot = await BotProcess.start({
          account,
          dbName,
          // The inspector lets the benchmark force a garbage collection before reading memory.
          ...(inspect ? { env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } } : {}),
          config: {
            database: { uri: proxy.uriFor(env.mongodbUri), name: dbName, serverSelectionTimeoutMs: 2000 },
            logging: { level: 'info', format: 'json' },
          },
        });
      } else {
        const config = parseYaml(readFileSync(bot.configPath, 'utf8')) as { database: { name: string } };
        config.database.name = dbName;
        writeFileSync(bot.configPath, stringifyYaml(config));
        await bot.launch(readyTimeoutMs).catch(() => (ready = false));
      }
    } finally {
      delete process.env.NODE_OPTIONS;
    }
    const readyMs = performance.now() - started;
    if (ready) await sleep(2000); // settle: first sync answered, timers started
    clearInterval(sampler);
    const metrics = await (bot as BotProcess).metrics().catch(() => new Map<string, number>());
    const firstLogAt = Date.parse(String(bot?.logs[logsFrom]?.time ?? ''));
    const mine = proxy.records.slice(from).filter((r) => !MONITORING.has(r.command));
    const byCommand = new Map<string, { count: number; bytes: number }>();
    for (const r of mine) {
      const key = `${r.command} ${r.collection ?? ''}`.trim();
      const entry = byCommand.get(key) ?? { count: 0, bytes: 0 };
      entry.count += 1;
      entry.bytes += r.replyBytes;
      byCommand.set(key, entry);
    }
    const reads = mine.filter((r) => r.collection === 'candidacies');
    const rss = metrics.get('tnl_process_resident_memory_bytes') ?? NaN;
    const afterGc = ready && inspect ? await memory() : { rss: NaN, heap: NaN };
    return {
      label,
      readyMs,
      ready,
      loadMs: firstLogAt - launchedAt,
      rss,
      peakRss: Math.max(peakRss, rss),
      heap: metrics.get('tnl_nodejs_heap_size_used_bytes') ?? NaN,
      rssAfterGc: afterGc.rss,
      heapAfterGc: afterGc.heap,
      candidacyCommands: reads.length,
      candidacyBytes: reads.reduce((a, r) => a + r.replyBytes, 0),
      commands: mine.length,
      byCommand,
    };
  };

  /** Writes templates through storage, then copies them up to `count`. */
  const seed = async (
    storage: Storage,
    dbName: string,
    campaign: Campaign,
    kind: 'draft' | 'submitted',
    count: number,
  ): Promise<number> => {
    const templates = kind === 'draft' ? DRAFT_TEMPLATES : SUBMITTED_TEMPLATES;
    const ids: string[] = [];
    let snapshotBytes = 0;
    for (let t = 0; t < Math.min(templates, count); t++) {
      // Drafts: from just started to every question answered. Submitted: everything answered.
      const progress =
        kind === 'draft' ? Math.round((t / (templates - 1)) * questionnaire.questions.length) : 1000;
      const lead = `@${kind}-tpl-${runId}-${t}:localhost`;
      const simulated = simulatedConversation(
        questionnaire,
        campaign,
        lead,
        `${kind}${runId}${t}`,
        progress,
        kind === 'submitted',
      );
      snapshotBytes += JSON.stringify(simulated.conversation).length;
      ids.push(
        await seedStoredCandidacy(
          storage,
          campaign,
          lead,
          `!${kind}-tpl-${runId}-${t}:localhost`,
          simulated,
          `$${kind}${runId}${t}`,
        ),
      );
    }
    await cloneCandidacies({
      uri: env.mongodbUri,
      dbName,
      templateIds: ids,
      questionnaire,
      count: count - ids.length,
      identity: (i) => ({
        roomId: `!${kind}-${runId}-${i}:localhost`,
        lead: `@${kind}-${runId}-${i}:localhost`,
        name: `Commune ${kind} ${runId} ${i}`,
        officialCode: String((kind === 'draft' ? 300_000_000 : 400_000_000) + i),
      }),
    });
    // The copies must read back through storage like any candidacy.
    const copy = await storage.candidacies.findByRoom(`!${kind}-${runId}-${Math.floor(count / 2)}:localhost`);
    if (count > templates && !copy?.conversation) throw new Error(`a seeded ${kind} does not read back`);
    return snapshotBytes / ids.length;
  };

  // A. An empty database; conversations become active.
  const emptyDb = `bench_scale_empty_${runId}`;
  resources.dropDatabaseAtEnd(env.mongodbUri, emptyDb);
  progress('starting the bot on an empty database');
  const empty = await startBot('empty database', emptyDb);
  progress(`ready after ${num(empty.readyMs / 1000)} s; seeding drafts`);

  // B. 10,000 drafts.
  const dbName = `bench_scale_${runId}`;
  resources.dropDatabaseAtEnd(env.mongodbUri, dbName);
  const storage = await openStorage({ uri: env.mongodbUri, dbName, serverSelectionTimeoutMS: 3000 });
  resources.add(() => storage.close());
  const campaign = await seedOpenCampaign(storage, { questionnaire: 'tnl-2026' });
  let seedStarted = performance.now();
  const snapshotKb = (await seed(storage, dbName, campaign, 'draft', drafts)) / 1024;
  const seedDraftsS = (performance.now() - seedStarted) / 1000;
  const count = async () => {
    let n = 0;
    let answers = 0;
    for await (const c of storage.candidacies.listByCampaign(campaign.id)) {
      n += 1;
      answers += Object.keys(c.answers).length;
    }
    return { n, answers };
  };
  const stored = await count();
  console.log(
    `seeded ${stored.n} drafts in ${seedDraftsS.toFixed(0)} s (${(stored.answers / stored.n).toFixed(1)} answers each on average, ` +
      `conversation snapshots ${snapshotKb.toFixed(1)} KB on average)`,
  );
  progress('starting the bot on the drafts');
  const withDrafts = await startBot(`${stored.n} drafts`, dbName);
  progress(`ready: ${withDrafts.ready} after ${num(withDrafts.readyMs / 1000)} s; watching it idle`);
  // Idle: nobody writes; what does the bot still do with the stored candidacies?
  const idle = { cpu: NaN, bytes: NaN, commands: NaN, peakRss: NaN, seconds: idleMs / 1000 };
  if (withDrafts.ready && idleMs > 0) {
    const before = await (bot as BotProcess).metrics();
    const from = proxy.records.length;
    let peak = 0;
    const until = performance.now() + idleMs;
    while (performance.now() < until) {
      await sleep(500);
      const m = await (bot as BotProcess).metrics();
      peak = Math.max(peak, m.get('tnl_process_resident_memory_bytes') ?? 0);
    }
    const after = await (bot as BotProcess).metrics();
    const seen = proxy.records.slice(from).filter((r) => !MONITORING.has(r.command));
    idle.cpu =
      (after.get('tnl_process_cpu_seconds_total') ?? NaN) -
      (before.get('tnl_process_cpu_seconds_total') ?? NaN);
    idle.bytes = seen.reduce((a, r) => a + r.replyBytes, 0);
    idle.commands = seen.length;
    idle.peakRss = peak;
  }

  // C. Submitted candidacies join, and the bot restarts.
  seedStarted = performance.now();
  if (submitted > 0) await seed(storage, dbName, campaign, 'submitted', submitted);
  const seedSubmittedS = (performance.now() - seedStarted) / 1000;
  const all = await count();
  progress(`starting the bot on ${all.n} candidacies`);
  const withSubmitted =
    submitted > 0 ? await startBot(`${all.n} (${submitted} submitted)`, dbName) : undefined;

  // D. Back on the empty database (no clock tick loading thousands of candidacies meanwhile):
  //    conversations become active.
  progress('restarting on the empty database; activating conversations');
  await startBot('empty database, again', emptyDb);
  const current = bot as BotProcess;
  const emptyStorage = await openStorage({
    uri: env.mongodbUri,
    dbName: emptyDb,
    serverSelectionTimeoutMS: 3000,
  });
  resources.add(() => emptyStorage.close());
  const emptyCampaign = await seedOpenCampaign(emptyStorage, { questionnaire: 'tnl-2026' });
  const people = await createPeople('scale', Math.ceil((active + warmupActive) / roomsPerPerson));
  const readsFrom = proxy.records.length;
  const points: Array<{ active: number; rss: number; heap: number }> = [];
  /** The lower of two readings a second apart: a clock tick in flight holds memory for a moment. */
  const settled = async () => {
    const a = await memory();
    await sleep(1000);
    const b = await memory();
    return { rss: Math.min(a.rss, b.rss), heap: Math.min(a.heap, b.heap) };
  };
  points.push({ active: 0, ...(await settled()) });
  let opened = 0;
  const activate = async (n: number) => {
    const batch: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      const person = people[opened % people.length] as Person;
      const seedName = `act${runId}x${opened}`;
      opened += 1;
      batch.push(
        (async () => {
          const room = await openSeededCandidacy({
            storage: emptyStorage,
            bot: current,
            campaign: emptyCampaign,
            questionnaire,
            lead: person,
            seed: seedName,
          });
          await answerCurrentQuestion(person, current.userId, room, questionnaire);
        })(),
      );
      if (batch.length >= 10) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
  };
  // The first ones load the questionnaire, build the conversation machine, warm the code.
  await activate(warmupActive);
  points.push({ active: opened, ...(await settled()) });
  progress(`${opened} active`);
  await activate(Math.floor(active / 2));
  points.push({ active: opened, ...(await settled()) });
  progress(`${opened} active`);
  await activate(active + warmupActive - opened);
  points.push({ active: opened, ...(await settled()) });
  progress(`${opened} active`);
  const activeFinds = proxy.records
    .slice(readsFrom)
    .filter((r) => r.collection === 'candidacies' && r.command === 'find').length;
  const last = points.at(-1) as (typeof points)[number];
  const first = points[1] as (typeof points)[number];
  const perHeap = (last.heap - first.heap) / (last.active - first.active);
  const perRss = (last.rss - first.rss) / (last.active - first.active);

  const starts = [empty, withDrafts, ...(withSubmitted ? [withSubmitted] : [])];
  console.log(
    `\nScale of state: bot start-ups (the ${submitted} submitted added in ${seedSubmittedS.toFixed(0)} s)`,
  );
  console.log(
    table(
      [
        'candidacies stored',
        'ready after',
        'of which Node start',
        'rss',
        'rss peak',
        'heap',
        'rss / heap after GC',
        'db commands',
        'candidacy reads',
      ],
      [
        ...starts.map((s) => [
          s.label,
          s.ready ? `${num(s.readyMs / 1000)} s` : `not ready after ${num(s.readyMs / 1000, 0)} s`,
          `${num(s.loadMs / 1000)} s`,
          mb(s.rss),
          mb(s.peakRss),
          mb(s.heap),
          `${mb(s.rssAfterGc)} / ${mb(s.heapAfterGc)}`,
          String(s.commands),
          `${s.candidacyCommands} (${mb(s.candidacyBytes)})`,
        ]),
        ['target', '< 3 s', '', '< 200 MB', '', '', '', '', 'idle ones: none'],
      ],
    ),
  );
  for (const s of starts.slice(1)) {
    console.log(`\nStart-up database commands, ${s.label}${s.ready ? '' : ' (until given up)'}`);
    console.log(
      table(
        ['command collection', 'count', 'reply size'],
        [...s.byCommand.entries()]
          .sort((a, b) => b[1].count - a[1].count)
          .slice(0, 10)
          .map(([k, v]) => [k, String(v.count), mb(v.bytes)]),
      ),
    );
  }
  console.log(
    `\nIdle for ${idle.seconds} s on ${stored.n} drafts (nobody writes): bot CPU ${num(idle.cpu)} s ` +
      `(${num((idle.cpu / idle.seconds) * 100, 0)} % of a core), ${idle.commands} database commands, ` +
      `${mb(idle.bytes)} read, RSS peak ${mb(idle.peakRss)}`,
  );
  console.log(`\nActive conversations (a person answered one question in each), after a full GC`);
  console.log(
    table(
      ['active', 'rss', 'heap used'],
      points.map((p) => [String(p.active), mb(p.rss), mb(p.heap)]),
    ),
  );
  console.log(
    `per active conversation (from ${first.active} to ${last.active} active): heap ${num(perHeap / 1024, 1)} KB, rss ${num(perRss / 1024, 1)} KB; ` +
      `candidacy finds while they became active: ${activeFinds} for ${opened} rooms`,
  );
  const figure = (s: StartFigures) =>
    `${s.ready ? `${num(s.readyMs / 1000)} s` : `not ready after ${num(s.readyMs / 1000, 0)} s`}, RSS ${mb(s.rss)} (peak ${mb(s.peakRss)}), ` +
    `${s.candidacyCommands} candidacy reads`;
  emitFigures([
    {
      metric: `Start, empty database: ready, RSS`,
      value: `${num(empty.readyMs / 1000)} s, ${mb(empty.rss)}`,
      target: '< 3 s, < 200 MB',
      command: COMMAND,
    },
    {
      metric: `Start, ${stored.n} drafts: ready, RSS, candidacy reads`,
      value: figure(withDrafts),
      target: '< 3 s, < 200 MB, none',
      command: COMMAND,
    },
    ...(withSubmitted
      ? [
          {
            metric: `Start, ${withSubmitted.label}: ready, RSS, candidacy reads`,
            value: figure(withSubmitted),
            target: '< 3 s, < 200 MB',
            command: COMMAND,
          },
        ]
      : []),
    {
      metric: `Idle ${idle.seconds} s over ${stored.n} drafts: bot CPU, database reads, RSS peak`,
      value: `${num((idle.cpu / idle.seconds) * 100, 0)} % of a core, ${mb(idle.bytes)} read, ${mb(idle.peakRss)}`,
      target: 'idle ones cost nothing',
      command: COMMAND,
    },
    {
      metric: `Memory per active conversation (${first.active} to ${last.active} active, after GC)`,
      value: `heap ${num(perHeap / 1024, 1)} KB, RSS ${num(perRss / 1024, 1)} KB; RSS with ${opened} active: ${mb(last.rss)}`,
      target: '-',
      command: COMMAND,
    },
  ]);
});
