// The authorisation matrix: every command of every role (candidate, co-editor, juror,
// organiser, and the lobby's), tried by every role — candidate, co-editor, stranger, juror,
// recused juror, organiser — in every kind of room, through the real homeserver with one
// Matrix client per person. Each answer must be what the design says (see
// authorization-design.ts); the observed table is docs/authorization.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../storage/storage.ts';
import { BotProcess } from '../bot-process.ts';
import {
  answerAll,
  nextFromBot,
  openCandidacy,
  seedOpenCampaign,
  storageFor,
  storedRoom,
} from '../candidate.ts';
import { Person, registerUser, threadReply, WaitTimeoutError, type MatrixEvent } from '../people.ts';
import {
  classify,
  commandsFor,
  designed,
  pattern,
  renderTable,
  ROLES,
  ROOMS,
  type Case,
  type Command,
  type Role,
  type RoomKind,
} from './authorization-design.ts';
import { describeLines, errorLines, expectAlive, history, sleep, waitUntil } from './support.ts';
import { ballotRoomOf } from '../jury-people.ts';
import { VISIBILITY_START } from './visibility-design.ts';
import { endBotRun } from '../teardown.ts';

const DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'authorization.md');
const REMINDER = /Rappel : des votes sont attendus|Reminder: votes are awaited/;

let bot: BotProcess;
let storage: Storage;
const people = {} as Record<Role, Person>;
/** The room each role acts in, per kind (direct chats and ballot rooms differ per person). */
const rooms = {} as Record<RoomKind, Partial<Record<Role, string>>>;
let juryRoom = '';

function commandText(command: Command): string {
  const extended = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  return command.text.replace('@{coEditor}', people.coEditor.userId).replace('{extended}', extended);
}

async function letIn(host: Person, roomId: string, guests: Person[]): Promise<void> {
  for (const guest of guests) await host.invite(roomId, guest.userId);
  await Promise.all(guests.map((guest) => guest.join(roomId)));
}

/** A person's own direct chat with the bot (which also starts a candidacy for them). */
async function directChat(person: Person): Promise<string> {
  const dm = await person.openDirectChat(bot.userId);
  await person.nextMessage(dm, { from: bot.userId, timeoutMs: 30_000 });
  return dm;
}

