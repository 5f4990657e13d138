// `npm run demo`: a whole campaign played against the local stack by simulated people
// (one Matrix client each) and the real bot process, whose clock the demo moves from
// day to day. Then every room's conversation is printed as text, and the exported results.
// test/e2e/demo.test.ts runs the same `runDemo()`: any step that fails fails the test.
//
// Why this file is long: the demo is a campaign told as a story, step after step, each step
// checking what the people see.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { MongoClient } from 'mongodb';
import { loadQuestionnaireById } from '../flows/questionnaire.ts';
import type { Storage } from '../storage/storage.ts';
import { BotProcess } from '../test/e2e/bot-process.ts';
import { storageFor } from '../test/e2e/candidate.ts';
import {
  Person,
  registerUser,
  stopAllPeople,
  threadReply,
  type ReceivedMessage,
} from '../test/e2e/people.ts';
import { Applicant } from './demo/applicant.ts';
import { addDays, parisDay, parisTime, ROOT, stackSettings, StepError } from './demo/local.ts';
import { PORT_LOUIS, STAFF, VAL_DE_SEVRE, VAL_DE_SEVRE_EDIT, VILLENEUVE } from './demo/profiles.ts';
import { formatTranscript, transcribe, type RoomTranscript } from './demo/transcript.ts';

const QUESTIONNAIRE = 'badge-2026';
const BOT_LOG = join(ROOT, '.stack', 'demo', 'bot.log');
const CAMPAIGN_ID = 'tnl-demo';
const CAMPAIGN_NAME = (year: number) => `Territoire Numérique Libre ${year}`;
/** The organisers' console asks before anything irreversible. */
const asksConfirmation = (m: ReceivedMessage) => m.body.includes('!confirmer');

export interface DemoOptions {
  /** Where progress and the final texts go (default: the terminal). */
  write?: (text: string) => void;
  /** Keep the demo's database (default: dropped at the end). */
  keepDatabase?: boolean;
}

export interface ExportedFile {
  name: string;
  text: string;
}

export interface DemoOutcome {
  /** The bot's database (dropped unless keepDatabase). */
  dbName: string;
  /** Candidacy ids by profile key (villeneuve, val-de-sevre, port-louis). */
  candidacies: Record<string, string>;
  rooms: RoomTranscript[];
  transcript: string;
  results: ExportedFile[];
  /** Every step played, in order. */
  steps: string[];
  durationMs: number;
}

function setupEnvironment(): void {
  const stack = stackSettings();
  process.env.TNL_HOMESERVER_URL = stack.homeserverUrl;
  process.env.TNL_REGISTRATION_SECRET = stack.registrationSecret;
  process.env.TNL_MONGODB_URI = stack.mongodbUri;
}

function threadOf(message: ReceivedMessage): string | undefined {
  const relates = message.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
  return relates?.rel_type === 'm.thread' ? relates.event_id : undefined;
}

