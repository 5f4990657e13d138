/**
 * The candidacy conversation, as the bot and storage use it: pure functions, no I/O.
 *
 *   const questionnaire = loadQuestionnaireById('tnl-2026');          // flows/questionnaire.ts
 *   const campaign = { closesAt: new Date('2026-10-15T21:59:59Z'), timeZone: 'Europe/Paris' };
 *
 *   // A new candidacy (optionally from last year's answers, by question id):
 *   let r = start({ questionnaire, campaign, startedBy: '@lea:example.org', now, lastYear });
 *   // Every later event, with the snapshot read from storage:
 *   r = step({ questionnaire, campaign, snapshot: r.snapshot, now,
 *              event: { type: 'text', text: '!recap', sender: '@lea:example.org', at: serverTs } });
 *
 * A StepResult holds:
 * - `snapshot`: PersistedConversation, plain JSON ({machineVersion, questionnaireId, state}); store
 *   it as an opaque value next to the candidacy. It alone restores the conversation exactly (the
 *   question being asked, list entries typed so far, a pending confirmation, where `!edit` returns).
 * - `effects`: what changed, for storage and its audit trail, in order: answerSet / answerCleared
 *   (with the previous value, who and when; `reason: 'notApplicable'` when a changed answer made a
 *   question irrelevant), status (draft -> submitted -> under_review -> decided, or withdrawn),
 *   language (a person's chosen language), paused / resumed.
 * - `replies`: intents to render with bot/render/candidacy.ts `renderReplies(replies, lang, questionnaire)`.
 *   After a `languageChanged` reply, render in the new language.
 * - `accepted`: true when the snapshot changed or there are effects. Then save snapshot + effects
 *   (one atomic write) BEFORE sending the replies; when false nothing needs saving (invalid answer,
 *   summary, help...) but the replies are still sent.
 * - `view`: the state, status and question being asked, for the bot (reaction keys, room name).
 *
 * Events (`ConversationEvent`): `text` is any message from a person (answers and `!commands`, parsed
 * by flows/commands.ts); `replace` / `redacted` come from editing or redacting an earlier answer
 * message (the bot knows which question it answered from the answerSet effect it stored); `close`
 * (a scheduler at the closing time) and `decide` (the jury's level) come from the system. Pass the
 * message's server timestamp as `at` when there is one: it decides against the deadline (after
 * `campaign.closesAt` every change is refused with the closing date, and a submitted dossier moves
 * to under_review). Reactions and poll votes are `quick` events: the text they stand for ("oui",
 * "epci", "csv, json") and the question they answer; they count only while that question is
 * asked, otherwise the reply says it already has an answer and how to change it.
 *
 * Every side reply (summary, progress, help, a refusal, an error) ends with a `current` intent,
 * the question being asked in one line (`reminderOf(view)` gives it for the bot's own refusals).
 *
 * Throws SnapshotError when a stored snapshot cannot be restored (other machine version, other
 * questionnaire, corrupt JSON); never throws for anything a person types.
 *
 * Also useful elsewhere: `inspect(...)` (the view of a stored conversation without an event),
 * `identityOf(questionnaire, answers)` in navigation.ts (collectivité name, kind, code... by role),
 * `valueSchema(question)` in answers.ts (zod schema of a stored answer, for storage's read checks),
 * `COMMANDS_BY_STATE` in candidacy-machine.ts, and `renderReplies` / `formatAnswer` in
 * bot/render/candidacy.ts.
 */
import { initialTransition, transition } from 'xstate';
import { z } from 'zod';
import type { AnswerValue } from './answers.ts';
import {
  createCandidacyMachine,
  MACHINE_VERSION,
  STATES,
  type Campaign,
  type CandidacyMachine,
  type ConversationContext,
  type Emitted,
  type MachineEvent,
  type StateName,
} from './candidacy-machine.ts';
import { parseInput } from './commands.ts';
import type { CandidacyStatus, Effect, ReplyIntent } from './intents.ts';
import { nextOpen } from './navigation.ts';
import type { Questionnaire } from './questionnaire.ts';

