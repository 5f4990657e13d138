// The organisers' first and last steps through the real homeserver, one Matrix client per
// person: the bot creates the organisers' room and welcomes them; a campaign whose
// questionnaire is a file path (seeded from the config) is answered by a candidate end to
// end; its dossiers export as CSV and ODS (chat and command line) that parse back with
// unique headers and every answer; with no announcements room in the config the bot makes a
// public one, and `!publier` publishes there the campaign that closed last (not the newer
// draft). (`!publier` into a configured room: organisers.test.ts.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerCell } from '../../bot/exports/candidacies.ts';
import { CLIENT_TAGS } from '../../bot/render/html.ts';
import { QUESTIONNAIRES_DIR, resolveQuestionnaire } from '../../flows/questionnaire.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess, stackEnv } from './bot-process.ts';
import { answerAll, nextFromBot, openCandidacy, storageFor, storedRoom } from './candidate.ts';
import { type MatrixEvent, Person, type ReceivedMessage, registerUser } from './people.ts';
import { endBotRun } from './teardown.ts';
import { recordDecision } from '../doubles/jury-records.ts';

const DAY = 86_400_000;
const CAMPAIGN = 'tnl-fichier';

// The badge questionnaire under another id, in a file outside questionnaires/: only its path finds it.
const QUESTIONNAIRE_PATH = join(mkdtempSync(join(tmpdir(), 'tnl-questionnaire-')), 'label-fichier.yaml');
writeFileSync(
  QUESTIONNAIRE_PATH,
  readFileSync(join(QUESTIONNAIRES_DIR, 'badge-2026.yaml'), 'utf8').replace(
    /^id: badge-2026$/m,
    'id: fichier-2026',
  ),
);
const QUESTIONNAIRE = resolveQuestionnaire(QUESTIONNAIRE_PATH);

let bot: BotProcess;
let storage: Storage;
let orga: Person;
let camille: Person;
let orgRoom: string;
let camilleRoom: string;

async function command(text: string, expected: string): Promise<ReceivedMessage> {
  await orga.sendText(orgRoom, text);
  return orga.nextMessage(orgRoom, {
    from: bot.userId,
    timeoutMs: 30_000,
    predicate: (m) => m.body.includes(expected),
    description: `a reply containing ${expected}`,
  });
}

async function nextFile(suffix: string): Promise<Buffer> {
  const event = await orga.nextEvent(orgRoom, {
    from: bot.userId,
    type: 'm.room.message',
    timeoutMs: 30_000,
    predicate: (e) => e.content.msgtype === 'm.file' && String(e.content.body).endsWith(suffix),
    description: `a file ending in ${suffix}`,
  });
  const [server, mediaId] = String(event.content.url).slice('mxc://'.length).split('/');
  const response = await fetch(
    `${stackEnv().homeserverUrl}/_matrix/client/v1/media/download/${server}/${mediaId}`,
    {
      headers: { authorization: `Bearer ${orga.accessToken}` },
    },
  );
  expect(response.ok).toBe(true);
  return Buffer.from(await response.arrayBuffer());
}

async function candidacy(): Promise<Candidacy> {
  const c = await storage.candidacies.findByRoom(camilleRoom);
  if (!c) throw new Error('no candidacy');
  return c;
}

const botMessages = async (person: Person, roomId: string): Promise<MatrixEvent[]> =>
  (await person.messages(roomId, { limit: 200 })).filter(
    (e) => e.type === 'm.room.message' && e.sender === bot.userId,
  );

/** Unique headers, and every answer of the candidacy in its row, as `cell` writes it. */
function checkTable(rows: unknown[][], c: Candidacy, cell: (id: string, value: unknown) => unknown): void {
  const [header, ...body] = rows as [string[], ...unknown[][]];
  expect(new Set(header).size).toBe(header.length);
  expect(header).toEqual(expect.arrayContaining(['candidacy.collectivity_name', 'collectivity_name']));
  const row = body.find((r) => r[header.indexOf('candidacy.id')] === c.id) as unknown[];
  const answered = Object.entries(c.answers);
  expect(answered.length).toBeGreaterThan(5);
  for (const [id, answer] of answered) expect(row[header.indexOf(id)], id).toEqual(cell(id, answer.value));
}

beforeAll(async () => {
  [orga, camille] = await Promise.all(['orga', 'camille'].map((n) => Person.register(n)));
  const account = await registerUser('bot');
  const now = Date.now();
  bot = await BotProcess.start({
    account,
    config: {
      people: { organisers: [orga.userId] },
      campaigns: [
        {
          id: CAMPAIGN,
          year: 2026,
          name: 'Label fichier 2026',
          questionnaire: QUESTIONNAIRE_PATH,
          opens: new Date(now - DAY).toISOString(),
          closes: new Date(now + 30 * DAY).toISOString(),
          levels: '1-5',
          reminders: [],
          status: 'open',
        },
      ],
    },
  });
  storage = await storageFor(bot);
  orgRoom = await storedRoom(storage, 'room:organisers');
  await orga.acceptInvite({ roomId: orgRoom, timeoutMs: 20_000 });
}, 120_000);

afterAll(() => endBotRun(bot, storage));

