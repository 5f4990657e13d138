// The organisers' console through the real homeserver, one Matrix client per person: a
// campaign is created and opened by commands, receives candidacies, an announcement
// reaches every candidacy room and the public room exactly once even though the bot is
// killed in the middle of broadcasting to 30+ rooms, reminders go only to unfinished
// candidacies, the closing freezes drafts although the bot was down at that moment,
// exports parse back (CSV with a CSV parser, JSON with its schema) with every answer,
// and the results reach the right rooms.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerCell } from '../../bot/exports/candidacies.ts';
import { candidaciesExportSchema, resultsExportSchema } from '../../bot/exports/schemas.ts';
import { loadQuestionnaireById } from '../../flows/questionnaire.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import type { Storage } from '../../storage/storage.ts';
import { BotProcess, stackEnv } from './bot-process.ts';
import {
  answerAll,
  answerCurrent,
  type Conversation,
  nextFromBot,
  openCandidacy,
  questionAsked,
  storageFor,
  storedRoom,
  validAnswer,
} from './candidate.ts';
import { pollUntil } from './patience.ts';
import { type MatrixEvent, Person, type ReceivedMessage, registerUser } from './people.ts';
import { endBotRun } from './teardown.ts';
import { recordDecision } from '../doubles/jury-records.ts';

const DAY = 86_400_000;
const CROWD = 30;
const QUESTIONNAIRE = loadQuestionnaireById('badge-2026');

let bot: BotProcess;
let storage: Storage;
let orga: Person;
let lea: Person;
let marc: Person;
let crowd: Person[] = [];
let orgRoom: string;
let publicRoom: string;
let leaRoom: string;
let marcRoom: string;
let marcConversation: Conversation;
const crowdRooms: string[] = [];
let closesAt: Date;

/** An organiser's command, and the bot's reply that matches. */
async function command(
  text: string,
  expected: string | RegExp,
  timeoutMs = 30_000,
): Promise<ReceivedMessage> {
  await orga.sendText(orgRoom, text);
  return orga.nextMessage(orgRoom, {
    from: bot.userId,
    timeoutMs,
    predicate: (m) => (typeof expected === 'string' ? m.body.includes(expected) : expected.test(m.body)),
    description: `a reply containing ${String(expected)}`,
  });
}

/** The bot's messages in a room, from the server's history. */
async function botMessages(person: Person, roomId: string): Promise<MatrixEvent[]> {
  const events = await person.messages(roomId, { limit: 500 });
  return events.filter((e) => e.type === 'm.room.message' && e.sender === bot.userId);
}

const bodyOf = (e: MatrixEvent) => String(e.content.body ?? '');

/** Downloads the file of an m.file event sent by the bot. */
async function download(event: MatrixEvent): Promise<Buffer> {
  const url = String(event.content.url);
  const [server, mediaId] = url.slice('mxc://'.length).split('/');
  const response = await fetch(
    `${stackEnv().homeserverUrl}/_matrix/client/v1/media/download/${server}/${mediaId}`,
    {
      headers: { authorization: `Bearer ${orga.accessToken}` },
    },
  );
  expect(response.ok).toBe(true);
  return Buffer.from(await response.arrayBuffer());
}

async function nextFile(suffix: string): Promise<{ name: string; data: Buffer }> {
  const event = await orga.nextEvent(orgRoom, {
    from: bot.userId,
    type: 'm.room.message',
    timeoutMs: 30_000,
    predicate: (e) => e.content.msgtype === 'm.file' && String(e.content.body).endsWith(suffix),
    description: `a file ending in ${suffix}`,
  });
  return { name: String(event.content.body), data: await download(event) };
}

async function candidacyOf(roomId: string): Promise<Candidacy> {
  const c = await storage.candidacies.findByRoom(roomId);
  if (!c) throw new Error(`no candidacy for ${roomId}`);
  return c;
}