export { MACHINE_VERSION, type Campaign, type ConversationContext, type StateName };

export interface PersistedConversation {
  readonly machineVersion: number;
  readonly questionnaireId: string;
  /** XState's persisted snapshot: JSON, opaque to callers. */
  readonly state: unknown;
}

export type ConversationEvent =
  | { type: 'text'; text: string; sender: string; at?: Date }
  | { type: 'replace'; questionId: string; text: string; sender: string; at?: Date }
  | { type: 'redacted'; questionId: string; sender: string; at?: Date }
  /** A quick reply (poll vote, reaction) to the question `questionId`, as the text it stands for. */
  | { type: 'quick'; questionId: string; text: string; sender: string; at?: Date }
  | { type: 'close'; at?: Date }
  | { type: 'decide'; level: string; sender?: string; at?: Date };

export interface ConversationView {
  readonly state: StateName;
  readonly status: CandidacyStatus;
  /** The question being asked, if any (for reaction keys or polls). */
  readonly questionId: string | null;
  readonly answers: ConversationContext['answers'];
}

export interface StepResult {
  readonly snapshot: PersistedConversation;
  readonly replies: ReplyIntent[];
  readonly effects: Effect[];
  readonly accepted: boolean;
  readonly view: ConversationView;
}

export interface StartInput {
  readonly questionnaire: Questionnaire;
  readonly campaign: Campaign;
  /** Who started the candidacy (Matrix user id). */
  readonly startedBy: string;
  readonly now: Date;
  /** Renewal: last year's answers by question id (values as stored). */
  readonly lastYear?: Readonly<Record<string, AnswerValue>>;
}

export interface StepInput {
  readonly questionnaire: Questionnaire;
  readonly campaign: Campaign;
  readonly snapshot: PersistedConversation;
  readonly event: ConversationEvent;
  readonly now: Date;
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

const machines = new WeakMap<Questionnaire, Map<string, CandidacyMachine>>();

/** One machine per questionnaire and deadline, reused across candidacies. */
export function machineFor(questionnaire: Questionnaire, campaign: Campaign): CandidacyMachine {
  let byCampaign = machines.get(questionnaire);
  if (!byCampaign) machines.set(questionnaire, (byCampaign = new Map()));
  const key = `${campaign.closesAt.toISOString()}|${campaign.timeZone ?? ''}|${campaign.earlyFinal === true}`;
  let machine = byCampaign.get(key);
  if (!machine) byCampaign.set(key, (machine = createCandidacyMachine(questionnaire, campaign)));
  return machine;
}

type Snapshot = ReturnType<CandidacyMachine['resolveState']>;

function collect(actions: ReadonlyArray<{ type: string; params?: unknown }>) {
  const replies: ReplyIntent[] = [];
  const effects: Effect[] = [];
  for (const action of actions) {
    if (action.type !== 'xstate.emit') continue;
    const emitted = (action.params as { event: Emitted }).event;
    if (emitted.type === 'reply') replies.push(emitted.intent);
    else effects.push(emitted.effect);
  }
  return { replies, effects };
}

function persist(
  machine: CandidacyMachine,
  snapshot: Snapshot,
  questionnaire: Questionnaire,
): PersistedConversation {
  // A JSON round trip makes sure storage gets plain data, exactly what it will give back.
  const state = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot))) as unknown;
  return { machineVersion: MACHINE_VERSION, questionnaireId: questionnaire.id, state };
}

function viewOf(snapshot: Snapshot): ConversationView {
  return {
    state: snapshot.value as StateName,
    status: snapshot.context.status,
    questionId: snapshot.value === 'filling' ? snapshot.context.cursor : null,
    answers: snapshot.context.answers,
  };
}

export function start(input: StartInput): StepResult {
  const machine = machineFor(input.questionnaire, input.campaign);
  const [snapshot, actions] = initialTransition(machine, {
    startedBy: input.startedBy,
    at: input.now.toISOString(),
    ...(input.lastYear ? { lastYear: input.lastYear } : {}),
  });
  const { replies, effects } = collect(actions);
  return {
    snapshot: persist(machine, snapshot, input.questionnaire),
    replies,
    effects,
    accepted: true,
    view: viewOf(snapshot),
  };
}