beforeAll(async () => {
  const account = await registerUser('bot');
  const all = await Promise.all(
    [...ROLES, 'submitter-1', 'submitter-2', 'submitter-3'].map((name) => Person.register(`authz-${name}`)),
  );
  for (const [i, role] of ROLES.entries()) people[role] = all[i] as Person;
  const submitters = all.slice(ROLES.length);
  const { candidate, coEditor, stranger, juror, recused, organiser } = people;
  const lobby = await organiser.createRoom({
    preset: 'public_chat',
    name: 'Lobby',
    invite: [account.userId],
  });
  bot = await BotProcess.start({
    account,
    config: {
      rooms: { lobby },
      people: { jurors: [juror.userId, recused.userId], organisers: [organiser.userId] },
    },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  juryRoom = await storedRoom(storage, 'room:jury');
  const organisersRoom = await storedRoom(storage, 'room:organisers');
  for (const [person, roomId] of [
    [juror, juryRoom],
    [recused, juryRoom],
    [organiser, juryRoom],
    [organiser, organisersRoom],
  ] as const) {
    await person.acceptInvite({ roomId, timeoutMs: 30_000 });
  }

  // Three submitted dossiers, #1 to #3 in the jury.
  const conversations = await Promise.all(
    submitters.map(async (s) => {
      const conversation = await openCandidacy(s, bot);
      await answerAll(s, bot, conversation);
      return conversation;
    }),
  );
  for (const [i, s] of submitters.entries()) {
    const roomId = conversations[i]?.roomId ?? '';
    await s.sendText(roomId, '!soumettre');
    await nextFromBot(s, bot, roomId);
    await s.sendText(roomId, '!oui');
    await nextFromBot(s, bot, roomId);
    await organiser.nextMessage(juryRoom, {
      from: bot.userId,
      timeoutMs: 30_000,
      predicate: (m) => m.body.includes(`#${i + 1}`) && !m.content['m.relates_to'],
    });
  }

  // Ballot rooms; the recused juror recuses on every dossier.
  const ballots: Partial<Record<Role, string>> = {};
  for (const role of ['juror', 'recused'] as const) {
    const roomId = await ballotRoomOf(storage, people[role].userId);
    await people[role].acceptInvite({ roomId, timeoutMs: 30_000 });
    await people[role].nextMessage(roomId, { from: bot.userId, timeoutMs: 30_000 });
    ballots[role] = roomId;
  }
  for (const n of [1, 2, 3]) {
    await recused.sendText(ballots.recused ?? '', `!deport #${n}`);
    await recused.nextMessage(ballots.recused ?? '', { from: bot.userId, timeoutMs: 30_000 });
  }

  // The candidacy: its lead, a co-editor invited with !inviter, everyone else let in by hand.
  const { dm: candidacyDm, roomId: candidacyRoom } = await openCandidacy(
    candidate,
    bot,
    'badge-2026',
    30_000,
  );
  await candidate.sendText(candidacyRoom, `!inviter ${coEditor.userId}`);
  await nextFromBot(candidate, bot, candidacyRoom);
  await coEditor.acceptInvite({ roomId: candidacyRoom, timeoutMs: 30_000 });

  const [jurorDm, recusedDm, organiserDm, coEditorDm, strangerDm] = await Promise.all(
    [juror, recused, organiser, coEditor, stranger].map((p) => directChat(p)),
  );
  await Promise.all([
    letIn(candidate, candidacyRoom, [stranger]),
    // The jurors and the organiser go to another candidacy room (the third dossier's), so
    // that the two rooms' queues share the work.
    letIn(submitters[2] as Person, conversations[2]?.roomId ?? '', [juror, recused, organiser]),
    letIn(organiser, juryRoom, [candidate, coEditor, stranger]),
    letIn(juror, ballots.juror ?? '', [candidate, coEditor]),
    letIn(recused, ballots.recused ?? '', [stranger, organiser]),
    letIn(organiser, organisersRoom, [candidate, coEditor, stranger, juror, recused]),
    Promise.all(ROLES.filter((r) => r !== 'organiser').map((r) => people[r].join(lobby))),
  ]);

  const everyone = (roomId: string) => Object.fromEntries(ROLES.map((r) => [r, roomId]));
  const otherCandidacy = conversations[2]?.roomId ?? '';
  rooms.candidacy = {
    candidate: candidacyRoom,
    coEditor: candidacyRoom,
    stranger: candidacyRoom,
    juror: otherCandidacy,
    recused: otherCandidacy,
    organiser: otherCandidacy,
  };
  rooms.lobby = everyone(lobby);
  rooms.jury = everyone(juryRoom);
  rooms.organisers = everyone(organisersRoom);
  // Guests split between the two ballot rooms, so that neither room's queue sets the pace.
  rooms.ballot = {
    candidate: ballots.juror ?? '',
    coEditor: ballots.juror ?? '',
    juror: ballots.juror ?? '',
    stranger: ballots.recused ?? '',
    organiser: ballots.recused ?? '',
    recused: ballots.recused ?? '',
  };
  rooms.dm = {
    candidate: candidacyDm,
    coEditor: coEditorDm,
    stranger: strangerDm,
    juror: jurorDm,
    recused: recusedDm,
    organiser: organiserDm,
  };
  for (const role of ROLES) for (const kind of ROOMS) people[role].skipPending(rooms[kind][role] ?? '');
}, 240_000);

afterAll(() => endBotRun(bot, storage, { maxProblems: 40 }));

function casesFor(room: RoomKind, roles: readonly Role[]): Case[] {
  return roles.flatMap((role) =>
    commandsFor(room).map((command) => ({ room, role, command, expected: designed(room, role, command) })),
  );
}

function botMessagesIn(events: readonly MatrixEvent[]): MatrixEvent[] {
  return events.filter((e) => e.sender === bot.userId && e.type === 'm.room.message');
}

/**
 * Rooms where the roles type at the same time (candidacy, lobby, and the organisers' room for
 * everyone but the organiser): every command there gets exactly one message, and the bot
 * answers a room's events one at a time in order, so in the room's timeline its n-th new
 * message answers the n-th command that expects an answer. `counts`: which bot messages
 * answer these cases (in the organisers' room, the organiser types meanwhile).
 */
async function runTogether(
  room: RoomKind,
  roomId: string,
  cases: Case[],
  counts: (body: string) => boolean = () => true,
): Promise<string[]> {
  const reader = people[cases[0]?.role ?? 'candidate'];
  const answers = async () =>
    botMessagesIn(await history(reader, roomId)).filter((e) => counts(String(e.content.body)));
  const before = (await answers()).length;
  const sent = new Map<string, Case>();
  await Promise.all(
    [...new Set(cases.map((c) => c.role))].map(async (role) => {
      for (const c of cases.filter((x) => x.role === role)) {
        sent.set(await people[role].sendText(roomId, commandText(c.command)), c);
      }
    }),
  );
  // The bot works through the room's queue: wait while it makes progress.
  const expecting = cases.filter((c) => c.expected.outcome !== 'silent').length;
  let seen = -1;
  let progressAt = Date.now();
  await waitUntil(
    async () => {
      const now = (await answers()).length - before;
      if (now > seen) [seen, progressAt] = [now, Date.now()];
      return now >= expecting || Date.now() - progressAt > 15_000;
    },
    120_000,
    `${expecting} replies in the ${room} room`,
    500,
  );
  await sleep(1500);
  const timeline = await history(reader, roomId);
  const replies = botMessagesIn(timeline)
    .filter((e) => counts(String(e.content.body)))
    .slice(before);
  const ordered = timeline.flatMap((e) => {
    const c = sent.get(e.event_id);
    return c && c.expected.outcome !== 'silent' ? [c] : [];
  });
  for (const [n, c] of ordered.entries()) {
    const body = String(replies[n]?.content.body ?? '');
    c.observed = { ...classify(room, c.command, body ? [body] : []), replies: body ? [body] : [] };
  }
  for (const c of cases.filter((x) => x.expected.outcome === 'silent'))
    c.observed = { outcome: 'silent', replies: [] };
  return replies.length === ordered.length
    ? []
    : [`${room} room: ${replies.length} bot messages for ${ordered.length} commands expecting one`];
}

/**
 * One role typing alone (its own direct chat, the organiser in their room) or in a thread of
 * its own (jury and ballot rooms answer in the thread a command was typed in): each command
 * waits for its answer, then for anything that follows it.
 */
async function runAlone(
  room: RoomKind,
  role: Role,
  cases: Case[],
  inThread: boolean,
  counts: (body: string) => boolean = () => true,
): Promise<void> {
  const person = people[role];
  const roomId = rooms[room][role] ?? '';
  const root = inThread ? await person.sendText(roomId, `Fil de test (${role})`) : undefined;
  person.skipPending(roomId);
  for (const c of cases) {
    if (remindsJurors(c)) continue; // see remindJurors below
    const text = commandText(c.command);
    await person.sendText(roomId, text, root ? threadReply(root) : {});
    const replies = await repliesTo(
      person,
      roomId,
      root,
      // Long: in the organisers' room the organiser's command may wait behind everyone else's.
      c.expected.outcome === 'silent' ? 1500 : 120_000,
      counts,
    );
    c.observed = { ...classify(room, c.command, replies), replies };
    if (room === 'organisers' && /^!(campagne (ouvrir|clore)|relancer|annonce|publier)/.test(text)) {
      // Leave nothing pending for the next command (above all for !confirmer).
      await person.sendText(roomId, '!annuler');
      await person.nextMessage(roomId, {
        from: bot.userId,
        timeoutMs: 30_000,
        predicate: (m) => counts(m.body),
      });
    }
  }
}

/** The bot's messages answering the last command: in its thread if any, until a short quiet. */
async function repliesTo(
  person: Person,
  roomId: string,
  root: string | undefined,
  firstMs: number,
  counts: (body: string) => boolean = () => true,
) {
  const mine = (m: { body: string; content: Record<string, unknown> }) => {
    const relation = m.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
    return counts(m.body) && (root ? relation?.rel_type === 'm.thread' && relation.event_id === root : true);
  };
  const replies: string[] = [];
  for (let timeout = firstMs; ; timeout = 300) {
    try {
      const reply = await person.nextMessage(roomId, {
        from: bot.userId,
        timeoutMs: timeout,
        predicate: mine,
      });
      replies.push(reply.body);
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      return replies;
    }
  }
}

/** A jury member's `!relancer #n`: its effect is a reminder in the jury room, not a reply. */
function remindsJurors(c: Case): boolean {
  return c.command.text.startsWith('!relancer #') && c.expected.outcome === 'allowed';
}

async function reminders(): Promise<number> {
  const events = botMessagesIn(await history(people.organiser, juryRoom));
  return events.filter((e) => REMINDER.test(String(e.content.body)) && !e.content['m.relates_to']).length;
}

/** The members' reminders, one at a time: allowed when a new reminder reaches the jury room. */
async function remindJurors(cases: Case[]): Promise<void> {
  for (const c of cases.filter(remindsJurors)) {
    const person = people[c.role];
    const roomId = rooms[c.room][c.role] ?? '';
    const before = await reminders();
    person.skipPending(roomId);
    await person.sendText(roomId, commandText(c.command));
    let reminded = false;
    await waitUntil(async () => (reminded = (await reminders()) > before), 20_000, 'a reminder', 300).catch(
      () => undefined,
    );
    const replies = reminded ? [] : await repliesTo(person, roomId, undefined, 1000);
    c.observed = reminded
      ? { outcome: 'allowed', key: 'reminder in the jury room', replies }
      : { ...classify(c.room, c.command, replies), replies };
  }
}

describe('the authorisation matrix', () => {
  it('allows and refuses every command of every role in every room exactly as designed', async () => {
    const logsFrom = bot.logs.length;
    const started = Date.now();
    const others = ROLES.filter((r) => r !== 'organiser');
    const all: Case[] = [];
    const problems: string[] = [];
    const organiserCases = casesFor('organisers', ['organiser']);
    const jury = ROLES.map((role) => casesFor('jury', [role]));
    const ballot = ROLES.map((role) => casesFor('ballot', [role]));
    const dm = ROLES.map((role) => casesFor('dm', [role]));
    const members: Role[] = ['candidate', 'coEditor', 'stranger'];
    const outsiders: Role[] = ['juror', 'recused', 'organiser'];
    const together = [
      casesFor('candidacy', members),
      casesFor('candidacy', outsiders),
      casesFor('lobby', ROLES),
      casesFor('organisers', others),
    ];
    all.push(...together.flat(), ...organiserCases, ...jury.flat(), ...ballot.flat(), ...dm.flat());
    // In the organisers' room everyone types at once: the others' replies are all refusals,
    // the organiser's never are.
    const notAllowed = pattern('organisers', 'notAllowed');
    const collect = (p: string[]) => problems.push(...p);

    await Promise.all([
      runTogether('candidacy', rooms.candidacy.candidate ?? '', together[0] ?? []).then(collect),
      runTogether('candidacy', rooms.candidacy.juror ?? '', together[1] ?? []).then(collect),
      runTogether('lobby', rooms.lobby.candidate ?? '', together[2] ?? []).then(collect),
      runTogether('organisers', rooms.organisers.candidate ?? '', together[3] ?? [], (b) =>
        notAllowed.test(b),
      ).then(collect),
      runAlone('organisers', 'organiser', organiserCases, false, (b) => !notAllowed.test(b)),
      ...ROLES.map((role, i) => runAlone('jury', role, jury[i] ?? [], true)),
      ...ROLES.map((role, i) => runAlone('ballot', role, ballot[i] ?? [], true)),
      ...ROLES.map((role, i) => runAlone('dm', role, dm[i] ?? [], false)),
    ]);
    await remindJurors(all);
    const seconds = (Date.now() - started) / 1000;
    console.log(`authorisation: ${all.length} cases in ${seconds.toFixed(1)} s`);

    if (process.env.TNL_WRITE_AUTHORIZATION_DOC === '1') {
      const options = (await prettier.resolveConfig(DOC)) ?? {};
      const table = await prettier.format(renderTable(all, seconds), { ...options, parser: 'markdown' });
      // The second table (what each role sees of the votes) is jury-visibility.test.ts's: kept.
      const current = readFileSync(DOC, 'utf8');
      const visibility = current.includes(VISIBILITY_START)
        ? current.slice(current.indexOf(VISIBILITY_START))
        : '';
      writeFileSync(DOC, visibility ? `${table.trimEnd()}\n\n${visibility}` : table);
    }

    const wrong = all
      .filter((c) => c.observed?.outcome !== c.expected.outcome)
      .map(
        (c) =>
          `${c.room} / ${c.role} / ${JSON.stringify(c.command.text.split('\n')[0])}: expected ${c.expected.outcome}` +
          `${c.expected.because ? ` (${c.expected.because})` : ''}, got ${c.observed?.outcome ?? 'nothing'}` +
          `${c.observed?.key ? ` [${c.observed.key}]` : ''} ${JSON.stringify(c.observed?.replies[0]?.slice(0, 140) ?? '')}`,
      );
    expect([...problems, ...wrong]).toEqual([]);

    await expectAlive(bot);
    const errors = errorLines(bot, logsFrom);
    expect(errors, describeLines(errors)).toEqual([]);
  }, 300_000);
});