beforeAll(async () => {
  [orga, lea, marc] = await Promise.all(['orga', 'lea', 'marc'].map((n) => Person.register(n)));
  crowd = await Promise.all(Array.from({ length: CROWD }, (_, i) => Person.register(`crowd${i}`)));
  const account = await registerUser('bot');
  // The public announcements room exists before the bot; the bot is invited to it.
  publicRoom = await orga.createRoom({
    preset: 'public_chat',
    name: 'Annonces e2e',
    invite: [account.userId],
  });
  bot = await BotProcess.start({
    account,
    config: {
      people: { organisers: [orga.userId] },
      rooms: { announcements: publicRoom },
    },
    // One delivery at a time with a pause, so the bot can be killed in the middle of a broadcast.
    env: { TNL_TEST_BROADCAST_PAUSE_MS: '150' },
  });
  storage = await storageFor(bot);
  orgRoom = await storedRoom(storage, 'room:organisers');
  await orga.acceptInvite({ roomId: orgRoom, timeoutMs: 20_000 });
});

afterAll(() => endBotRun(bot, storage));

describe('the organisers console', () => {
  it('creates and opens a campaign by commands; a member who is not an organiser is refused', async () => {
    const now = Date.now();
    closesAt = new Date(now + 20 * DAY);
    const opens = new Date(now - 3_600_000).toISOString();
    await orga.invite(orgRoom, lea.userId);
    await lea.acceptInvite({ roomId: orgRoom, timeoutMs: 20_000 });
    await lea.sendText(
      orgRoom,
      '!campagne créer 2026 questionnaire=badge-2026 ouverture=2026-01-01 clôture=2026-12-31',
    );
    const refused = await lea.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 20_000,
      predicate: (m) => !m.body.startsWith('Bienvenue'),
    });
    expect(refused.body).toContain('Seules les personnes organisatrices');
    expect(await storage.campaigns.list()).toEqual([]);
    await lea.leave(orgRoom);
    const created = await command(
      `!campagne créer 2026 "Label TNL e2e" questionnaire=badge-2026 ouverture=${opens} clôture=${closesAt.toISOString()} relances=7j,2j id=tnl-e2e`,
      'Campagne créée',
    );
    expect(created.msgtype).toBe('m.notice');
    expect(created.content['m.mentions']).toEqual({});
    await command('!campagne ouvrir', '!confirmer');
    await command('!confirmer', 'Campagne tnl-e2e ouverte');
    expect((await storage.campaigns.get('tnl-e2e'))?.status).toBe('open');
    expect((await storage.campaigns.get('tnl-e2e'))?.history.map((h) => h.by)).toEqual([
      orga.userId,
      orga.userId,
    ]);
  });

  it('receives candidacies: one submitted, one started, and a crowd of drafts', async () => {
    const leaConversation = await openCandidacy(lea, bot);
    leaRoom = leaConversation.roomId;
    await answerAll(lea, bot, leaConversation);
    await lea.sendText(leaRoom, '!soumettre');
    await nextFromBot(lea, bot, leaRoom);
    await lea.sendText(leaRoom, '!oui');
    await nextFromBot(lea, bot, leaRoom);
    expect((await candidacyOf(leaRoom)).status).toBe('submitted');

    marcConversation = await openCandidacy(marc, bot);
    marcRoom = marcConversation.roomId;
    await answerCurrent(marc, bot, marcConversation);
    await answerCurrent(marc, bot, marcConversation);

    for (let i = 0; i < CROWD; i += 10) {
      const batch = crowd.slice(i, i + 10);
      const conversations = await Promise.all(batch.map((p) => openCandidacy(p, bot)));
      crowdRooms.push(...conversations.map((c) => c.roomId));
    }
    const all = [];
    for await (const c of storage.candidacies.listByCampaign('tnl-e2e')) all.push(c);
    expect(all).toHaveLength(CROWD + 2);

    const board = await command('!statut', 'Tableau de bord');
    expect(board.body).toMatch(/Brouillons\s+█+░*\s31/);
    expect(board.body).toMatch(/Déposés\s+█*░*\s1/);
    // A list, not a code block: Element would number the lines of a <pre>.
    expect(board.formattedBody).not.toContain('<pre>');
    expect(board.formattedBody).toContain('<li><strong>Brouillons</strong> <code>');
  });

  it('broadcasts an announcement to every room exactly once, even when the bot is killed mid-way', async () => {
    const rooms = 2 + CROWD + 1;
    await command(
      '!annonce tous public\nfr: Annonce e2e : réunion jeudi.\nen: Announcement e2e: meeting on Thursday.',
      `Diffuser cette annonce à ${rooms} salles ?`,
    );
    await command('!confirmer', 'lancée');
    const broadcast = await pollUntil(
      async () => (await storage.broadcasts.list()).find((b) => b.kind === 'announcement'),
      (found) => found !== undefined,
      { idleMs: 30_000, what: 'the broadcast' },
    );
    if (!broadcast) throw new Error('no broadcast');
    // The delivery count read is progress: the wait lasts as long as it grows.
    const report = () => storage.broadcasts.report(broadcast.id);
    await pollUntil(report, (r) => r.sent >= 3, { idleMs: 30_000, what: 'a few deliveries' });
    await bot.kill9();
    const atKill = await storage.broadcasts.report(broadcast.id);
    expect(atKill.total).toBe(rooms);
    expect(atKill.sent).toBeLessThan(rooms);

    await bot.launch();
    await pollUntil(report, (r) => r.sent === rooms, { idleMs: 60_000, what: 'every delivery' });
    const people: Array<[Person, string]> = [
      [lea, leaRoom],
      [marc, marcRoom],
      ...crowd.map((p, i): [Person, string] => [p, crowdRooms[i] as string]),
    ];
    for (const [person, roomId] of people) {
      const copies = (await botMessages(person, roomId)).filter((e) => bodyOf(e).includes('Annonce e2e'));
      expect(copies, `announcements in ${roomId}`).toHaveLength(1);
    }
    const publicCopies = (await botMessages(orga, publicRoom)).filter((e) => bodyOf(e).includes('e2e'));
    expect(publicCopies).toHaveLength(1);
    expect(bodyOf(publicCopies[0] as MatrixEvent)).toContain('Announcement e2e: meeting on Thursday.');
    await orga.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes(`Remises : ${rooms} sur ${rooms}`),
    });
  });

  it('reminds only unfinished candidacies, saying what is missing', async () => {
    await bot.setClock(new Date(closesAt.getTime() - 7 * DAY + 60_000).toISOString());
    const reminder = await marc.nextMessage(marcRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Rappel'),
    });
    expect(reminder.body).toContain('questions obligatoires sans réponse');
    expect(reminder.body).toContain('(dans 7 jours)');
    await orga.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 60_000,
      predicate: (m) =>
        m.body.includes('(relance)') && m.body.includes(`Remises : ${CROWD + 1} sur ${CROWD + 1}`),
    });
    expect((await botMessages(lea, leaRoom)).filter((e) => bodyOf(e).includes('Rappel'))).toEqual([]);
    // Time passes within the same reminder window: nothing is sent twice.
    await bot.setClock('+3600000');
    await command('!statut', 'Tableau de bord');
    expect((await botMessages(marc, marcRoom)).filter((e) => bodyOf(e).includes('Rappel'))).toHaveLength(1);
  });

  it('closes when the closing time passed while the bot was down: drafts frozen, dossiers to review', async () => {
    await bot.stop();
    // Wall-clock time moves past the closing date while the bot is stopped.
    await storage.campaigns.updateWithRetry('tnl-e2e', () => ({
      closesAt: new Date(Date.now() - 60_000),
      by: 'test:wall-clock',
    }));
    await bot.launch();
    await marc.nextMessage(marcRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('figé'),
    });
    await lea.nextMessage(leaRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('transmis au jury'),
    });
    expect((await storage.campaigns.get('tnl-e2e'))?.status).toBe('closed');
    expect((await candidacyOf(leaRoom)).status).toBe('under_review');
    expect((await candidacyOf(marcRoom)).status).toBe('draft');
    await orga.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) =>
        m.body.includes('Clôture automatique de tnl-e2e : 31 brouillons figés, 1 dossier transmis au jury.'),
    });
    // A frozen draft no longer takes answers, even a valid one.
    const question = questionAsked(QUESTIONNAIRE, marcConversation.last);
    expect(question).toBeDefined();
    const before = await candidacyOf(marcRoom);
    marc.skipPending(marcRoom);
    await marc.sendText(marcRoom, validAnswer(question as NonNullable<typeof question>, 'marc'));
    await nextFromBot(marc, bot, marcRoom);
    expect((await candidacyOf(marcRoom)).answers).toEqual(before.answers);
  });

  it('exports every dossier as CSV and JSON that parse back with every answer', async () => {
    const leaCandidacy = await candidacyOf(leaRoom);
    await command('!exporter csv', 'Export CSV de tnl-e2e : 32 dossiers.');
    const csv = await nextFile('.csv');
    expect(csv.data.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows: Record<string, string>[] = parse(csv.data, { bom: true, columns: true });
    expect(rows).toHaveLength(CROWD + 2);
    const row = rows.find((r) => r['candidacy.id'] === leaCandidacy.id);
    expect(row?.['candidacy.stage']).toBe('review');
    const answered = Object.entries(leaCandidacy.answers);
    expect(answered.length).toBeGreaterThan(5);
    for (const [questionId, answer] of answered) {
      const question = QUESTIONNAIRE.byId.get(questionId);
      if (!question) continue;
      expect(row?.[questionId], questionId).toBe(String(answerCell(question, answer.value, 'fr')));
    }

    await command('!exporter json', 'Export JSON de tnl-e2e');
    const json = candidaciesExportSchema.parse(JSON.parse((await nextFile('.json')).data.toString('utf8')));
    expect(json.questionnaire.id).toBe('badge-2026');
    const exported = json.candidacies.find((c) => c.id === leaCandidacy.id);
    for (const [questionId, answer] of answered)
      expect(exported?.answers[questionId]?.value).toEqual(answer.value);
  });

  it('publishes the results: the decision to its room, the palmarès to the public room, open data', async () => {
    const leaCandidacy = await candidacyOf(leaRoom);
    await recordDecision(storage, {
      candidacyId: leaCandidacy.id,
      campaignId: 'tnl-e2e',
      level: '3',
      mentions: ['Coup de cœur'],
      message: 'Bravo pour cette première candidature.',
      by: orga.userId,
    });
    await command('!publier', '1 décision sera envoyée');
    await command('!confirmer', 'Publication des résultats de « Label TNL e2e » (tnl-e2e)');
    const result = await lea.nextMessage(leaRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Résultats'),
    });
    const name = leaCandidacy.collectivite?.name ?? '';
    expect(result.body).toContain(`Le jury attribue à ${name} le niveau : niveau 3.`);
    expect(result.body).toContain('Bravo pour cette première candidature.');
    const palmares = await orga.nextMessage(publicRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('Palmarès'),
    });
    expect(palmares.body).toContain(name);
    expect(palmares.body).toContain('Coup de cœur');
    await orga.nextMessage(orgRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes('(résultats)') && m.body.includes('Remises : 2 sur 2'),
    });
    expect((await botMessages(marc, marcRoom)).filter((e) => bodyOf(e).includes('Résultats'))).toEqual([]);

    await command('!exporter résultats', '1 collectivité labellisée');
    const csv = await nextFile('-results.csv');
    const json = await nextFile('-results.json');
    const rows: Record<string, string>[] = parse(csv.data, { bom: true, columns: true });
    expect(rows).toEqual([
      expect.objectContaining({ collectivity_name: name, level_id: '3', level_rank: '3', level_count: '5' }),
    ]);
    const data = resultsExportSchema.parse(JSON.parse(json.data.toString('utf8')));
    expect(data.results.map((r) => [r.collectivity_name, r.mentions])).toEqual([[name, ['Coup de cœur']]]);
  });

  it('exports from the command line too, for scripted use', () => {
    const out = mkdtempSync(join(tmpdir(), 'tnl-export-'));
    const root = join(import.meta.dirname, '..', '..');
    const run = (format: string) =>
      spawnSync(
        join(root, 'node_modules', '.bin', 'node'),
        [
          'scripts/export.ts',
          '--config',
          bot.configPath,
          '--campaign',
          'tnl-e2e',
          '--format',
          format,
          '--out',
          out,
        ],
        {
          cwd: root,
          env: { ...process.env, TNL_HOMESERVER_ACCESS_TOKEN: bot.accessToken },
          encoding: 'utf8',
        },
      );
    for (const format of ['csv', 'results', 'dossiers']) {
      const result = run(format);
      expect(result.status, result.stderr).toBe(0);
    }
    const names = readdirSync(out);
    const csvName = names.find((n) => /^tnl-e2e-dossiers-.*\.csv$/.test(n)) ?? '';
    const rows: Record<string, string>[] = parse(readFileSync(join(out, csvName)), {
      bom: true,
      columns: true,
    });
    expect(rows).toHaveLength(CROWD + 2);
    expect(names).toContain('tnl-e2e-results.json');
    expect(names.filter((n) => n.startsWith('dossier-') && n.endsWith('.html'))).toHaveLength(CROWD + 2);
    expect(run('pdf').status).toBe(2);
  });
});
