// `npm run dev` (through scripts/dev.sh, which installs dependencies and starts the local
// stack): registers the bot and demo accounts, creates the public lobby and announcements
// rooms, writes a config with the people, those rooms and an open demo campaign, starts the bot, prints how to
// connect with any Matrix client, and runs until Ctrl-C.
// Everything it creates lives in .stack/dev/ and is reused by the next run.
//
// Why this file is long: one script read top to bottom: each step of the local setup says what
// it does and what to do when it fails.
import {
  accessSync,
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { openStorage } from '../storage/storage.ts';
import { ensureAccounts, matrixRequest, MatrixError, type Account, type AccountSpec } from './demo/matrix.ts';
import {
  BotChild,
  formatLogLine,
  parisDay,
  portIsFree,
  ROOT,
  stackSettings,
  StepError,
  stepper,
  type BotLogLine,
  type StackSettings,
} from './demo/local.ts';

const DEV_DIR = join(ROOT, '.stack', 'dev');
const FILES = {
  accounts: join(DEV_DIR, 'accounts.json'),
  config: join(DEV_DIR, 'config.yaml'),
  state: join(DEV_DIR, 'state.json'),
  log: join(DEV_DIR, 'bot.log'),
  pid: join(DEV_DIR, 'bot.pid'),
  data: join(DEV_DIR, 'data'),
};
/** The public rooms dev makes (the bot creates only the jury and organisers rooms). */
const PUBLIC_ROOMS = {
  lobby: {
    alias: 'candidater',
    name: 'Candidater – Territoire Numérique Libre',
    topic: 'Écrivez !candidater pour commencer une candidature / Write !apply to start a candidacy',
    // Anyone may write there (!candidater).
    onlyModeratorsPost: false,
  },
  announcements: {
    alias: 'annonces',
    name: 'Annonces – Territoire Numérique Libre',
    topic: 'Annonces et résultats du label / Label announcements and results',
    // Everyone reads; only the bot and the organisers post.
    onlyModeratorsPost: true,
  },
} as const;
type PublicRoom = keyof typeof PUBLIC_ROOMS;
const QUESTIONNAIRE = 'badge-2026';
const HEALTH_PORT = 9464;

const ACCOUNTS: AccountSpec[] = [
  { key: 'bot', localpart: 'tnl-bot', displayName: 'Territoire Numérique Libre' },
  { key: 'organiser', localpart: 'organisatrice', displayName: 'Olga (organisatrice)' },
  { key: 'juror1', localpart: 'jure-anne', displayName: 'Anne (jury, présidente)' },
  { key: 'juror2', localpart: 'jure-bruno', displayName: 'Bruno (jury)' },
  { key: 'juror3', localpart: 'jure-chloe', displayName: 'Chloé (jury)' },
  { key: 'lead', localpart: 'camille', displayName: 'Camille (mairie de Villeneuve)' },
];

const out = stepper('dev');
const rel = (path: string) => relative(ROOT, path);

type DevState = Partial<Record<PublicRoom, { roomId: string; botUserId: string }>>;

function readState(): DevState {
  if (!existsSync(FILES.state)) return {};
  try {
    return JSON.parse(readFileSync(FILES.state, 'utf8')) as DevState;
  } catch {
    return {};
  }
}

function byKey(accounts: Account[], key: string): Account {
  const found = accounts.find((a) => a.key === key);
  if (!found) throw new Error(`no ${key} account`);
  return found;
}

/** A bot started by an earlier `npm run dev` that was not stopped (its terminal closed, kill -9...). */
function stopLeftoverBot(): void {
  if (!existsSync(FILES.pid)) return;
  const pid = Number(readFileSync(FILES.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return; // not running
  }
  if (!cmdline.includes('bot/main.ts') || !cmdline.includes(FILES.config)) return;
  out.detail(`a bot from an earlier run still runs (pid ${pid}): stopping it`);
  process.kill(pid, 'SIGTERM');
}

async function ensurePublicRoom(
  kind: PublicRoom,
  stack: StackSettings,
  bot: Account,
  organiser: Account,
): Promise<string> {
  const spec = PUBLIC_ROOMS[kind];
  const state = readState();
  const joined = await matrixRequest(stack.homeserverUrl, 'GET', '/_matrix/client/v3/joined_rooms', {
    token: bot.accessToken,
  });
  const rooms = Array.isArray(joined.joined_rooms) ? (joined.joined_rooms as string[]) : [];
  const known = state[kind];
  if (known?.botUserId === bot.userId && rooms.includes(known.roomId)) {
    out.detail(`existing ${kind} room ${known.roomId}`);
    return known.roomId;
  }
  const create = (alias: boolean) =>
    matrixRequest(stack.homeserverUrl, 'POST', '/_matrix/client/v3/createRoom', {
      token: bot.accessToken,
      body: {
        preset: 'public_chat',
        visibility: 'public',
        name: spec.name,
        topic: spec.topic,
        ...(alias ? { room_alias_name: spec.alias } : {}),
        power_level_content_override: {
          users: { [bot.userId]: 100, [organiser.userId]: 50 },
          ...(spec.onlyModeratorsPost ? { events_default: 50 } : {}),
        },
      },
    });
  let roomId: string;
  try {
    roomId = String((await create(true)).room_id);
  } catch (error) {
    if (!(error instanceof MatrixError && error.errcode === 'M_ROOM_IN_USE')) throw error;
    // The alias exists: reuse its room when the bot is in it, else make a room without alias.
    const alias = encodeURIComponent(`#${spec.alias}:${bot.userId.split(':').slice(1).join(':')}`);
    const found = await matrixRequest(
      stack.homeserverUrl,
      'GET',
      `/_matrix/client/v3/directory/room/${alias}`,
    );
    const aliased = String(found.room_id);
    roomId = rooms.includes(aliased) ? aliased : String((await create(false)).room_id);
  }
  mkdirSync(DEV_DIR, { recursive: true });
  writeFileSync(
    FILES.state,
    `${JSON.stringify({ ...state, [kind]: { roomId, botUserId: bot.userId } }, null, 2)}\n`,
  );
  out.detail(`created ${kind} room ${roomId}`);
  return roomId;
}

function writeConfig(
  stack: StackSettings,
  accounts: Account[],
  rooms: Record<PublicRoom, string>,
  healthPort: number,
  dbName: string,
): { campaignId: string } {
  const year = Number(parisDay(0).slice(0, 4));
  const campaignId = `demo-${year}`;
  const config = {
    homeserver: { url: stack.homeserverUrl, accessToken: byKey(accounts, 'bot').accessToken },
    database: { uri: stack.mongodbUri, name: dbName },
    bot: { displayName: byKey(accounts, 'bot').displayName, dataDir: FILES.data },
    rooms: { lobby: rooms.lobby, announcements: rooms.announcements },
    people: {
      organisers: [byKey(accounts, 'organiser').userId],
      jurors: ['juror1', 'juror2', 'juror3'].map((k) => byKey(accounts, k).userId),
      juryPresident: byKey(accounts, 'juror1').userId,
    },
    // Created at the bot's first start only; from then on the organisers' commands rule.
    campaigns: [
      {
        id: campaignId,
        year,
        name: `Territoire Numérique Libre ${year} (démo)`,
        questionnaire: QUESTIONNAIRE,
        opens: parisDay(-1),
        closes: parisDay(60),
        jury: parisDay(75),
        levels: '1-5',
        reminders: ['7d', '2d'],
        status: 'open',
      },
    ],
    health: { host: '127.0.0.1', port: healthPort },
    logging: { level: 'info', format: 'json' },
  };
  mkdirSync(DEV_DIR, { recursive: true });
  writeFileSync(
    FILES.config,
    `# Written by npm run dev at each start (scripts/dev.ts): edit that script, not this file.\n${stringify(config)}`,
    { mode: 0o600 },
  );
  return { campaignId };
}

function printConnection(
  stack: StackSettings,
  accounts: Account[],
  rooms: Record<string, unknown>,
  campaign: { id: string; name: string; closesAt: Date } | null,
  healthPort: number,
): void {
  const bot = byKey(accounts, 'bot');
  const server = bot.userId.split(':').slice(1).join(':');
  const roles: Record<string, string> = {
    organiser: 'organiser: the organisers and jury rooms (accept the invitations)',
    juror1: 'juror and jury president: the jury room',
    juror2: 'juror: the jury room',
    juror3: 'juror: the jury room',
    lead: `candidacy lead: write to ${bot.userId} in a direct chat, or !candidater in the lobby`,
  };
  const lines = [
    '',
    '================================================================================',
    ' The bot runs. Connect with any Matrix client (Element web or desktop, Element X,',
    ' FluffyChat, nheko, gomuks...) on this machine:',
    '',
    `   Homeserver   ${stack.homeserverUrl}   (server name "${server}"; in Element:`,
    '                "Sign in", then "Edit" next to the homeserver, and type that URL)',
    '',
    '   Accounts     user name / password',
  ];
  for (const account of accounts.filter((a) => a.key !== 'bot')) {
    lines.push(`     ${account.userId.padEnd(28)} ${account.password}   ${account.displayName}`);
    lines.push(`     ${''.padEnd(28)} ${roles[account.key] ?? ''}`);
  }
  lines.push(
    '',
    `   Bot          ${bot.userId} (password ${bot.password}; the bot uses it, not you)`,
    '',
    '   Rooms',
    `     lobby (public)   #${PUBLIC_ROOMS.lobby.alias}:${server}   ${String(rooms.lobby ?? '')}`,
    `     announcements    #${PUBLIC_ROOMS.announcements.alias}:${server}   ${String(rooms.announcements ?? '')}   (public; results go there)`,
    `     jury             ${String(rooms.jury ?? '')}   (created by the bot; members invited)`,
    `     organisers       ${String(rooms.organisers ?? '')}   (created by the bot; members invited)`,
    '',
    campaign
      ? `   Campaign     "${campaign.name}" (${campaign.id}), open until ${campaign.closesAt.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })} (Paris)`
      : '   Campaign     none open (see the warning above)',
    '',
    '   Try it: log in as the candidacy lead, open a direct chat with the bot and say hello;',
    '   answer the questions, then !soumettre. Log in as a juror to see the dossier arrive in',
    '   the jury room; as the organiser, write !aide in the organisers room.',
    '',
    `   Files        ${rel(FILES.accounts)} (accounts), ${rel(FILES.config)} (bot config),`,
    `                ${rel(FILES.log)} (full bot log); health http://127.0.0.1:${healthPort}/readyz`,
    '',
    ' Press Ctrl-C to stop.',
    '================================================================================',
    '',
  );
  console.log(lines.join('\n'));
}

async function main(): Promise<number> {
  const stack = await out.step('reading the local stack settings', async () => stackSettings());
  await out.step(
    `checking the homeserver at ${stack.homeserverUrl}`,
    () => matrixRequest(stack.homeserverUrl, 'GET', '/_matrix/client/versions'),
    'the local stack seems half up: run `sudo bash scripts/stack.sh down` then `npm run dev` again (logs in .stack/logs/)',
  );
  await out.step(`checking that ${rel(DEV_DIR)} is writable`, async () => {
    try {
      mkdirSync(DEV_DIR, { recursive: true });
      accessSync(DEV_DIR, constants.W_OK);
    } catch (error) {
      throw new StepError(
        `${rel(DEV_DIR)} cannot be written by this user (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
          'it was probably made by an earlier run as root',
        'run: sudo npm run dev (or give the folder back to yourself: sudo chown -R "$USER" .stack/dev)',
      );
    }
  });
  stopLeftoverBot();

  const accounts = await out.step(
    'registering the bot and demo accounts (or reusing those of an earlier run)',
    () =>
      ensureAccounts(
        { url: stack.homeserverUrl, registrationSecret: stack.registrationSecret },
        FILES.accounts,
        ACCOUNTS,
        (line) => out.detail(line),
      ),
    `if the homeserver was reset, delete ${rel(FILES.accounts)} and run npm run dev again`,
  );
  const bot = byKey(accounts, 'bot');
  const organiser = byKey(accounts, 'organiser');
  const publicRooms = {
    lobby: await out.step('creating the public lobby room (or reusing it)', () =>
      ensurePublicRoom('lobby', stack, bot, organiser),
    ),
    announcements: await out.step('creating the public announcements room (or reusing it)', () =>
      ensurePublicRoom('announcements', stack, bot, organiser),
    ),
  };

  const healthPort = (await portIsFree(HEALTH_PORT)) ? HEALTH_PORT : 0;
  // One database per bot account: a new bot account must not inherit another's rooms.
  const dbName = `tnl_dev_${bot.localpart.replace(/[^a-z0-9]/g, '_')}`;
  const { campaignId } = await out.step(`writing the bot configuration ${rel(FILES.config)}`, async () =>
    writeConfig(stack, accounts, publicRooms, healthPort, dbName),
  );

  out.say(
    `starting the bot (node bot/main.ts ${rel(FILES.config)}); it creates the jury and organisers rooms the first time`,
  );
  mkdirSync(DEV_DIR, { recursive: true });
  const log = createWriteStream(FILES.log, { flags: 'a' });
  const show = (line: BotLogLine) => {
    log.write(`${JSON.stringify(line)}\n`);
    const level = typeof line.level === 'number' ? line.level : 30;
    if (level >= 30) console.log(`bot | ${formatLogLine(line)}`);
  };
  const child = new BotChild(FILES.config, {}, show);
  if (child.pid) writeFileSync(FILES.pid, `${child.pid}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out.say(`${signal}: stopping the bot`);
    await child.stop();
    out.say('bot stopped');
    log.end();
  };
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => void stop(signal).then(resolve));
    }
  });

  let ready: BotLogLine;
  try {
    ready = await child.waitForLine((line) => line.msg === 'ready', 90_000);
  } catch (error) {
    await child.stop();
    if (stopping) {
      await stopped;
      return 0;
    }
    throw new StepError(
      (error as Error).message,
      `read the bot's messages above (full log ${rel(FILES.log)}); exit status 2 means the configuration is wrong`,
    );
  }
  const rooms = (typeof ready.rooms === 'object' && ready.rooms !== null ? ready.rooms : {}) as Record<
    string,
    unknown
  >;
  const port = typeof ready.healthPort === 'number' ? ready.healthPort : healthPort;

  const storage = await openStorage({ uri: stack.mongodbUri, dbName, serverSelectionTimeoutMS: 5000 });
  const campaign = await storage.campaigns.get(campaignId).finally(() => storage.close());
  if (!campaign) {
    out.say(
      `WARNING: the bot did not create the demo campaign ${campaignId} from the configuration (see its log). ` +
        'Candidates will be told that no campaign is open; an organiser can create one with !campagne in the organisers room.',
    );
  } else if (campaign.status !== 'open') {
    out.say(
      `note: the demo campaign ${campaignId} is ${campaign.status} (it was changed in an earlier run).`,
    );
  }
  printConnection(stack, accounts, rooms, campaign, port);

  const exited = child.whenExited().then((code) => ({ code }));
  const outcome = await Promise.race([stopped.then(() => null), exited]);
  if (outcome && !stopping) {
    out.say(`the bot stopped by itself (status ${outcome.code ?? 'killed'}):\n${child.lastWords()}`);
    out.say(`full log: ${rel(FILES.log)}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StepError) {
      console.error(`dev: error: ${error.message}`);
      console.error(`dev:   -> ${error.hint}`);
    } else {
      console.error('dev: unexpected error:', error);
    }
    process.exit(1);
  },
);
