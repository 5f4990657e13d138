// Database commands per jury command (issue 14): a vote, an abstention, a recusal, a
// note, a question and a tally, each handled by the real jury handler (the one the bot
// routes the jury room and ballot rooms to) over the real database of the local stack,
// counted at the driver (`storage.commandCount()`), after a warm-up that fills the
// bot's caches as a running bot has them. Matrix is the recording double: this counts
// the database only.
//
// Usage: node bench/jury.ts [--uri URI] [--dossiers 20] [--memory]
// The URI defaults to TNL_MONGODB_URI (printed by `bash scripts/stack.sh env`).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { CandidacyCatalog } from '../bot/candidacy/catalog.ts';
import { ManualClock } from '../bot/clock.ts';
import type { BotContext } from '../bot/context.ts';
import { createMetrics } from '../bot/health.ts';
import { JuryService } from '../bot/jury/index.ts';
import type { RawEvent } from '../bot/types.ts';
import { configSchema } from '../config/schema.ts';
import { createMemoryStorage, openStorage, type Storage } from '../storage/index.ts';
import { RecordingMessenger } from '../test/doubles/recording-messenger.ts';

const { values } = parseArgs({
  options: {
    uri: {
      type: 'string',
      default: process.env.TNL_MONGODB_URI ?? 'mongodb://127.0.0.1:27027/?directConnection=true',
    },
    dossiers: { type: 'string', default: '20' },
    memory: { type: 'boolean', default: false },
  },
});
const dossierCount = Number(values.dossiers);
const dbName = `bench_jury_${randomBytes(4).toString('hex')}`;

const JURY_ROOM = '!jury:bench';
const ORGANISER = '@orga:bench';
const PRESIDENT = '@president:bench';
const JURORS = ['@alice:bench', '@bob:bench', '@carol:bench'];
const [ALICE, BOB, CAROL] = JURORS as [string, string, string];

async function main(): Promise<void> {
  const clock = new ManualClock();
  clock.set('2026-10-20T08:00:00Z');
  const storage: Storage = values.memory
    ? createMemoryStorage({ now: () => clock.now() })
    : await openStorage({ uri: values.uri, dbName, serverSelectionTimeoutMS: 5000, now: () => clock.now() });
  try {
    const messenger = new RecordingMessenger();
    const config = configSchema.parse({
      homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'x' },
      people: { organisers: [ORGANISER], jurors: JURORS, juryPresident: PRESIDENT },
    });
    const ctx: BotContext = {
      config,
      logger: pino({ level: 'silent' }),
      messenger,
      clock,
      metrics: createMetrics(),
      rooms: { jury: JURY_ROOM, organisers: '!org:bench', lobby: null, announcements: null },
      storage,
    };
    const campaign = await storage.campaigns.create({
      year: 2026,
      name: 'Bench 2026',
      questionnaire: 'badge-2026',
      levels: [1, 2, 3, 4, 5].map((n) => ({
        id: String(n),
        labels: { fr: `niveau ${n}`, en: `level ${n}` },
      })),
      timeZone: 'Europe/Paris',
      opensAt: new Date('2026-09-01T00:00:00Z'),
      closesAt: new Date('2026-11-01T00:00:00Z'),
      status: 'open',
      by: ORGANISER,
    });
    const jury = new JuryService(ctx, new CandidacyCatalog(storage));
    const ids: string[] = [];
    for (let i = 0; i < dossierCount; i++) {
      const { candidacy } = await storage.candidacies.create({
        campaignId: campaign.id,
        collectivite: { name: `Commune ${i}`, kind: 'commune' },
        people: { lead: { userId: `@lead${i}:bench` }, coEditors: [] },
        roomId: `!cand${i}:bench`,
        language: 'fr',
      });
      await storage.candidacies.update(candidacy, {
        by: `@lead${i}:bench`,
        effects: [{ kind: 'set', questionId: 'collectivity_name', value: `Commune ${i}` }],
        status: 'submitted',
      });
      ids.push(candidacy.id);
    }
    await jury.syncDossiers();
    // Closed: the dossiers are final, votes are open.
    clock.set('2026-11-02T08:00:00Z');
    await jury.syncDossiers();
    const ballotRoom = async (juror: string) => (await storage.ballotRooms.get(juror))?.roomId ?? '';
    const rooms = {
      [ALICE]: await ballotRoom(ALICE),
      [BOB]: await ballotRoom(BOB),
      [CAROL]: await ballotRoom(CAROL),
    };
    let counter = 0;
    const say = async (sender: string, roomId: string, body: string, threadRoot?: string) => {
      const event: RawEvent = {
        event_id: `$bench${++counter}`,
        type: 'm.room.message',
        sender,
        origin_server_ts: clock.now().getTime(),
        content: {
          msgtype: 'm.text',
          body,
          ...(threadRoot ? { 'm.relates_to': { rel_type: 'm.thread', event_id: threadRoot } } : {}),
        },
      };
      await jury.handler.handle({ roomId, kind: roomId === JURY_ROOM ? 'jury' : 'ballot', event });
    };
    // Warm-up: the caches a running bot has (campaigns, people's languages, ballot room owners).
    for (const juror of JURORS) await say(juror, rooms[juror] ?? '', '!aide');

    const commands: Array<{ name: string; run: (n: number, root: string) => Promise<void> }> = [
      { name: 'vote', run: (n) => say(ALICE, rooms[ALICE] ?? '', `!voter #${n} 3`) },
      { name: 'abstention', run: (n) => say(BOB, rooms[BOB] ?? '', `!abstention #${n}`) },
      { name: 'recusal', run: (n) => say(CAROL, rooms[CAROL] ?? '', `!deport #${n} conflit`) },
      { name: 'note', run: (_n, root) => say(ALICE, JURY_ROOM, '!note Dossier solide.', root) },
      { name: 'question', run: (_n, root) => say(BOB, JURY_ROOM, '!question Combien de postes ?', root) },
      { name: 'tally', run: (n) => say(ALICE, rooms[ALICE] ?? '', `!decompte #${n}`) },
    ];
    const totals = new Map<string, number>();
    for (const [i, id] of ids.entries()) {
      const record = await storage.jury.get(id);
      const root = record?.post.rootEventId ?? '';
      for (const command of commands) {
        const before = storage.commandCount();
        await command.run(i + 1, root);
        totals.set(command.name, (totals.get(command.name) ?? 0) + storage.commandCount() - before);
      }
    }
    const engine = values.memory
      ? 'in-memory engine'
      : `the real database (${values.uri.replace(/\/\/[^@]*@/, '//')})`;
    console.log(`Jury commands over ${dossierCount} dossiers, on ${engine}:`);
    for (const command of commands) {
      const perCommand = (totals.get(command.name) ?? 0) / ids.length;
      console.log(
        `database commands per ${command.name}: ${Number.isInteger(perCommand) ? perCommand : perCommand.toFixed(2)}`,
      );
    }
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