describe('organisers: welcome, a questionnaire from a file, spreadsheets, publishing', () => {
  it('welcomes the organisers in the room the bot created for them, by task, in tags every client shows', async () => {
    const welcome = await orga.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 20_000,
      predicate: (m) => m.body.includes('Bienvenue dans la salle des organisateurs'),
    });
    for (const text of [
      '!statut',
      '!relancer',
      '!annonce tous public',
      '!exporter ods',
      '!publier',
      '!aide tout',
    ])
      expect(welcome.body).toContain(text);
    for (const [, tag] of (welcome.formattedBody ?? '').matchAll(/<\/?([a-z0-9]+)/g))
      expect(CLIENT_TAGS as readonly string[]).toContain(tag);
    expect(
      (await botMessages(orga, orgRoom)).filter((e) => String(e.content.body).includes('Bienvenue')),
    ).toHaveLength(1);
  }, 40_000);

  it('a candidate answers a campaign whose questionnaire is a file path, then submits', async () => {
    expect((await storage.campaigns.get(CAMPAIGN))?.questionnaire).toBe(QUESTIONNAIRE_PATH);
    const conversation = await openCandidacy(camille, bot, QUESTIONNAIRE_PATH);
    camilleRoom = conversation.roomId;
    expect(await answerAll(camille, bot, conversation)).toBeGreaterThan(5);
    await camille.sendText(camilleRoom, '!soumettre');
    await nextFromBot(camille, bot, camilleRoom);
    await camille.sendText(camilleRoom, '!oui');
    await nextFromBot(camille, bot, camilleRoom);
    const c = await candidacy();
    expect(c.status).toBe('submitted');
    const required = QUESTIONNAIRE.questions.filter((q) => q.required && !q.when).map((q) => q.id);
    expect(Object.keys(c.answers)).toEqual(expect.arrayContaining(required));
  }, 120_000);

  it('exports the dossiers as CSV and ODS, in the room and from the command line, with unique headers and every answer', async () => {
    const c = await candidacy();
    const question = (id: string) => {
      const found = QUESTIONNAIRE.byId.get(id);
      if (!found) throw new Error(`no question ${id}`);
      return found;
    };
    await command('!exporter csv', 'Export CSV de tnl-fichier : 1 dossier.');
    const csv = parse(await nextFile('.csv'), { bom: true }) as string[][];
    checkTable(csv, c, (id, value) => String(answerCell(question(id), value, 'fr')));

    await command('!exporter ods', 'Export ODS de tnl-fichier : 1 dossier.');
    const odsRows = (data: Buffer) => {
      const book = XLSX.read(data, { type: 'buffer' });
      return XLSX.utils.sheet_to_json<unknown[]>(
        book.Sheets[book.SheetNames[0] as string] as XLSX.WorkSheet,
        {
          header: 1,
          defval: null,
        },
      );
    };
    const ods = odsRows(await nextFile('.ods'));
    expect(ods[0]).toEqual(csv[0]);
    checkTable(ods, c, (id, value) => answerCell(question(id), value, 'fr', undefined, (text) => text));

    const out = mkdtempSync(join(tmpdir(), 'tnl-export-ods-'));
    const root = join(import.meta.dirname, '..', '..');
    const cli = spawnSync(
      join(root, 'node_modules', '.bin', 'node'),
      [
        'scripts/export.ts',
        '--config',
        bot.configPath,
        '--campaign',
        CAMPAIGN,
        '--format',
        'ods',
        '--out',
        out,
      ],
      { cwd: root, env: { ...process.env, TNL_HOMESERVER_ACCESS_TOKEN: bot.accessToken }, encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const [name] = readdirSync(out);
    expect(name).toMatch(/^tnl-fichier-dossiers-\d{4}-\d{2}-\d{2}\.ods$/);
    checkTable(odsRows(readFileSync(join(out, name as string))), c, (id, value) =>
      answerCell(question(id), value, 'fr', undefined, (text) => text),
    );
  }, 90_000);

  it('without an announcements room in the config, the bot made a public one, and !publier publishes the campaign that closed last there', async () => {
    const announcements = await storedRoom(storage, 'room:announcements');
    await orga.acceptInvite({ roomId: announcements, timeoutMs: 20_000 });
    // Public: a candidate joins it without an invitation.
    await camille.join(announcements);
    await command('!campagne clore', '!confirmer');
    await command('!confirmer', 'Campagne tnl-fichier close : 0 brouillon figé, 1 dossier transmis au jury.');
    await recordDecision(storage, {
      candidacyId: (await candidacy()).id,
      campaignId: CAMPAIGN,
      level: '2',
      mentions: [],
      message: '',
      by: orga.userId,
    });
    // A newer campaign, still a draft: `!publier` must not mean this one.
    await command(
      '!campagne créer 2027 "Label 2027" questionnaire=badge-2026 ouverture=2027-09-01 clôture=2027-10-15 id=tnl-2027',
      'Campagne créée',
    );
    await command(
      '!publier',
      'Publier maintenant les résultats de « Label fichier 2026 » (tnl-fichier, close le',
    );
    await command(
      '!confirmer',
      "Publication des résultats de « Label fichier 2026 » (tnl-fichier) : 1 salle de candidature et le salon d'annonces.",
    );
    const palmares = await camille.nextMessage(announcements, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Palmarès Label fichier 2026'),
    });
    expect(palmares.body).toContain('1 collectivité labellisée.');
    await camille.nextMessage(camilleRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Résultats — Label fichier 2026'),
    });
    await orga.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('(résultats)') && m.body.includes('Remises : 2 sur 2'),
    });
    expect((await storage.campaigns.get(CAMPAIGN))?.publishedAt).not.toBeNull();
    expect((await storage.campaigns.get('tnl-2027'))?.status).toBe('draft');
  }, 90_000);

  it('after a restart: the same rooms, no second welcome, and !publier says the results are already out', async () => {
    const announcements = await storedRoom(storage, 'room:announcements');
    await bot.restart();
    expect(await storedRoom(storage, 'room:announcements')).toBe(announcements);
    await command('!publier', 'Les résultats de « tnl-fichier » sont déjà publiés');
    const welcomes = (await botMessages(orga, orgRoom)).filter((e) =>
      String(e.content.body).includes('Bienvenue'),
    );
    expect(welcomes).toHaveLength(1);
  }, 60_000);
});
