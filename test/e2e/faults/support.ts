// Shared tools of the fault-injection tests: restarting services of the stack, sending
// the way a real client does during an outage (the same transaction id until the
// homeserver acknowledges), and reading what the bot said from the room history.
//
// TNL_FAULTS_STACK_DIR: the clone whose `scripts/stack.sh` state runs the stack the tests
// use (default: this one). Lets a developer run these tests against a private stack
// (another directory with other TNL_STACK_*_PORT values) without disturbing others.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BotProcess, LogLine } from '../bot-process.ts';
import {
  askedNumber,
  nextFromBot,
  openCandidacy,
  questionAsked,
  validAnswer,
  type Conversation,
} from '../candidate.ts';
import { pollUntil, Stopwatch } from '../patience.ts';
import {
  MatrixHttpError,
  Person,
  WaitTimeoutError,
  type MatrixEvent,
  type ReceivedMessage,
} from '../people.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function stackScript(): string {
  return join(process.env.TNL_FAULTS_STACK_DIR ?? ROOT, 'scripts', 'stack.sh');
}

/**
 * Stops a service of the stack (data kept), keeps it down `downSeconds`, starts it again;
 * resolves once it answers. `onDown` runs once the service is really gone.
 */
export async function restartService(
  service: 'db' | 'synapse',
  downSeconds: number,
  onDown?: () => Promise<void>,
): Promise<void> {
  const restart = run('bash', [stackScript(), `restart-${service}`, String(downSeconds)], {
    timeout: 120_000,
  });
  if (onDown) {
    const port =
      service === 'db' ? portOf(process.env.TNL_MONGODB_URI) : portOf(process.env.TNL_HOMESERVER_URL);
    await waitUntil(async () => !(await portOpen(port)), 30_000, `${service} to stop`);
    await onDown();
  }
  await restart;
}