/** Turns a caller's event into a machine event, or replies straight away (unknown command...). */
export function toMachineEvent(
  event: Exclude<ConversationEvent, { type: 'quick' }>,
  now: Date,
): MachineEvent | ReplyIntent {
  const at = (event.at ?? now).toISOString();
  switch (event.type) {
    case 'replace':
      return { type: 'replace', questionId: event.questionId, text: event.text, sender: event.sender, at };
    case 'redacted':
      return { type: 'redacted', questionId: event.questionId, sender: event.sender, at };
    case 'close':
      return { type: 'close', sender: 'system', at };
    case 'decide':
      return { type: 'decide', level: event.level, sender: event.sender ?? 'system', at };
    case 'text':
      break;
  }
  const base = { sender: event.sender, at };
  const parsed = parseInput(event.text);
  switch (parsed.kind) {
    case 'answer':
      return { type: 'answer', text: parsed.text, ...base };
    case 'unknownCommand':
      return { kind: 'unknownCommand', command: parsed.word };
    case 'missingArgument':
      return { kind: 'missingArgument', command: parsed.name };
    case 'command':
      break;
  }
  const { name, arg } = parsed;
  switch (name) {
    case 'edit':
      return { type: 'edit', target: arg ?? '', ...base };
    case 'help':
    case 'clear':
      return arg === undefined ? { type: name, ...base } : { type: name, target: arg, ...base };
    case 'language':
      return arg === undefined ? { type: 'language', ...base } : { type: 'language', lang: arg, ...base };
    default:
      return { type: name, ...base };
  }
}

/** Replies that keep a list going: the question is just above, no need to repeat it. */
const LIST_PROGRESS: ReadonlySet<string> = new Set(['listItemsAdded', 'listItemRemoved', 'listCleared']);

/** The one-line reminder of the question being asked, if one is. */
export function reminderOf(view: ConversationView, questionnaire: Questionnaire): ReplyIntent | undefined {
  const q = view.state === 'filling' && view.questionId ? questionnaire.byId.get(view.questionId) : undefined;
  return q ? { kind: 'current', questionId: q.id, number: q.number } : undefined;
}

/** Every side reply (help, summary, a refusal, an error) ends with the question being asked. */
function withReminder(replies: ReplyIntent[], view: ConversationView, questionnaire: Questionnaire) {
  const last = replies[replies.length - 1];
  if (!last || LIST_PROGRESS.has(last.kind) || replies.some((r) => r.kind === 'ask')) return replies;
  const reminder = reminderOf(view, questionnaire);
  return reminder ? [...replies, reminder] : replies;
}

/** A quick reply to a question no longer asked: it changes nothing, and says how to change that answer. */
function lateQuickReply(
  input: StepInput,
  event: Extract<ConversationEvent, { type: 'quick' }>,
  view: ConversationView,
): StepResult {
  const q = input.questionnaire.byId.get(event.questionId);
  const current = view.answers[event.questionId];
  const replies: ReplyIntent[] = q
    ? [
        {
          kind: 'lateQuickReply',
          questionId: q.id,
          number: q.number,
          ...(current ? { value: current.value } : {}),
        },
      ]
    : [];
  return {
    snapshot: input.snapshot,
    replies: withReminder(replies, view, input.questionnaire),
    effects: [],
    accepted: false,
    view,
  };
}

