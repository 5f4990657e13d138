// More than 2,000 generated hostile messages and events, sent from several clients at once
// to candidacy rooms (by members and by a stranger), the lobby, direct chats, the jury room
// and the organisers' room. The bot never crashes or fails on one, never sends HTML outside
// the allowed tag set, never shows input markup as live markup, never shows what only a
// formatted_body said, and answers exactly once every message that expects an answer (and
// none that does not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardHtml } from '../../../bot/html-guard.ts';
import type { Storage } from '../../../storage/storage.ts';
import { BotProcess } from '../bot-process.ts';
import { pollUntil, settle } from '../patience.ts';
import { nextFromBot, openCandidacy, seedOpenCampaign, storageFor, storedRoom } from '../candidate.ts';
import { MatrixHttpError, Person, registerUser, stopAllPeople, type MatrixEvent } from '../people.ts';
import { htmlProblems } from './html-check.ts';
import { generate, randomSource, type Action, type RoomMemory, type StreamKind } from './hostile-inputs.ts';
import { describeLines, errorLines, expectAlive, history } from './support.ts';
import { endBotRun } from '../teardown.ts';

// Many rooms, each with a short stream: the bot handles a room's events one at a time, so
// the length of the longest stream, not the total, sets the test's duration.
const PER_STREAM = Number(process.env.TNL_FAULTS_PER_STREAM ?? 105);
const CANDIDACY_ROOMS = 12;
const DIRECT_CHATS = 6;
/** Co-editors and strangers, each in several candidacy rooms (fewer accounts to register). */
const HELPERS = 4;
const MAX_MESSAGE_LENGTH = 20_000; // the bot's default bot.maxMessageLength
const SEED = Number(process.env.TNL_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEdit(content: Record<string, unknown>): boolean {
  const relation = content['m.relates_to'];
  return isRecord(relation) && relation.rel_type === 'm.replace';
}

/**
 * Whether the design says the bot answers this event (bot/router.ts and the room handlers):
 * - candidacy room: every text, edit, file or over-long message of a member; every text or
 *   edit of a stranger (a refusal);
 * - lobby: only commands; direct chat: every message;
 * - jury room: commands (`!word`) typed as text, by anyone (members get an answer, others a
 *   refusal); organisers' room: commands (`!` then a letter), by anyone, likewise;
 * - never a reaction, a redaction, an unknown event type, a notice (another bot), an edit
 *   without a target or new text, nor (jury, organisers) an edit of a command.
 */
export function expectsReplyTo(kind: StreamKind, action: Action): boolean {
  if (action.type !== 'm.room.message') return false;
  const content = action.content;
  if (content.msgtype === 'm.notice') return false;
  const body = typeof content.body === 'string' ? content.body : '';
  switch (kind) {
    case 'dm':
      return true;
    case 'lobby':
      return body.trim().startsWith('!');
    case 'jury':
      return content.msgtype === 'm.text' && !isEdit(content) && /^!\S/.test(body.trim());
    case 'organisers':
      return content.msgtype === 'm.text' && !isEdit(content) && /^\s*!\p{L}/u.test(body);
    case 'candidacy':
      break;
  }
  if (isEdit(content)) {
    const relation = content['m.relates_to'] as Record<string, unknown>;
    const replacement = content['m.new_content'];
    const text = isRecord(replacement) ? replacement.body : undefined;
    if (typeof relation.event_id !== 'string' || typeof text !== 'string') return false;
    return action.role === 'member' || text.length <= MAX_MESSAGE_LENGTH;
  }
  if (action.role === 'member') return true;
  const textual = content.msgtype === 'm.text' || content.msgtype === 'm.emote';
  return textual && body.length <= MAX_MESSAGE_LENGTH;
}

/** For replies that say what they refuse: what that reply must say (French or English). */
function expectedReplyText(kind: StreamKind, action: Action): RegExp | undefined {
  const content = action.content;
  if (kind === 'jury' && action.role === 'stranger')
    return /Seuls les membres du jury et les organisateurs|Only jury members and organisers/;
  if (kind === 'organisers' && action.role === 'stranger')
    return /Seules les personnes organisatrices|Only the configured organisers/;
  if (kind !== 'candidacy') return undefined;
  if (action.role === 'stranger') return /ne faites pas partie|not part of this candidacy/;
  const replacement = content['m.new_content'];
  const body = isEdit(content) && isRecord(replacement) ? replacement.body : content.body;
  if (typeof body === 'string' && body.length > MAX_MESSAGE_LENGTH) return /trop long|too long/;
  if (!isEdit(content) && content.msgtype !== 'm.text' && content.msgtype !== 'm.emote')
    return /Je ne lis que du texte|I only read text/;
  return undefined;
}

interface Stream {
  kind: StreamKind;
  roomId: string;
  members: Person[];
  /** Someone in the room who is not part of what it is for (candidacy, jury, organisers). */
  stranger?: Person;
  memory: RoomMemory;
}

interface Sent {
  action: Action;
  eventId: string;
  expectsReply: boolean;
}

interface StreamResult {
  stream: Stream;
  sent: Sent[];
  refused: Array<{ category: string; status: number; errcode?: string | undefined }>;
}

let bot: BotProcess;
let storage: Storage;
const streams: Stream[] = [];

async function send(person: Person, roomId: string, action: Action): Promise<string> {
  if (action.redacts) return person.redact(roomId, action.redacts.eventId, action.content.reason as string);
  return person.sendEvent(roomId, action.type, action.content);
}

async function botEvents(stream: Stream): Promise<MatrixEvent[]> {
  return (await history(stream.members[0] as Person, stream.roomId)).filter(
    (event) => event.sender === bot.userId && event.type === 'm.room.message',
  );
}

/** The bot's latest messages in a room (targets for edits and reactions). */
async function recentBotMessages(stream: Stream): Promise<string[]> {
  const events = await (stream.members[0] as Person).messages(stream.roomId, { limit: 20 });
  return events.filter((e) => e.sender === bot.userId && e.type === 'm.room.message').map((e) => e.event_id);
}

/**
 * Sends one room's events without waiting for replies: the bot handles a room's events one
 * at a time, in timeline order, and replies before the next, so its n-th new message in the
 * room answers the n-th event (in timeline order) that expects a reply (checked at the end,
 * from the room's history).
 */
async function runStream(stream: Stream, count: number, random: () => number): Promise<StreamResult> {
  const result: StreamResult = { stream, sent: [], refused: [] };
  const people = [...stream.members, ...(stream.stranger ? [stream.stranger] : [])];
  let next = 0;
  // A few sends in flight per room: the homeserver's latency, not its capacity, would set the pace.
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      if (i % 30 === 0) stream.memory.botMessages = await recentBotMessages(stream);
      const stranger = stream.stranger && random() < 0.15;
      let sender =
        stranger && stream.stranger
          ? stream.stranger
          : (stream.members[Math.floor(random() * stream.members.length)] as Person);
      const action = generate(stream.kind, stranger ? 'stranger' : 'member', random, stream.memory);
      // Only its author may redact a reaction.
      const author = people.find((p) => p.userId === action.redacts?.by);
      if (author) sender = author;
      action.role = sender === stream.stranger ? 'stranger' : 'member';
      let eventId: string;
      try {
        eventId = await send(sender, stream.roomId, action);
      } catch (error) {
        // The homeserver itself refuses some of it (lone surrogates, bodies that are not text,
        // relations to unknown events): those never reach the bot.
        if (!(error instanceof MatrixHttpError)) throw error;
        result.refused.push({ category: action.category, status: error.status, errcode: error.errcode });
        continue;
      }
      result.sent.push({ action, eventId, expectsReply: expectsReplyTo(stream.kind, action) });
      if (action.type === 'm.room.message' && action.role === 'member')
        stream.memory.ownMessages.push(eventId);
      if (action.type === 'm.reaction') stream.memory.ownReactions.push({ eventId, by: sender.userId });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return result;
}

beforeAll(async () => {
  const account = await registerUser('bot');
  const [host, juror, organiser] = await Promise.all(
    ['lobby-host', 'hostile-juror', 'hostile-organiser'].map((name) => Person.register(name)),
  );
  if (!host || !juror || !organiser) throw new Error('registration failed');
  const lobby = await host.createRoom({ preset: 'public_chat', name: 'Lobby', invite: [account.userId] });
  bot = await BotProcess.start({
    account,
    config: {
      rooms: { lobby },
      people: { jurors: [juror.userId], organisers: [organiser.userId] },
    },
  });
  storage = await storageFor(bot);
  await seedOpenCampaign(storage, { questionnaire: 'badge-2026' });
  const juryRoom = await storedRoom(storage, 'room:jury', 20_000);
  const organisersRoom = await storedRoom(storage, 'room:organisers', 20_000);
  for (const [person, roomId] of [
    [juror, juryRoom],
    [organiser, juryRoom],
    [organiser, organisersRoom],
  ] as const) {
    await person.acceptInvite({ roomId, timeoutMs: 20_000 });
  }
  await host.nextEvent(lobby, {
    type: 'm.room.member',
    predicate: (e) => e.state_key === bot.userId && e.content.membership === 'join',
    timeoutMs: 20_000,
  });
  const memory = (): RoomMemory => ({ ownMessages: [], ownReactions: [], botMessages: [] });

  const helpers = await Promise.all(
    Array.from({ length: HELPERS }, (_, i) =>
      Promise.all(['coeditor', 'stranger'].map((role) => Person.register(`hostile-${role}-${i}`))),
    ),
  );
  const coEditors = helpers.map(([coEditor]) => coEditor as Person);
  await Promise.all(coEditors.map((coEditor) => coEditor.join(lobby)));
  const rooms = await Promise.all(
    Array.from({ length: CANDIDACY_ROOMS }, async (_, i) => {
      const lead = await Person.register(`hostile-lead-${i}`);
      const [coEditor, stranger] = helpers[i % HELPERS] as [Person, Person];
      const { dm, roomId } = await openCandidacy(lead, bot, 'badge-2026', 30_000);
      // Past the single-choice question, whose every re-ask adds a poll and five reactions:
      // the homeserver, not the bot, would set the pace of the test.
      await lead.sendText(roomId, `Commune hostile ${i}`);
      await nextFromBot(lead, bot, roomId, undefined, 30_000);
      await lead.sendText(roomId, '1');
      await nextFromBot(lead, bot, roomId, undefined, 30_000);
      await lead.sendText(roomId, `!inviter ${coEditor.userId}`);
      await nextFromBot(lead, bot, roomId, undefined, 30_000);
      await coEditor.acceptInvite({ roomId, timeoutMs: 30_000 });
      // The co-editor is welcomed with the question asked: that reply belongs to the set-up.
      await nextFromBot(lead, bot, roomId, (m) => /Bienvenue|Welcome/.test(m.body), 30_000);
      await lead.invite(roomId, stranger.userId);
      await stranger.join(roomId);
      return { lead, coEditor, stranger, roomId, dm };
    }),
  );
  const outsider = rooms[0]?.coEditor as Person;
  // People who joined by mistake: a candidate in the jury room, a juror in the organisers' room.
  await organiser.invite(juryRoom, outsider.userId);
  await outsider.join(juryRoom);
  await organiser.invite(organisersRoom, juror.userId);
  await juror.join(organisersRoom);

  for (const { lead, coEditor, stranger, roomId } of rooms)
    streams.push({ kind: 'candidacy', roomId, members: [lead, coEditor], stranger, memory: memory() });
  streams.push({ kind: 'lobby', roomId: lobby, members: coEditors, memory: memory() });
  for (const { lead, dm } of rooms.slice(0, DIRECT_CHATS))
    streams.push({ kind: 'dm', roomId: dm, members: [lead], memory: memory() });
  streams.push({
    kind: 'jury',
    roomId: juryRoom,
    members: [juror, organiser],
    stranger: outsider,
    memory: memory(),
  });
  streams.push({
    kind: 'organisers',
    roomId: organisersRoom,
    members: [organiser],
    stranger: juror,
    memory: memory(),
  });
  // Nobody follows /sync from here on: every event would wake every member's long-poll, and
  // the homeserver's time would go to that. Replies are read from the rooms' history.
  stopAllPeople();
});

afterAll(() => endBotRun(bot, storage, { maxProblems: 40 }));

describe('the HTML reader used below', () => {
  it('accepts what the guard lets through and flags what it must not', () => {
    expect(
      htmlProblems(guardHtml('<p>ok <b>gras</b> <a href="https://x.org/?a=1&b=2">lien</a><br></p>')),
    ).toEqual([]);
    expect(
      htmlProblems(
        guardHtml('<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:x">y</a>'),
      ),
    ).toEqual([]);
    expect(htmlProblems('<script>alert(1)</script>')).toContain('tag <script> is not allowed');
    expect(htmlProblems('<a href="javascript:alert(1)">x</a>')[0]).toMatch(/link scheme/);
    expect(htmlProblems('<b onclick="x()">x</b>')[0]).toMatch(/attribute onclick/);
    expect(htmlProblems('a < b')[0]).toMatch(/unreadable markup/);
  });
});

describe(`hostile input (seed ${SEED})`, () => {
  it('never crashes the bot, never leaks markup, and gets exactly the replies the design promises', async () => {
    const logsFrom = bot.logs.length;
    const before = new Map<string, number>();
    for (const stream of streams) before.set(stream.roomId, (await botEvents(stream)).length);
    const started = Date.now();
    const results = await Promise.all(
      streams.map((stream, i) => runStream(stream, PER_STREAM, randomSource(SEED + i))),
    );
    const sentIn = Date.now() - started;
    // The bot catches up: as many new messages in each room as events expecting a reply,
    // waiting as long as it makes progress (a loaded machine makes it slow, not wrong).
    const owed = (result: StreamResult) => result.sent.filter((s) => s.expectsReply).length;
    const counts = () =>
      Promise.all(
        results.map(async (r) => (await botEvents(r.stream)).length - (before.get(r.stream.roomId) ?? 0)),
      );
    await pollUntil(counts, (now) => now.every((n, i) => n >= owed(results[i] as StreamResult)), {
      idleMs: 20_000,
      what: 'the bot to answer everything',
      intervalMs: 2000,
    }).catch(() => undefined);
    const answeredIn = Date.now() - started;
    await settle(2000); // anything the bot still had to say about the last events

    const sent = results.flatMap((r) => r.sent);
    const refused = results.flatMap((r) => r.refused);
    const count = (keys: string[]) =>
      keys.reduce<Record<string, number>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});
    console.log(
      `hostile (seed ${SEED}): ${sent.length} events accepted by the homeserver, sent in ${sentIn} ms, ` +
        `all answered after ${answeredIn} ms; ${sent.filter((s) => s.expectsReply).length} expected a reply; ` +
        `refused by the homeserver: ${JSON.stringify(count(refused.map((r) => `${r.category} ${r.status}`)))}`,
    );
    console.log(`categories sent: ${JSON.stringify(count(sent.map((s) => s.action.category)))}`);
    expect(sent.length).toBeGreaterThanOrEqual(2000);

    // Alive, and no event made a handler fail.
    await expectAlive(bot);
    const errors = errorLines(bot, logsFrom);
    expect(errors, describeLines(errors)).toEqual([]);

    // Exactly one reply per event that expects one, none for the others. In timeline order,
    // the bot's n-th new message answers the n-th event expecting a reply; the replies that
    // say who or what they refuse confirm the pairing.
    const mismatches: string[] = [];
    const everything: Array<{ stream: Stream; event: MatrixEvent }> = [];
    for (const result of results) {
      const { stream } = result;
      const timeline = await history(stream.members[0] as Person, stream.roomId);
      const byId = new Map(result.sent.map((s) => [s.eventId, s]));
      const expecting = timeline.flatMap((e) => {
        const s = byId.get(e.event_id);
        return s?.expectsReply ? [s] : [];
      });
      const replies = timeline
        .filter((e) => e.sender === bot.userId && e.type === 'm.room.message')
        .slice(before.get(stream.roomId) ?? 0);
      for (const event of replies) everything.push({ stream, event });
      const where = `${stream.kind} ${stream.roomId}`;
      if (replies.length !== expecting.length)
        mismatches.push(
          `${where}: ${replies.length} bot messages for ${expecting.length} events expecting one`,
        );
      for (const [n, { action }] of expecting.entries()) {
        const body = String(replies[n]?.content.body ?? '');
        const wanted = expectedReplyText(stream.kind, action);
        if (wanted && !wanted.test(body))
          mismatches.push(
            `${where} #${n} ${action.category} (${action.role}): reply ${JSON.stringify(body.slice(0, 160))} does not match ${wanted}`,
          );
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);

    // Everything the bot wrote: notices, allowed HTML only, input markup never live, and
    // nothing that only a formatted_body said.
    const markers = sent.flatMap((s) => s.action.markers);
    const hidden = sent.flatMap((s) => s.action.hidden);
    const problems: string[] = [];
    for (const { stream, event } of everything) {
      const { body, formatted_body: html, msgtype, format } = event.content;
      const where = `${stream.kind} ${event.event_id}`;
      if (msgtype !== 'm.notice') problems.push(`${where}: msgtype ${String(msgtype)}`);
      if (!isRecord(event.content['m.mentions'])) problems.push(`${where}: no m.mentions`);
      if (typeof html === 'string') {
        if (format !== 'org.matrix.custom.html') problems.push(`${where}: formatted_body without format`);
        for (const problem of htmlProblems(html)) problems.push(`${where}: ${problem}`);
        for (const mark of markers) {
          if (new RegExp(`>\\s*${mark}`).test(html))
            problems.push(`${where}: input markup shown live around ${mark}`);
        }
      }
      const shown = `${String(body)}\n${String(html)}`;
      for (const token of hidden)
        if (shown.includes(token)) problems.push(`${where}: shows ${token}, said only in a formatted_body`);
    }
    expect(problems.slice(0, 30)).toEqual([]);

    // What only a formatted_body said was never stored either.
    for (const stream of streams.filter((s) => s.kind === 'candidacy')) {
      const candidacy = await storage.candidacies.findByRoom(stream.roomId);
      const stored = JSON.stringify(candidacy?.answers ?? {});
      for (const token of hidden) expect(stored).not.toContain(token);
    }
  });
});