async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Downloads a file the bot posted (authenticated media API). */
async function download(reader: Person, message: ReceivedMessage): Promise<string> {
  const url = String(message.content.url ?? '');
  const match = /^mxc:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new Error(`not a media URL: ${url}`);
  const base = (process.env.TNL_HOMESERVER_URL ?? '').replace(/\/+$/, '');
  const response = await fetch(`${base}/_matrix/client/v1/media/download/${match[1]}/${match[2]}`, {
    headers: { authorization: `Bearer ${reader.accessToken}` },
  });
  if (!response.ok) throw new Error(`downloading ${url}: HTTP ${response.status}`);
  return response.text();
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoOutcome> {
  const write = options.write ?? ((text: string) => console.log(text));
  const started = Date.now();
  const steps: string[] = [];
  let current = 'starting';
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    current = what;
    write(`demo: [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${what}`);
    const value = await run();
    steps.push(what);
    return value;
  };
  const day = (title: string) => write(`\ndemo: ── ${title} ──`);

  setupEnvironment();
  let bot: BotProcess | undefined;
  let storage: Storage | undefined;
  try {
    // ---- The cast, the bot, the rooms ---------------------------------------------------------
    const [olga, anne, bruno, chloe] = await step('registering the organiser and the three jurors', () =>
      Promise.all([
        Person.register('olga', { displayName: STAFF.organiser }),
        Person.register('anne', { displayName: STAFF.president }),
        Person.register('bruno', { displayName: STAFF.juror2 }),
        Person.register('chloe', { displayName: STAFF.juror3 }),
      ]),
    );
    if (!olga || !anne || !bruno || !chloe) throw new Error('registration returned too few people');
    const leads = await step('registering the three candidacy leads', () =>
      Promise.all(
        [VILLENEUVE, VAL_DE_SEVRE, PORT_LOUIS].map((p) =>
          Person.register(p.key, { displayName: `${p.personName} (${p.collectivite})` }),
        ),
      ),
    );

    const botAccount = await registerUser('tnl-bot', { displayName: STAFF.bot });
    const announcements = await step('creating the public announcements room', async () => {
      const botClient = new Person(botAccount);
      return botClient.createRoom({
        preset: 'public_chat',
        name: 'Annonces – Territoire Numérique Libre',
        topic: 'Annonces et résultats du label',
      });
    });

    // The campaign: open since yesterday, closing in three days at 18:00 (Paris).
    const today = parisDay(0);
    const day1 = addDays(today, 1);
    const closes = { day: addDays(day1, 2), time: '18:00' };
    const year = Number(day1.slice(0, 4));
    bot = await step(
      'starting the bot (node bot/main.ts) with an open campaign and the people in its config',
      () =>
        BotProcess.start({
          account: botAccount,
          config: {
            bot: { displayName: STAFF.bot },
            rooms: { announcements },
            people: {
              organisers: [olga.userId],
              jurors: [anne.userId, bruno.userId, chloe.userId],
              juryPresident: anne.userId,
            },
            campaigns: [
              {
                id: CAMPAIGN_ID,
                year,
                name: CAMPAIGN_NAME(year),
                questionnaire: QUESTIONNAIRE,
                opens: addDays(today, -1),
                closes: `${closes.day} ${closes.time}`,
                jury: addDays(day1, 14),
                levels: '1-5',
                reminders: [],
                status: 'open',
              },
            ],
            logging: { level: 'info', format: 'json' },
          },
        }),
    );
    const running = bot;
    storage = await storageFor(running);
    const db = storage;
    const ready = running.logs.find((line) => line.msg === 'ready');
    const managed = (ready?.rooms ?? {}) as { jury?: string; organisers?: string };
    const juryRoom = managed.jury;
    const organisersRoom = managed.organisers;
    if (!juryRoom || !organisersRoom)
      throw new Error('the bot did not say which jury and organisers rooms it uses');

    await step(
      'the organiser and the jurors accept the invitations to the jury and organisers rooms',
      async () => {
        for (const person of [olga, anne, bruno, chloe]) {
          await person.acceptInvite({ roomId: juryRoom, timeoutMs: 20_000 });
        }
        await olga.acceptInvite({ roomId: organisersRoom, timeoutMs: 20_000 });
        await olga.join(announcements);
      },
    );
    const organiserSays = async (text: string, predicate?: (m: ReceivedMessage) => boolean) => {
      await olga.sendText(organisersRoom, text);
      return olga.nextMessage(organisersRoom, {
        from: running.userId,
        timeoutMs: 20_000,
        ...(predicate ? { predicate } : {}),
      });
    };

    const [camilleP, karimP, leaP] = leads;
    if (!camilleP || !karimP || !leaP) throw new Error('registration returned too few leads');
    const camille = new Applicant(camilleP, VILLENEUVE, running);
    const karim = new Applicant(karimP, VAL_DE_SEVRE, running);
    const lea = new Applicant(leaP, PORT_LOUIS, running);
    const questionnaire = loadQuestionnaireById(QUESTIONNAIRE);

    // ---- Day 1: three collectivités apply --------------------------------------------------------
    day(`Day 1 (${day1}, the bot's clock is moved there)`);
    await running.setClock(parisTime(day1, '09:30').toISOString());

    await step(
      `${VILLENEUVE.personName} opens a direct chat with the bot, answers half of the questions, then pauses`,
      async () => {
        await camille.open(QUESTIONNAIRE);
        await camille.answer(Math.ceil(questionnaire.questions.length / 2));
        const paused = await camille.say('!pause');
        if (!/pause/i.test(paused.body))
          throw new Error(`the bot did not confirm the pause:\n${paused.body}`);
      },
    );
    await step(
      `${VAL_DE_SEVRE.personName} applies for ${VAL_DE_SEVRE.collectivite} and submits`,
      async () => {
        await karim.open(QUESTIONNAIRE);
        await karim.answer();
        await karim.submit();
      },
    );
    await step(`${PORT_LOUIS.personName} applies for ${PORT_LOUIS.collectivite} and submits`, async () => {
      await lea.open(QUESTIONNAIRE);
      await lea.answer();
      await lea.submit();
    });

    const dossierRoots = new Map<string, { root: string; number: number }>();
    const waitDossier = async (collectivite: string) => {
      const root = await anne.nextMessage(juryRoom, {
        from: running.userId,
        timeoutMs: 30_000,
        description: `the dossier of ${collectivite}`,
        predicate: (m) => threadOf(m) === undefined && m.body.includes(collectivite) && /#\d+/.test(m.body),
      });
      const number = Number(/#(\d+)/.exec(root.body)?.[1]);
      dossierRoots.set(collectivite, { root: root.eventId, number });
      return { root: root.eventId, number };
    };
    await step('both submitted dossiers reach the jury room, each with its thread', async () => {
      await waitDossier(VAL_DE_SEVRE.collectivite);
      await waitDossier(PORT_LOUIS.collectivite);
    });
    const ballots = new Map<Person, string>();
    await step('each juror joins the private ballot room the bot opened for them', async () => {
      for (const juror of [anne, bruno, chloe]) {
        const roomId = await juror.waitForInvite({
          from: running.userId,
          timeoutMs: 30_000,
          predicate: (invite) => invite.roomId !== juryRoom,
        });
        await juror.join(roomId);
        ballots.set(juror, roomId);
      }
    });

    await step('the organiser looks at the dashboard (!statut)', () =>
      organiserSays('!statut', (m) => m.body.includes(CAMPAIGN_NAME(year))),
    );
    await step(
      'the organiser sends a reminder to unfinished candidacies (!relancer, then !confirmer)',
      async () => {
        await organiserSays('!relancer', asksConfirmation);
        // The command's answer ("broadcast started"), then the delivery report.
        const isReport = (m: ReceivedMessage) => /^Rapport/.test(m.body);
        await organiserSays('!confirmer', (m) => m.body.includes('remind:') && !isReport(m));
        await olga.nextMessage(organisersRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          description: 'the delivery report of the reminder',
          predicate: (m) => m.body.includes('remind:') && isReport(m),
        });
        const reminder = await camille.next();
        if (!reminder.body.includes('Rappel'))
          throw new Error(`expected the reminder, got:\n${reminder.body}`);
      },
    );

    // ---- Day 2: pause over, an edit, a withdrawal --------------------------------------------------
    day(`Day 2 (${addDays(day1, 1)})`);
    await running.setClock(parisTime(addDays(day1, 1), '10:00').toISOString());
    await step(`${VILLENEUVE.personName} comes back (!reprendre), finishes and submits`, async () => {
      await camille.say('!reprendre');
      await camille.answer();
      await camille.submit();
      await waitDossier(VILLENEUVE.collectivite);
    });
    await step(
      `${VAL_DE_SEVRE.personName} edits an earlier answer in his client; the jury thread shows the change`,
      async () => {
        const original = karim.answerEvents.get('motivation');
        if (!original) throw new Error('no motivation answer to edit');
        await karim.person.edit(karim.roomId, original, VAL_DE_SEVRE_EDIT);
        const replaced = await karim.next();
        if (!replaced.body.includes('former les secrétaires'))
          throw new Error(`the bot did not confirm the new answer:\n${replaced.body}`);
        const root = dossierRoots.get(VAL_DE_SEVRE.collectivite)?.root;
        await anne.nextMessage(juryRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          description: 'the update in the dossier thread',
          predicate: (m) => threadOf(m) === root && m.body.includes('former les secrétaires'),
        });
      },
    );
    await step(
      `${PORT_LOUIS.personName} withdraws the candidacy of ${PORT_LOUIS.collectivite} (!retirer, then !oui)`,
      async () => {
        await lea.say('!retirer');
        await lea.say('!oui');
        const root = dossierRoots.get(PORT_LOUIS.collectivite)?.root;
        await anne.nextMessage(juryRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          description: 'the withdrawal in the dossier thread',
          predicate: (m) => threadOf(m) === root,
        });
      },
    );

    const candidacies: Record<string, string> = {};
    for (const applicant of [camille, karim, lea]) {
      const found = await db.candidacies.findByRoom(applicant.roomId);
      if (!found) throw new Error(`no candidacy stored for ${applicant.profile.collectivite}`);
      candidacies[applicant.profile.key] = found.id;
    }

    // ---- Closing ----------------------------------------------------------------------------------------
    day(`Closing (${closes.day} ${closes.time}, Paris)`);
    await step('the campaign closes: the submitted dossiers go to review', async () => {
      await running.setClock(parisTime(closes.day, '18:05').toISOString());
      for (const key of [VILLENEUVE.key, VAL_DE_SEVRE.key]) {
        await waitUntil(`${key} under review`, async () => {
          const candidacy = await db.candidacies.get(candidacies[key] ?? '');
          return candidacy?.status === 'under_review' ? true : undefined;
        });
      }
      await olga.nextMessage(organisersRoom, {
        from: running.userId,
        timeoutMs: 20_000,
        description: 'the closing report',
        predicate: (m) => m.body.includes(CAMPAIGN_ID),
      });
      // Each candidacy room under review is told.
      for (const applicant of [camille, karim]) {
        const notice = await applicant.next();
        if (!/clos/i.test(notice.body)) throw new Error(`expected the closing notice, got:\n${notice.body}`);
      }
    });

    // ---- The jury ----------------------------------------------------------------------------------------
    day(`The jury (${addDays(closes.day, 1)})`);
    await running.setClock(parisTime(addDays(closes.day, 1), '14:00').toISOString());
    const villeneuve = dossierRoots.get(VILLENEUVE.collectivite);
    const valDeSevre = dossierRoots.get(VAL_DE_SEVRE.collectivite);
    if (!villeneuve || !valDeSevre) throw new Error('a dossier is missing in the jury room');

    await step(
      `${STAFF.juror3} declares a conflict of interest on #${valDeSevre.number} in her ballot room`,
      async () => {
        const room = ballots.get(chloe) ?? '';
        await chloe.sendText(
          room,
          `!deport #${valDeSevre.number} Je travaille pour l'une des communes membres.`,
        );
        await chloe.nextMessage(room, {
          from: running.userId,
          timeoutMs: 20_000,
          predicate: (m) => m.body.includes(`#${valDeSevre.number}`),
        });
      },
    );
    await step(
      `${STAFF.juror2} asks ${VILLENEUVE.collectivite} a question in the dossier thread; the candidate answers`,
      async () => {
        await bruno.sendText(
          juryRoom,
          '!question Combien de postes de la mairie fonctionnent sous GNU/Linux aujourd’hui, et lesquels ?',
          threadReply(villeneuve.root),
        );
        const asked = await camille.next();
        if (!/Q1/.test(asked.body)) throw new Error(`expected the jury's question, got:\n${asked.body}`);
        await camille.say(
          'Q1 Six postes sur quarante : l’accueil, la médiathèque et les deux postes des écoles.',
          (m) => /transmise au jury/.test(m.body),
        );
        await anne.nextMessage(juryRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          description: "the candidate's reply relayed in the thread",
          predicate: (m) => threadOf(m) === villeneuve.root && m.body.includes('Six postes'),
        });
      },
    );
    const votes: Array<[Person, number, number]> = [
      [anne, villeneuve.number, 3],
      [bruno, villeneuve.number, 4],
      [chloe, villeneuve.number, 3],
      [anne, valDeSevre.number, 3],
      [bruno, valDeSevre.number, 2],
    ];
    await step('the jurors vote in their ballot rooms (!voter #N level)', async () => {
      for (const [juror, number, level] of votes) {
        const room = ballots.get(juror) ?? '';
        await juror.sendText(room, `!voter #${number} ${level}`);
        await juror.nextMessage(room, {
          from: running.userId,
          timeoutMs: 20_000,
          predicate: (m) => m.body.includes(`#${number}`),
        });
      }
    });
    await step('once everyone has voted, the bot posts each tally in the dossier thread', async () => {
      for (const dossier of [villeneuve, valDeSevre]) {
        await anne.nextMessage(juryRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          description: `the tally of #${dossier.number}`,
          predicate: (m) => threadOf(m) === dossier.root && /médiane|majoritaire/i.test(m.body),
        });
      }
    });
    await step(
      'the jury president records the decisions (!decider), with a message to each candidate',
      async () => {
        await anne.sendText(
          juryRoom,
          "!decider 3\nmentions: Coup de cœur\nmessage: Une démarche sincère et déjà concrète : bravo à toute l'équipe !",
          threadReply(villeneuve.root),
        );
        await anne.nextMessage(juryRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          predicate: (m) =>
            threadOf(m) === villeneuve.root && /3/.test(m.body) && /d[ée]cision/i.test(m.body),
        });
        await anne.sendText(
          juryRoom,
          '!decider\nmessage: La mutualisation entre communes est un bel exemple ; le jury attend la suite.',
          threadReply(valDeSevre.root),
        );
        await anne.nextMessage(juryRoom, {
          from: running.userId,
          timeoutMs: 20_000,
          predicate: (m) => threadOf(m) === valDeSevre.root && /d[ée]cision/i.test(m.body),
        });
      },
    );

    // ---- Publication ----------------------------------------------------------------------------------------
    day(`Publication (${addDays(closes.day, 3)})`);
    await running.setClock(parisTime(addDays(closes.day, 3), '11:00').toISOString());
    await step('the organiser publishes the results (!publier, then !confirmer)', async () => {
      await organiserSays('!publier', asksConfirmation);
      await organiserSays('!confirmer', (m) => m.body.includes(CAMPAIGN_ID));
      for (const applicant of [camille, karim]) {
        const result = await applicant.next((m) => m.body.includes('niveau'));
        if (!result.body.includes(applicant.profile.collectivite))
          throw new Error(
            `the result in ${applicant.profile.collectivite}'s room names someone else:\n${result.body}`,
          );
      }
      await olga.nextMessage(announcements, {
        from: running.userId,
        timeoutMs: 20_000,
        description: 'the palmarès',
      });
    });
    const results: ExportedFile[] = await step(
      'the organiser exports the open-data results (!exporter resultats)',
      async () => {
        await organiserSays('!exporter resultats', (m) => m.msgtype !== 'm.file');
        // The open-data results come as two files: CSV and JSON.
        const files: ExportedFile[] = [];
        while (!['.csv', '.json'].every((ext) => files.some((f) => f.name.endsWith(ext)))) {
          const file = await olga.nextMessage(organisersRoom, {
            from: running.userId,
            timeoutMs: 20_000,
            description: 'the exported CSV and JSON files',
            predicate: (m) => m.msgtype === 'm.file',
          });
          files.push({ name: String(file.content.filename ?? file.body), text: await download(olga, file) });
        }
        return files;
      },
    );

    // ---- Transcripts ----------------------------------------------------------------------------------------
    const names = new Map<string, string>([[running.userId, STAFF.bot]]);
    const rooms: RoomTranscript[] = await step('reading every room back from the homeserver', async () => {
      const list: Array<[Person, string, string]> = [
        [olga, organisersRoom, 'Organisers room'],
        [anne, juryRoom, 'Jury room (dossier threads shown under each dossier)'],
        [anne, ballots.get(anne) ?? '', `Ballot room of ${STAFF.president}`],
        [bruno, ballots.get(bruno) ?? '', `Ballot room of ${STAFF.juror2}`],
        [chloe, ballots.get(chloe) ?? '', `Ballot room of ${STAFF.juror3}`],
        ...[camille, karim, lea].flatMap((a): Array<[Person, string, string]> => [
          [a.person, a.directChat ?? '', `Direct chat of ${a.profile.personName} with the bot`],
          [a.person, a.roomId, `Candidacy room — ${a.profile.collectivite}`],
        ]),
        [olga, announcements, 'Public announcements room'],
      ];
      return Promise.all(list.map(([reader, roomId, title]) => transcribe(reader, roomId, title, names)));
    });
    const transcript = rooms.map(formatTranscript).join('\n');
    write(`\n${'#'.repeat(80)}\n# Transcript of every room\n${'#'.repeat(80)}\n`);
    write(transcript);
    write(`${'#'.repeat(80)}\n# Exported results\n${'#'.repeat(80)}\n`);
    for (const file of results) write(`── ${file.name} ──\n${file.text.trimEnd()}\n`);
    const durationMs = Date.now() - started;
    write(`demo: finished in ${Math.round(durationMs / 1000)} s (${steps.length} steps).`);
    return { dbName: running.dbName, candidacies, rooms, transcript, results, steps, durationMs };
  } catch (error) {
    const problems = bot?.problems().slice(-8) ?? [];
    const detail = problems.length
      ? `\nThe bot's last warnings and errors:\n${problems.map((l) => `  ${JSON.stringify(l).slice(0, 400)}`).join('\n')}`
      : '';
    throw new StepError(
      `the step "${current}" failed: ${(error as Error).message}${detail}`,
      `the steps above it worked. The bot's whole log is in ${relative(ROOT, BOT_LOG)}; ` +
        'check the local stack with: bash scripts/stack.sh status',
      { cause: error },
    );
  } finally {
    stopAllPeople();
    await storage?.close();
    await bot?.stop();
    if (bot) saveBotLog(bot);
    if (bot && !options.keepDatabase) await dropDemoDatabase(bot.dbName);
  }
}

/** The bot's whole log, for whoever wants to see what it did (or why a step failed). */
function saveBotLog(bot: BotProcess): void {
  mkdirSync(dirname(BOT_LOG), { recursive: true });
  writeFileSync(BOT_LOG, bot.logs.map((line) => JSON.stringify(line)).join('\n') + '\n');
}

/** Drops a database the demo kept (`keepDatabase`). */
export async function dropDemoDatabase(name: string): Promise<void> {
  const client = new MongoClient(process.env.TNL_MONGODB_URI ?? '', { serverSelectionTimeoutMS: 3000 });
  try {
    await client.db(name).dropDatabase();
  } catch {
    // Only tidiness: a leftover database is harmless.
  } finally {
    await client.close();
  }
}

if (import.meta.main) {
  runDemo({ keepDatabase: process.argv.includes('--keep') }).then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof StepError) {
        console.error(`demo: error: ${error.message}`);
        console.error(`demo:   -> ${error.hint}`);
      } else console.error('demo: unexpected error:', error);
      process.exit(1);
    },
  );
}