export function step(input: StepInput): StepResult {
  const machine = machineFor(input.questionnaire, input.campaign);
  const before = restore(machine, input.questionnaire, input.snapshot);
  let given = input.event;
  if (given.type === 'quick') {
    // A vote or reaction counts only while its question is the one being asked (paused, it
    // gets the pause's answer); never as the "yes" of a pending confirmation.
    const asked =
      (before.value === 'filling' || before.value === 'paused') && before.context.cursor === given.questionId;
    if (!asked) return lateQuickReply(input, given, viewOf(before));
    given = { type: 'text', text: given.text, sender: given.sender, ...(given.at ? { at: given.at } : {}) };
  }
  const event = toMachineEvent(given, input.now);
  if ('kind' in event) {
    const view = viewOf(before);
    const replies = withReminder([event], view, input.questionnaire);
    return { snapshot: input.snapshot, replies, effects: [], accepted: false, view };
  }
  const [after, actions] = transition(machine, before, event);
  const collected = collect(actions);
  const effects = collected.effects;
  const replies = withReminder(collected.replies, viewOf(after), input.questionnaire);
  const snapshot = persist(machine, after, input.questionnaire);
  const accepted =
    effects.length > 0 || JSON.stringify(snapshot.state) !== JSON.stringify(input.snapshot.state);
  return { snapshot: accepted ? snapshot : input.snapshot, replies, effects, accepted, view: viewOf(after) };
}

/** Read-only view of a stored conversation (no event). */
export function inspect(input: {
  questionnaire: Questionnaire;
  campaign: Campaign;
  snapshot: PersistedConversation;
}): ConversationView {
  return viewOf(
    restore(machineFor(input.questionnaire, input.campaign), input.questionnaire, input.snapshot),
  );
}

const answerValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
const RESTING: readonly string[] = STATES.filter(
  (s) => s !== 'starting' && s !== 'routing' && s !== 'closing',
);
const contextSchema = z.object({
  questionnaireId: z.string(),
  questionnaireVersion: z.number(),
  status: z.enum(['draft', 'submitted', 'under_review', 'decided', 'withdrawn']),
  answers: z.record(
    z.string(),
    z.object({ value: answerValue, by: z.string(), at: z.string(), itemsBy: z.array(z.string()).optional() }),
  ),
  skipped: z.array(z.string()),
  lastYear: z.record(z.string(), answerValue),
  cursor: z.string().nullable(),
  returnTo: z.string().nullable(),
  drafts: z.record(z.string(), z.array(z.string())),
  // Absent from snapshots saved before entries kept their authors.
  draftBy: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  pending: z
    .object({ about: z.enum(['submit', 'withdraw', 'clear', 'final']), questionId: z.string().optional() })
    .nullable(),
  lastSection: z.string().nullable(),
  startedBy: z.string(),
  startedAt: z.string(),
  submittedAt: z.string().nullable(),
  level: z.string().nullable(),
});
const stateSchema = z.object({
  value: z.string().refine((v) => RESTING.includes(v), { error: 'not a resting state of the conversation' }),
  context: contextSchema,
});

function restore(
  machine: CandidacyMachine,
  questionnaire: Questionnaire,
  persisted: PersistedConversation,
): Snapshot {
  if (persisted.machineVersion !== MACHINE_VERSION)
    throw new SnapshotError(
      `conversation snapshot of machine version ${persisted.machineVersion}, this code runs version ${MACHINE_VERSION}`,
    );
  if (persisted.questionnaireId !== questionnaire.id)
    throw new SnapshotError(
      `conversation snapshot of questionnaire ${persisted.questionnaireId}, given ${questionnaire.id}`,
    );
  const parsed = stateSchema.safeParse(persisted.state);
  if (!parsed.success)
    throw new SnapshotError(
      `corrupt conversation snapshot: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  let { value } = parsed.data;
  const context = parsed.data.context as ConversationContext;
  if (context.questionnaireVersion !== questionnaire.version) {
    // The questionnaire file changed under a running candidacy: keep the answers, and make
    // sure the conversation points at questions that still exist.
    context.questionnaireVersion = questionnaire.version;
    if (context.returnTo !== null && !questionnaire.byId.has(context.returnTo)) context.returnTo = null;
    if (context.cursor !== null && !questionnaire.byId.has(context.cursor)) {
      context.cursor = nextOpen(questionnaire, context, null)?.id ?? null;
      if (context.cursor === null && value === 'filling')
        value = context.status === 'submitted' ? 'submitted' : 'review';
    }
  }
  if (value === 'filling' && (context.cursor === null || !questionnaire.byId.has(context.cursor)))
    throw new SnapshotError('corrupt conversation snapshot: asking a question that does not exist');
  return machine.resolveState({ value, context });
}