function portOf(url: string | undefined): number {
  if (!url) throw new Error('the stack environment is not set: run the tests through vitest');
  return Number(new URL(url).port);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Checks every `intervalMs` until `check` holds; fails once `timeoutMs` passed with no sign
 * of progress (see patience.ts).
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<void> {
  await pollUntil(check, (held) => held, { idleMs: timeoutMs, what, intervalMs });
}

/**
 * Sends an event the way a Matrix client does: one transaction id, re-sent until the
 * homeserver acknowledges it (so an outage never doubles the event). Returns its id. Gives
 * up once `timeoutMs` passed with no sign of progress (see patience.ts).
 */
export async function sendReliably(
  person: Person,
  roomId: string,
  content: Record<string, unknown>,
  options: { type?: string; timeoutMs?: number } = {},
): Promise<string> {
  const type = options.type ?? 'm.room.message';
  const txn = `fault-${randomBytes(8).toString('hex')}`;
  const path = `/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${txn}`;
  const watch = new Stopwatch({ idleMs: options.timeoutMs ?? 60_000 });
  for (;;) {
    try {
      const reply = (await person.request('PUT', path, content)) as { event_id?: unknown };
      if (typeof reply.event_id !== 'string') throw new Error(`send ${type}: no event_id`);
      return reply.event_id;
    } catch (error) {
      const permanent =
        error instanceof MatrixHttpError && error.status < 500 && error.errcode !== 'M_LIMIT_EXCEEDED';
      if (permanent || watch.left() <= 0) throw error;
      await sleep(300);
    }
  }
}

/** A plain text message, sent reliably. */
export function sendTextReliably(person: Person, roomId: string, body: string): Promise<string> {
  return sendReliably(person, roomId, { msgtype: 'm.text', body });
}

/** Every event of a room, oldest first, read from the server (paginating back to the start). */
export async function history(person: Person, roomId: string): Promise<MatrixEvent[]> {
  const events: MatrixEvent[] = [];
  let from: string | undefined;
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ dir: 'b', limit: '500' });
    if (from) query.set('from', from);
    const reply = (await person.request(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/messages?${query.toString()}`,
    )) as { chunk?: MatrixEvent[]; end?: string };
    const chunk = reply.chunk ?? [];
    events.push(...chunk);
    if (!reply.end || chunk.length === 0) break;
    from = reply.end;
  }
  return events.reverse();
}

/** The bot's text messages in a room, oldest first. */
export async function botMessages(person: Person, bot: BotProcess, roomId: string): Promise<MatrixEvent[]> {
  return (await history(person, roomId)).filter(
    (event) => event.sender === bot.userId && event.type === 'm.room.message',
  );
}

/** "Q12/48" in a body: the question it asks. */
export function questionNumberIn(body: unknown): number | undefined {
  const match = typeof body === 'string' ? /\bQ(\d+)\s*\/\s*\d+/.exec(body) : null;
  return match ? Number(match[1]) : undefined;
}

/** Log lines of the bot at level error or fatal. */
export function errorLines(bot: BotProcess, from = 0): LogLine[] {
  return bot.logs.slice(from).filter((line) => line.level === 'error' || line.level === 'fatal');
}

/** A short dump of log lines for an assertion message. */
export function describeLines(lines: readonly LogLine[], max = 10): string {
  return lines
    .slice(0, max)
    .map((line) => JSON.stringify(line).slice(0, 800))
    .join('\n');
}

export const NOT_SAVED = /n'a pas pu être enregistré|could not be saved/;

export interface Turn {
  /** The question number asked when the answer was sent. */
  question: number;
  /** The answer event. */
  eventId: string;
  /** Undefined when no reply came in time. */
  reply: ReceivedMessage | undefined;
  /** `next`: the bot asked the following question, i.e. it acknowledged the answer. */
  outcome: 'next' | 'notSaved' | 'other' | 'noReply';
}

/** A candidate answering the badge questionnaire's first, non-list questions, turn by turn. */
export class Candidate {
  readonly person: Person;
  readonly conversation: Conversation;
  readonly turns: Turn[] = [];
  private readonly bot: BotProcess;
  private readonly seed: string;

  constructor(person: Person, bot: BotProcess, conversation: Conversation) {
    this.person = person;
    this.bot = bot;
    this.conversation = conversation;
    this.seed = person.userId.slice(1).split(':')[0] ?? 'x';
  }

  static async open(prefix: string, bot: BotProcess): Promise<Candidate> {
    const person = await Person.register(prefix);
    return new Candidate(person, bot, await openCandidacy(person, bot));
  }

  get roomId(): string {
    return this.conversation.roomId;
  }

  /** The question the bot asks now (from its last message). */
  get current(): number {
    const number = askedNumber(this.conversation.last);
    if (number === undefined) throw new Error(`no question asked:\n${this.conversation.last.body}`);
    return number;
  }

  /** Answers the current question and reads the bot's reply (waiting through outages). */
  async answer(replyTimeoutMs = 60_000): Promise<Turn> {
    const number = this.current;
    const question = questionAsked(this.conversation.questionnaire, this.conversation.last);
    if (!question || question.type === 'list') throw new Error(`Q${number} is not a simple question`);
    const eventId = await sendTextReliably(this.person, this.roomId, validAnswer(question, this.seed));
    const reply = await nextFromBot(this.person, this.bot, this.roomId, undefined, replyTimeoutMs).catch(
      (error: unknown) => {
        if (error instanceof WaitTimeoutError) return undefined;
        throw error;
      },
    );
    const asked = reply ? askedNumber(reply) : undefined;
    const outcome = !reply
      ? 'noReply'
      : NOT_SAVED.test(reply.body)
        ? 'notSaved'
        : asked !== undefined && asked > number
          ? 'next'
          : 'other';
    if (reply && outcome === 'next') this.conversation.last = reply;
    const turn: Turn = { question: number, eventId, reply, outcome };
    this.turns.push(turn);
    return turn;
  }

  /** Answers until `count` answers were acknowledged, sending again what was not saved. */
  async answerAcknowledged(count: number, thinkMs = 0, replyTimeoutMs = 60_000): Promise<void> {
    let acknowledged = 0;
    while (acknowledged < count) {
      if (thinkMs > 0) await sleep(Math.random() * thinkMs);
      const turn = await this.answer(replyTimeoutMs);
      if (turn.outcome === 'next') acknowledged++;
      else if (turn.outcome !== 'notSaved')
        throw new Error(
          `${turn.outcome === 'noReply' ? 'no reply' : 'unexpected reply'} to an answer to Q${turn.question}` +
            (turn.reply ? `:\n${turn.reply.body}` : ''),
        );
    }
  }

  acknowledged(): Turn[] {
    return this.turns.filter((turn) => turn.outcome === 'next');
  }
}

/** Fails with the bot's stderr when its process no longer answers on its health port. */
export async function expectAlive(bot: BotProcess): Promise<void> {
  const status = await bot.health('/healthz').then(
    (reply) => reply.status,
    (error: unknown) => String(error),
  );
  if (status !== 200) {
    const stderr = bot.stderr.join('').slice(-3000);
    throw new Error(`the bot process is gone (health: ${status}).\nIts stderr:\n${stderr}`);
  }
}
