// The candidacy conversation as one XState v5 state machine per candidacy. It knows the
// questionnaire and the campaign's closing time (given when the machine is created, never
// stored), receives plain events and emits two kinds of events: `reply` (an intent to
// render) and `effect` (a change storage must record). Its context is plain JSON and is
// the whole truth about the conversation, so a persisted snapshot restores it exactly.
//
// States are flat on purpose (the state value is one string): starting -> [renewalOffer]
// -> filling <-> routing -> review -> confirming -> submitted -> (closing) -> underReview
// -> decided, with paused, closed (a draft at the deadline) and withdrawn on the side.
// `routing` and `closing` are transient: a snapshot never rests in them.
//
// Why this file is long: the whole conversation is one XState machine whose states, guards and
// steps must be read together; the pure helpers it uses are in answers.ts, navigation.ts and
// commands.ts.
import { setup } from 'xstate';
import {
  checkValue,
  isValidValue,
  parseAnswer,
  parseListItems,
  type AnswerRecord,
  type AnswerValue,
} from './answers.ts';
import type { CommandName } from './commands.ts';
import type {
  CandidacyStatus,
  ConfirmationAbout,
  Deadline,
  Effect,
  QuestionRef,
  ReplyIntent,
  SummarySection,
} from './intents.ts';
import {
  findQuestion,
  isOpen,
  isRelevant,
  missingRequired,
  nextOpen,
  previousRelevant,
  progressOf,
  prune,
} from './navigation.ts';
import type { Question, QuestionOf, Questionnaire } from './questionnaire.ts';
import { fold, foldWord } from './text.ts';

/** Bump when the context or the states change shape; conversation.ts refuses other versions. */
export const MACHINE_VERSION = 1;

export interface Campaign {
  readonly closesAt: Date;
  /** IANA time zone of the campaign; Europe/Paris by default. */
  readonly timeZone?: string;
  /**
   * The candidate may make a submitted dossier final before closing (`!definitif`): the
   * jury then votes on it at once and it can no longer change. Off by default.
   */
  readonly earlyFinal?: boolean;
}

export interface ConversationContext {
  questionnaireId: string;
  questionnaireVersion: number;
  status: CandidacyStatus;
  answers: Record<string, AnswerRecord>;
  /** Optional questions the candidate chose not to answer. */
  skipped: string[];
  /** Last year's answers still offered for reuse (renewal), by question id. */
  lastYear: Record<string, AnswerValue>;
  /** The question being asked (null at review or after submission). */
  cursor: string | null;
  /** Where to go back to after `!edit N` from the middle of the questionnaire. */
  returnTo: string | null;
  /** Entries of list questions typed but not yet finished with `!done`. */
  drafts: Record<string, string[]>;
  /** Who typed each entry of a list (question id -> folded entry -> user id), so that the
   *  person who types `!done` is not credited with everyone's entries. */
  draftBy: Record<string, Record<string, string>>;
  pending: { about: ConfirmationAbout; questionId?: string } | null;
  /** Section of the last question asked, to announce a new section once. */
  lastSection: string | null;
  startedBy: string;
  startedAt: string;
  submittedAt: string | null;
  level: string | null;
}

interface Base {
  /** Who sent it (Matrix user id); 'system' for the scheduler. */
  sender: string;
  /** When (ISO 8601): the message's server timestamp; decides against the deadline. */
  at: string;
}
export type MachineEvent =
  | ({ type: 'answer'; text: string } & Base)
  | ({ type: 'help'; target?: string } & Base)
  | ({ type: 'back' } & Base)
  | ({ type: 'skip' } & Base)
  | ({ type: 'edit'; target: string } & Base)
  | ({ type: 'summary' } & Base)
  | ({ type: 'progress' } & Base)
  | ({ type: 'language'; lang?: string } & Base)
  | ({ type: 'pause' } & Base)
  | ({ type: 'resume' } & Base)
  | ({ type: 'submit' } & Base)
  | ({ type: 'withdraw' } & Base)
  | ({ type: 'final' } & Base)
  | ({ type: 'yes' } & Base)
  | ({ type: 'no' } & Base)
  | ({ type: 'done' } & Base)
  | ({ type: 'clear'; target?: string } & Base)
  | ({ type: 'cancel' } & Base)
  /** An earlier answer message was edited (Matrix m.replace): its new text for that question. */
  | ({ type: 'replace'; questionId: string; text: string } & Base)
  /** An earlier answer message was redacted: offer to clear that answer. */
  | ({ type: 'redacted'; questionId: string } & Base)
  /** The campaign closed (sent by a scheduler; any late event also closes). */
  | ({ type: 'close' } & Base)
  /** The jury decided a level. */
  | ({ type: 'decide'; level: string } & Base);
export type MachineEventType = MachineEvent['type'];

export type Emitted = { type: 'reply'; intent: ReplyIntent } | { type: 'effect'; effect: Effect };

export interface MachineInput {
  startedBy: string;
  at: string;
  /** Last year's answers by question id (renewal); those not valid any more are ignored. */
  lastYear?: Readonly<Record<string, unknown>>;
}

export const STATES = [
  'starting',
  'renewalOffer',
  'filling',
  'routing',
  'review',
  'confirming',
  'submitted',
  'paused',
  'closing',
  'closed',
  'underReview',
  'decided',
  'withdrawn',
] as const;
export type StateName = (typeof STATES)[number];

/** Commands that apply in each resting state (shown by !help). */
export const COMMANDS_BY_STATE: Readonly<Record<StateName, readonly CommandName[]>> = {
  starting: [],
  routing: [],
  closing: [],
  renewalOffer: ['yes', 'no', 'language', 'help'],
  filling: ['back', 'skip', 'edit', 'summary', 'progress', 'language', 'pause', 'submit', 'withdraw', 'help'],
  review: ['submit', 'edit', 'back', 'summary', 'progress', 'clear', 'language', 'pause', 'withdraw', 'help'],
  confirming: ['yes', 'no', 'summary', 'progress', 'help'],
  submitted: ['edit', 'final', 'summary', 'progress', 'clear', 'language', 'pause', 'withdraw', 'help'],
  paused: ['resume', 'summary', 'progress', 'language', 'help'],
  closed: ['summary', 'progress', 'language', 'help'],
  underReview: ['summary', 'progress', 'language', 'help'],
  decided: ['summary', 'progress', 'language', 'help'],
  withdrawn: ['summary', 'progress', 'language', 'help'],
};

/** Events that change the candidacy: refused after the deadline and in frozen states. */
const CHANGING: readonly MachineEventType[] = [
  'answer',
  'back',
  'skip',
  'edit',
  'pause',
  'resume',
  'submit',
  'withdraw',
  'final',
  'yes',
  'no',
  'done',
  'clear',
  'cancel',
  'replace',
  'redacted',
];

const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  francais: 'fr',
  french: 'fr',
  anglais: 'en',
  english: 'en',
};

interface Outcome {
  patch?: Partial<ConversationContext>;
  replies?: ReplyIntent[];
  effects?: Effect[];
}
type Op = (ctx: ConversationContext, event: MachineEvent) => Outcome;

function sameValue(a: AnswerValue | undefined, b: AnswerValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const YES_WORDS = new Set(['oui', 'o', 'yes', 'y', 'ok', 'ouais', 'daccord', "d'accord"]);
const NO_WORDS = new Set(['non', 'n', 'no']);

/** Builds the machine for one questionnaire and campaign (conversation.ts caches them). */
export function createCandidacyMachine(questionnaire: Questionnaire, campaign: Campaign) {
  const deadline: Deadline = {
    closesAt: campaign.closesAt.toISOString(),
    timeZone: campaign.timeZone ?? 'Europe/Paris',
  };
  const closesAtMs = campaign.closesAt.getTime();
  const total = questionnaire.questions.length;
  const question = (id: string | null): Question | undefined =>
    id === null ? undefined : questionnaire.byId.get(id);
  const ref = (q: Question): QuestionRef => ({ questionId: q.id, number: q.number });
  const cursorQ = (ctx: ConversationContext) => question(ctx.cursor);
  const textOf = (ev: MachineEvent) => ('text' in ev ? ev.text : '');

  // ---- pure steps: context + event -> patch, replies, effects ----------------------------

  const askCursor: Op = (ctx) => {
    const q = cursorQ(ctx);
    if (!q) return {};
    const answer = ctx.answers[q.id];
    const drafts = { ...ctx.drafts };
    const draftBy = { ...ctx.draftBy };
    if (q.type === 'list' && drafts[q.id] === undefined && answer && Array.isArray(answer.value)) {
      drafts[q.id] = [...answer.value];
      draftBy[q.id] = Object.fromEntries(
        answer.value.map((item, i) => [fold(item), answer.itemsBy?.[i] ?? answer.by]),
      );
    }
    const lastYear = answer === undefined ? ctx.lastYear[q.id] : undefined;
    return {
      patch: { lastSection: q.sectionId, drafts, draftBy },
      replies: [
        {
          kind: 'ask',
          questionId: q.id,
          number: q.number,
          total,
          newSection: q.sectionId !== ctx.lastSection,
          ...(answer !== undefined ? { current: answer.value } : {}),
          ...(lastYear !== undefined ? { lastYear } : {}),
          ...(q.type === 'list' ? { items: drafts[q.id] ?? [] } : {}),
        },
      ],
    };
  };

  /** Sets an answer, drops those that no longer apply, and says so. */
  const setAnswer = (
    ctx: ConversationContext,
    q: Question,
    value: AnswerValue,
    ev: MachineEvent,
    source: 'answer' | 'renewal' | 'replace',
  ): Outcome => {
    const previous = ctx.answers[q.id];
    const lastYear = { ...ctx.lastYear };
    delete lastYear[q.id];
    const drafts = { ...ctx.drafts };
    delete drafts[q.id];
    const draftBy = { ...ctx.draftBy };
    delete draftBy[q.id];
    const skipped = ctx.skipped.filter((id) => id !== q.id);
    if (previous && sameValue(previous.value, value))
      return { patch: { lastYear, drafts, draftBy, skipped } };
    // Each entry of a list stays credited to whoever typed it.
    const itemsBy =
      q.type === 'list' && Array.isArray(value)
        ? value.map((item) => ctx.draftBy[q.id]?.[fold(item)] ?? ev.sender)
        : undefined;
    const record = { value, by: ev.sender, at: ev.at, ...(itemsBy ? { itemsBy } : {}) };
    const changed = { ...ctx.answers, [q.id]: record };
    const { answers, dropped } = prune(questionnaire, changed);
    for (const { question: d } of dropped) delete drafts[d.id];
    const effects: Effect[] = [
      {
        type: 'answerSet',
        questionId: q.id,
        value,
        ...(previous ? { previous: previous.value } : {}),
        by: ev.sender,
        at: ev.at,
        source,
        ...(itemsBy ? { itemsBy } : {}),
      },
      ...dropped.map(({ question: d, previous: p }): Effect => ({
        type: 'answerCleared',
        questionId: d.id,
        previous: p.value,
        by: ev.sender,
        at: ev.at,
        reason: 'notApplicable',
      })),
    ];
    return {
      patch: { answers, lastYear, drafts, draftBy, skipped },
      effects,
      replies: dropped.length ? [{ kind: 'dropped', questions: dropped.map((d) => ref(d.question)) }] : [],
    };
  };

  const clearAnswer = (ctx: ConversationContext, q: Question, ev: MachineEvent): Outcome => {
    const previous = ctx.answers[q.id];
    if (!previous) return {};
    const without = { ...ctx.answers };
    delete without[q.id];
    const { answers, dropped } = prune(questionnaire, without);
    const drafts = { ...ctx.drafts };
    delete drafts[q.id];
    for (const { question: d } of dropped) delete drafts[d.id];
    const draftBy = { ...ctx.draftBy };
    delete draftBy[q.id];
    const cleared = (d: Question, p: AnswerRecord, reason: 'cleared' | 'notApplicable'): Effect => ({
      type: 'answerCleared',
      questionId: d.id,
      previous: p.value,
      by: ev.sender,
      at: ev.at,
      reason,
    });
    return {
      patch: {
        answers,
        drafts,
        draftBy,
        skipped: q.required ? ctx.skipped : [...ctx.skipped.filter((id) => id !== q.id), q.id],
      },
      effects: [
        cleared(q, previous, 'cleared'),
        ...dropped.map((d) => cleared(d.question, d.previous, 'notApplicable')),
      ],
      replies: [
        { kind: 'cleared', ...ref(q) },
        ...(dropped.length
          ? [{ kind: 'dropped' as const, questions: dropped.map((d) => ref(d.question)) }]
          : []),
      ],
    };
  };

  /** Moves the cursor on after the current question was answered, skipped or kept. */
  const advance: Op = (ctx) => {
    const pos = { answers: ctx.answers, skipped: ctx.skipped };
    const next = nextOpen(questionnaire, pos, ctx.cursor) ?? nextOpen(questionnaire, pos, null);
    const back = question(ctx.returnTo);
    if (back) {
      // After `!edit N`: ask what became relevant before the return point, then return.
      if (next && next.number < back.number) return { patch: { cursor: next.id } };
      const stillThere = isRelevant(back, ctx.answers) && (isOpen(back, pos) || back.type === 'list');
      if (stillThere && back.id !== ctx.cursor) return { patch: { cursor: back.id, returnTo: null } };
    }
    return { patch: { cursor: next?.id ?? null, returnTo: null } };
  };

  const valueFromEvent = (q: Question, ev: MachineEvent) => {
    if (ev.type === 'yes') return { ok: true as const, value: true };
    if (ev.type === 'no') return { ok: true as const, value: false };
    return parseAnswer(q, textOf(ev));
  };

  const recordAnswer: Op = (ctx, ev) => {
    const q = cursorQ(ctx);
    if (!q) return {};
    const parsed = valueFromEvent(q, ev);
    return parsed.ok ? setAnswer(ctx, q, parsed.value, ev, 'answer') : {};
  };

  const refuseAnswer: Op = (ctx, ev) => {
    const q = cursorQ(ctx);
    if (!q) return {};
    const parsed = q.type === 'list' ? listInput(ctx, ev) : valueFromEvent(q, ev);
    if (parsed.ok) return {};
    return {
      replies: [
        { kind: 'invalid', ...ref(q), problem: parsed.problem },
        ...(askCursor(ctx, ev).replies ?? []),
      ],
    };
  };

  const listInput = (ctx: ConversationContext, ev: MachineEvent) => {
    const q = cursorQ(ctx) as QuestionOf<'list'>;
    const draft = ctx.drafts[q.id] ?? [];
    const parsed = parseListItems(q, textOf(ev), draft);
    return 'problem' in parsed
      ? { ok: false as const, problem: parsed.problem }
      : { ok: true as const, items: parsed.items, draft };
  };

  const addListItems: Op = (ctx, ev) => {
    const q = cursorQ(ctx);
    const parsed = listInput(ctx, ev);
    if (!q || !parsed.ok) return {};
    const items = [...parsed.draft, ...parsed.items];
    const lastYear = { ...ctx.lastYear };
    delete lastYear[q.id];
    return {
      patch: {
        drafts: { ...ctx.drafts, [q.id]: items },
        draftBy: {
          ...ctx.draftBy,
          [q.id]: {
            ...ctx.draftBy[q.id],
            ...Object.fromEntries(parsed.items.map((item) => [fold(item), ev.sender])),
          },
        },
        lastYear,
      },
      replies: [{ kind: 'listItemsAdded', ...ref(q), added: parsed.items, count: items.length }],
    };
  };

  /** `!done` on a list: saves the entries (or skips/clears an optional empty list). */
  const commitList: Op = (ctx, ev) => {
    const q = cursorQ(ctx);
    if (!q || q.type !== 'list') return {};
    const items = ctx.drafts[q.id] ?? [];
    if (items.length === 0) {
      const drafts = { ...ctx.drafts };
      delete drafts[q.id];
      if (ctx.answers[q.id]) return clearAnswer({ ...ctx, drafts }, q, ev);
      return {
        patch: { drafts, skipped: [...ctx.skipped.filter((id) => id !== q.id), q.id] },
        replies: [{ kind: 'skipped', ...ref(q) }],
      };
    }
    return setAnswer(ctx, q, items, ev, 'answer');
  };

  /** An answer changed away from the cursor: ask what became open from there on, then return. */
  const reposition = (ctx: ConversationContext, ev: MachineEvent, changed: Question | undefined): Outcome => {
    const pos = { answers: ctx.answers, skipped: ctx.skipped };
    const next = questionnaire.questions.slice(changed ? changed.number - 1 : 0).find((q) => isOpen(q, pos));
    const here = cursorQ(ctx);
    if (!here) return { patch: { cursor: next?.id ?? null } };
    if (!isRelevant(here, ctx.answers)) return advance({ ...ctx, cursor: changed?.id ?? null }, ev);
    if (next && next.number < here.number)
      return { patch: { cursor: next.id, returnTo: ctx.returnTo ?? here.id } };
    return {};
  };

  const draftProblem = (ctx: ConversationContext) => {
    const q = cursorQ(ctx);
    if (!q || q.type !== 'list') return undefined;
    const items = ctx.drafts[q.id] ?? [];
    if (items.length === 0 && !q.required) return undefined;
    const checked = checkValue(q, items);
    return checked.ok ? undefined : checked.problem;
  };

  const draftHasNewEntries = (ctx: ConversationContext) => {
    const q = cursorQ(ctx);
    if (!q || q.type !== 'list') return false;
    const draft = ctx.drafts[q.id] ?? [];
    return draft.length > 0 && !sameValue(draft, ctx.answers[q.id]?.value ?? []);
  };

  const summary = (ctx: ConversationContext): ReplyIntent => {
    const sections: SummarySection[] = questionnaire.sections.map((section) => ({
      sectionId: section.id,
      items: section.questionIds
        .map((id) => questionnaire.byId.get(id))
        .filter((q): q is Question => q !== undefined && isRelevant(q, ctx.answers))
        .map((q) => {
          const answer = ctx.answers[q.id];
          return {
            ...ref(q),
            required: q.required,
            skipped: ctx.skipped.includes(q.id),
            ...(answer ? { value: answer.value, by: answer.by } : {}),
          };
        }),
    }));
    return {
      kind: 'summary',
      sections,
      missing: missingRequired(questionnaire, ctx.answers).map(ref),
      notApplicable: progressOf(questionnaire, ctx.answers, ctx.skipped).notApplicable,
    };
  };

  const progress = (ctx: ConversationContext, ev: MachineEvent): ReplyIntent => {
    const p = progressOf(questionnaire, ctx.answers, ctx.skipped);
    const current = cursorQ(ctx);
    return {
      kind: 'progress',
      ...p,
      missing: missingRequired(questionnaire, ctx.answers).length,
      ...(current ? { currentSectionId: current.sectionId } : {}),
      status: ctx.status,
      now: ev.at,
      ...deadline,
    };
  };

  const pastDeadline = (ev: MachineEvent) => {
    const at = Date.parse(ev.at);
    return !Number.isNaN(at) && at >= closesAtMs;
  };

  const targetOf = (ctx: ConversationContext, ev: MachineEvent): Question | undefined => {
    if (ev.type === 'edit') return findQuestion(questionnaire, ev.target);
    if (ev.type === 'clear' && ev.target !== undefined) return findQuestion(questionnaire, ev.target);
    if (ev.type === 'help' && ev.target !== undefined) return findQuestion(questionnaire, ev.target);
    if (ev.type === 'replace' || ev.type === 'redacted') return question(ev.questionId);
    return cursorQ(ctx);
  };

  /** Unknown or not-applicable target of !edit / !clear / !help N / replace. */
  const badTarget = (ctx: ConversationContext, ev: MachineEvent): ReplyIntent | undefined => {
    const q = targetOf(ctx, ev);
    const target =
      'target' in ev && ev.target !== undefined ? ev.target : 'questionId' in ev ? ev.questionId : '';
    if (!q) return { kind: 'unknownQuestion', target, total };
    if (!isRelevant(q, ctx.answers)) return { kind: 'notApplicable', ...ref(q) };
    return undefined;
  };

  const languageOf = (ev: MachineEvent): string | undefined => {
    if (ev.type !== 'language' || ev.lang === undefined) return undefined;
    const word = foldWord(ev.lang);
    const code = LANGUAGE_NAMES[word] ?? word;
    return questionnaire.languages.includes(code) ? code : undefined;
  };

  const answerWord = (ev: MachineEvent): 'yes' | 'no' | undefined => {
    if (ev.type === 'yes' || ev.type === 'no') return ev.type;
    if (ev.type !== 'answer') return undefined;
    const word = foldWord(ev.text).replace(/^!/, '');
    if (YES_WORDS.has(word)) return 'yes';
    if (NO_WORDS.has(word)) return 'no';
    return undefined;
  };

  const statusChange = (ctx: ConversationContext, status: CandidacyStatus, ev: MachineEvent): Outcome => ({
    patch: { status },
    effects: [{ type: 'status', status, previous: ctx.status, by: ev.sender, at: ev.at }],
  });

  const reply =
    (make: (ctx: ConversationContext, ev: MachineEvent) => ReplyIntent | undefined): Op =>
    (ctx, ev) => {
      const intent = make(ctx, ev);
      return intent ? { replies: [intent] } : {};
    };

  // ---- the ops the machine refers to by name ----------------------------------------------

  const ops = {
    welcome: reply((ctx) => ({
      kind: 'welcome',
      total,
      sections: questionnaire.sections.length,
      now: ctx.startedAt,
      ...deadline,
    })),
    offerRenewal: reply((ctx) => ({ kind: 'renewalOffer', reusable: Object.keys(ctx.lastYear).length })),
    acceptRenewal: (ctx: ConversationContext): Outcome => ({
      patch: {
        cursor: nextOpen(questionnaire, { answers: ctx.answers, skipped: ctx.skipped }, null)?.id ?? null,
      },
      replies: [{ kind: 'renewalAccepted', reusable: Object.keys(ctx.lastYear).length }],
    }),
    declineRenewal: (ctx: ConversationContext): Outcome => ({
      patch: {
        lastYear: {},
        cursor: nextOpen(questionnaire, { answers: ctx.answers, skipped: ctx.skipped }, null)?.id ?? null,
      },
      replies: [{ kind: 'renewalDeclined' }],
    }),
    begin: (ctx: ConversationContext): Outcome => ({
      patch: {
        cursor: nextOpen(questionnaire, { answers: ctx.answers, skipped: ctx.skipped }, null)?.id ?? null,
      },
    }),
    ask: askCursor,
    advance,
    recordAnswer,
    refuseAnswer,
    addListItems,
    commitList,
    refuseDraft: (ctx: ConversationContext): Outcome => {
      const q = cursorQ(ctx);
      const problem = draftProblem(ctx);
      return q && problem ? { replies: [{ kind: 'invalid', ...ref(q), problem }] } : {};
    },
    removeLastItem: (ctx: ConversationContext): Outcome => {
      const q = cursorQ(ctx);
      if (!q) return {};
      const draft = [...(ctx.drafts[q.id] ?? [])];
      const item = draft.pop() ?? '';
      return {
        patch: { drafts: { ...ctx.drafts, [q.id]: draft } },
        replies: [{ kind: 'listItemRemoved', ...ref(q), item, count: draft.length }],
      };
    },
    clearDraft: (ctx: ConversationContext): Outcome => {
      const q = cursorQ(ctx);
      if (!q) return {};
      return {
        patch: { drafts: { ...ctx.drafts, [q.id]: [] } },
        replies: [{ kind: 'listCleared', ...ref(q) }],
      };
    },
    keepLastYear: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = cursorQ(ctx);
      const value = q ? ctx.lastYear[q.id] : undefined;
      if (!q || value === undefined) return {};
      const set = setAnswer(ctx, q, value, ev, 'renewal');
      return { ...set, replies: [{ kind: 'kept', ...ref(q) }, ...(set.replies ?? [])] };
    },
    declineLastYear: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = cursorQ(ctx);
      if (!q) return {};
      const lastYear = { ...ctx.lastYear };
      delete lastYear[q.id];
      const asked = askCursor({ ...ctx, lastYear }, ev);
      return { patch: { ...asked.patch, lastYear }, replies: asked.replies ?? [] };
    },
    keepCurrent: reply((ctx) => {
      const q = cursorQ(ctx);
      return q ? { kind: 'kept', ...ref(q) } : undefined;
    }),
    skipCursor: (ctx: ConversationContext): Outcome => {
      const q = cursorQ(ctx);
      if (!q) return {};
      const lastYear = { ...ctx.lastYear };
      delete lastYear[q.id];
      const drafts = { ...ctx.drafts };
      delete drafts[q.id];
      return {
        patch: { skipped: [...ctx.skipped.filter((id) => id !== q.id), q.id], lastYear, drafts },
        replies: [{ kind: 'skipped', ...ref(q) }],
      };
    },
    refuseSkip: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = cursorQ(ctx);
      if (!q) return {};
      return { replies: [{ kind: 'cannotSkip', ...ref(q) }, ...(askCursor(ctx, ev).replies ?? [])] };
    },
    goBack: (ctx: ConversationContext): Outcome => {
      const previous = previousRelevant(questionnaire, ctx.answers, ctx.cursor);
      return previous ? { patch: { cursor: previous.id } } : {};
    },
    cannotGoBack: reply(() => ({ kind: 'cannotGoBack' })),
    goEdit: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = targetOf(ctx, ev);
      if (!q) return {};
      const returnTo = ctx.returnTo ?? (ctx.cursor !== null && ctx.cursor !== q.id ? ctx.cursor : null);
      return { patch: { cursor: q.id, returnTo } };
    },
    badTarget: reply(badTarget),
    cancelEdit: (ctx: ConversationContext): Outcome => ({ patch: { cursor: ctx.returnTo, returnTo: null } }),
    requestClear: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = targetOf(ctx, ev);
      const answer = q ? ctx.answers[q.id] : undefined;
      if (!q || !answer) return {};
      return {
        patch: { pending: { about: 'clear', questionId: q.id } },
        replies: [{ kind: 'confirmClear', ...ref(q), value: answer.value }],
      };
    },
    nothingToClear: reply(
      (ctx, ev) => badTarget(ctx, ev) ?? { kind: 'notAvailable', command: 'clear' as CommandName },
    ),
    replaceAnswer: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = targetOf(ctx, ev);
      if (!q) return {};
      const parsed = parseAnswer(q, textOf(ev));
      if (!parsed.ok) return {};
      const set = setAnswer(ctx, q, parsed.value, ev, 'replace');
      return {
        ...set,
        replies: [{ kind: 'replaced', ...ref(q), value: parsed.value }, ...(set.replies ?? [])],
      };
    },
    refuseReplace: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const q = targetOf(ctx, ev);
      if (!q) return {};
      const parsed = parseAnswer(q, textOf(ev));
      return parsed.ok ? {} : { replies: [{ kind: 'invalid', ...ref(q), problem: parsed.problem }] };
    },
    /** After an answer changed elsewhere: ask what became relevant, then come back. */
    afterChange: (ctx: ConversationContext, ev: MachineEvent): Outcome =>
      reposition(ctx, ev, targetOf(ctx, ev)),
    requestSubmit: reply(() => ({ kind: 'confirmSubmit', ...deadline })),
    setPendingSubmit: (): Outcome => ({ patch: { pending: { about: 'submit' } } }),
    submitBlocked: reply((ctx) => ({
      kind: 'submitBlocked',
      missing: missingRequired(questionnaire, ctx.answers).map(ref),
    })),
    requestWithdraw: (ctx: ConversationContext): Outcome => ({
      patch: { pending: { about: 'withdraw' } },
      replies: [{ kind: 'confirmWithdraw', status: ctx.status }],
    }),
    confirmPending: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const pending = ctx.pending;
      if (!pending) return {};
      const done = { ...ctx, pending: null };
      if (pending.about === 'submit') {
        // Optional questions left open are now deliberately unanswered.
        const open = questionnaire.questions.filter((q) =>
          isOpen(q, { answers: ctx.answers, skipped: ctx.skipped }),
        );
        const status = statusChange(done, 'submitted', ev);
        return {
          patch: {
            ...status.patch,
            pending: null,
            cursor: null,
            returnTo: null,
            submittedAt: ev.at,
            skipped: [...ctx.skipped, ...open.map((q) => q.id)],
          },
          effects: status.effects ?? [],
          replies: [{ kind: 'submitted', earlyFinal: campaign.earlyFinal === true, ...deadline }],
        };
      }
      if (pending.about === 'final') {
        // Final before closing: the jury votes on it now, and it no longer changes.
        const status = statusChange(done, 'under_review', ev);
        return {
          ...status,
          patch: { ...status.patch, pending: null },
          replies: [{ kind: 'finalConfirmed' }],
        };
      }
      if (pending.about === 'withdraw') {
        const status = statusChange(done, 'withdrawn', ev);
        return { ...status, patch: { ...status.patch, pending: null }, replies: [{ kind: 'withdrawn' }] };
      }
      const q = question(pending.questionId ?? null);
      if (!q) return { patch: { pending: null } };
      const cleared = clearAnswer(done, q, ev);
      const moved = reposition({ ...done, ...cleared.patch }, ev, q);
      return { ...cleared, patch: { ...cleared.patch, ...moved.patch, pending: null } };
    },
    dropPending: (): Outcome => ({ patch: { pending: null } }),
    setPendingFinal: (): Outcome => ({ patch: { pending: { about: 'final' } } }),
    requestFinal: reply(() => ({ kind: 'confirmFinal', ...deadline })),
    finalNotAllowed: reply(() => ({ kind: 'finalNotAllowed', ...deadline })),
    finalNeedsSubmit: reply(() => ({ kind: 'finalNeedsSubmit' })),
    cancelPending: (ctx: ConversationContext): Outcome => {
      const about = ctx.pending?.about;
      if (about === 'final')
        return { patch: { pending: null }, replies: [{ kind: 'finalCancelled', ...deadline }] };
      const kind =
        about === 'submit'
          ? 'submitCancelled'
          : about === 'withdraw'
            ? 'withdrawCancelled'
            : 'clearCancelled';
      return { patch: { pending: null }, replies: [{ kind }] };
    },
    remindPending: reply((ctx) => ({ kind: 'confirmationPending', about: ctx.pending?.about ?? 'submit' })),
    remindRenewal: reply(() => ({ kind: 'confirmationPending', about: 'renewal' })),
    pause: (_ctx: ConversationContext, ev: MachineEvent): Outcome => ({
      replies: [{ kind: 'paused' }],
      effects: [{ type: 'paused', by: ev.sender, at: ev.at }],
    }),
    resume: (_ctx: ConversationContext, ev: MachineEvent): Outcome => ({
      replies: [{ kind: 'resumed' }],
      effects: [{ type: 'resumed', by: ev.sender, at: ev.at }],
    }),
    isPaused: reply(() => ({ kind: 'isPaused' })),
    notPaused: reply(() => ({ kind: 'notPaused' })),
    announceReview: (): Outcome => ({ patch: { returnTo: null }, replies: [{ kind: 'review' }] }),
    announceSubmitted: (): Outcome => ({
      patch: { returnTo: null },
      replies: [{ kind: 'submittedState', ...deadline }],
    }),
    alreadySubmitted: reply(() => ({ kind: 'alreadySubmitted', ...deadline })),
    notAQuestionNow: reply((ctx) => ({ kind: 'notAQuestionNow', status: ctx.status })),
    summary: reply(summary),
    progress: reply(progress),
    changeLanguage: (_ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const lang = languageOf(ev);
      if (lang === undefined) return {};
      return {
        replies: [{ kind: 'languageChanged', lang }],
        effects: [{ type: 'language', person: ev.sender, lang, at: ev.at }],
      };
    },
    languageUnknown: reply((_ctx, ev) => ({
      kind: 'languageUnknown',
      ...(ev.type === 'language' && ev.lang !== undefined ? { requested: ev.lang } : {}),
      available: [...questionnaire.languages],
    })),
    refuseClosed: reply((ctx) => ({ kind: 'closed', submitted: ctx.status === 'submitted', ...deadline })),
    freezeSubmitted: (ctx: ConversationContext, ev: MachineEvent): Outcome =>
      statusChange(ctx, 'under_review', ev),
    refuseFrozen: reply((ctx, ev) => {
      // Under review before the closing date: made final early by the candidate, not closed.
      const early = ctx.status === 'under_review' && Date.parse(ev.at) < closesAtMs;
      return (ctx.status === 'under_review' && !early) || ctx.status === 'draft'
        ? { kind: 'closed', submitted: ctx.status === 'under_review', ...deadline }
        : { kind: 'frozen', status: ctx.status };
    }),
    decide: (ctx: ConversationContext, ev: MachineEvent): Outcome => {
      const level = ev.type === 'decide' ? ev.level : '';
      const status = statusChange(ctx, 'decided', ev);
      return { ...status, patch: { ...status.patch, level }, replies: [{ kind: 'decided', level }] };
    },
  } satisfies Record<string, Op>;
  type OpName = keyof typeof ops;

  const helpFor = (state: StateName): Op =>
    reply((ctx, ev) => {
      const q =
        ev.type === 'help' && ev.target !== undefined
          ? targetOf(ctx, ev)
          : state === 'filling'
            ? cursorQ(ctx)
            : undefined;
      if (ev.type === 'help' && ev.target !== undefined && !q)
        return { kind: 'unknownQuestion', target: ev.target, total };
      // !definitif only where the campaign allows it.
      const commands = COMMANDS_BY_STATE[state].filter((c) => c !== 'final' || campaign.earlyFinal === true);
      const here = cursorQ(ctx);
      if (state === 'filling' && here?.type === 'list') commands.unshift('done', 'clear');
      if (state === 'filling' && here && ctx.lastYear[here.id] !== undefined && !ctx.answers[here.id])
        commands.unshift('yes', 'no');
      if (state === 'filling' && ctx.returnTo) commands.push('cancel');
      return { kind: 'help', ...(q ? { questionId: q.id, number: q.number } : {}), commands };
    });

  const notAvailable = (command: CommandName): Op => reply(() => ({ kind: 'notAvailable', command }));

  // ---- guards ------------------------------------------------------------------------------

  type G = (args: { context: ConversationContext; event: MachineEvent }) => boolean;
  const guards = {
    pastDeadline: ({ event }) => pastDeadline(event),
    startedPastDeadline: ({ context }) => Date.parse(context.startedAt) >= closesAtMs,
    hasLastYear: ({ context }) => Object.keys(context.lastYear).length > 0,
    hasCursor: ({ context }) => cursorQ(context) !== undefined,
    isSubmitted: ({ context }) => context.status === 'submitted',
    cursorIsList: ({ context }) => cursorQ(context)?.type === 'list',
    cursorIsYesNo: ({ context }) => cursorQ(context)?.type === 'yes_no',
    cursorAnswered: ({ context }) => {
      const q = cursorQ(context);
      return q !== undefined && context.answers[q.id] !== undefined;
    },
    cursorRequired: ({ context }) => cursorQ(context)?.required === true,
    lastYearOffered: ({ context }) => {
      const q = cursorQ(context);
      return q !== undefined && context.lastYear[q.id] !== undefined && context.answers[q.id] === undefined;
    },
    answerInvalid: ({ context, event }) => {
      const q = cursorQ(context);
      return q === undefined || !valueFromEvent(q, event).ok;
    },
    listInputInvalid: ({ context, event }) =>
      cursorQ(context)?.type === 'list' && !listInput(context, event).ok,
    listInputFillsList: ({ context, event }) => {
      const q = cursorQ(context);
      const parsed = listInput(context, event);
      return q?.type === 'list' && parsed.ok && parsed.draft.length + parsed.items.length >= q.maxItems;
    },
    draftInvalid: ({ context }) => draftProblem(context) !== undefined,
    draftHasNewEntries: ({ context }) => draftHasNewEntries(context),
    hasPrevious: ({ context }) =>
      previousRelevant(questionnaire, context.answers, context.cursor) !== undefined,
    badTarget: ({ context, event }) => badTarget(context, event) !== undefined,
    hasReturnTo: ({ context }) => question(context.returnTo) !== undefined,
    hasMissing: ({ context }) => missingRequired(questionnaire, context.answers).length > 0,
    clearHasTarget: ({ event }) => event.type === 'clear' && event.target !== undefined,
    clearTargetAnswered: ({ context, event }) => {
      if (event.type !== 'clear' || event.target === undefined) return false;
      const q = targetOf(context, event);
      return q !== undefined && isRelevant(q, context.answers) && context.answers[q.id] !== undefined;
    },
    targetAnswered: ({ context, event }) => {
      const q = targetOf(context, event);
      return q !== undefined && isRelevant(q, context.answers) && context.answers[q.id] !== undefined;
    },
    replaceInvalid: ({ context, event }) => {
      const q = targetOf(context, event);
      return q === undefined || !parseAnswer(q, textOf(event)).ok;
    },
    saysYes: ({ event }) => answerWord(event) === 'yes',
    saysNo: ({ event }) => answerWord(event) === 'no',
    pendingWithdraw: ({ context }) => context.pending?.about === 'withdraw',
    pendingFinal: ({ context }) => context.pending?.about === 'final',
    earlyFinal: () => campaign.earlyFinal === true,
    pendingClear: ({ context }) => context.pending?.about === 'clear',
    cursorIsNotList: ({ context }) => cursorQ(context)?.type !== 'list',
    knownLanguage: ({ event }) => languageOf(event) !== undefined,
  } satisfies Record<string, G>;

  // ---- wiring ------------------------------------------------------------------------------

  const machineSetup = setup({
    types: {
      context: {} as ConversationContext,
      events: {} as MachineEvent,
      input: {} as MachineInput,
      emitted: {} as Emitted,
    },
    guards,
  });
  const run = (op: Op) =>
    machineSetup.enqueueActions(({ context, event, enqueue }) => {
      const outcome = op(context, event);
      if (outcome.patch) enqueue.assign(outcome.patch);
      for (const effect of outcome.effects ?? []) enqueue.emit({ type: 'effect', effect });
      for (const intent of outcome.replies ?? []) enqueue.emit({ type: 'reply', intent });
    });
  const act = (...names: OpName[]) => names.map((n) => run(ops[n]));
  type Transition = {
    guard?: keyof typeof guards;
    target?: StateName;
    actions?: Array<ReturnType<typeof run> | ReturnType<typeof raiseAs>>;
  };
  /** Re-sends a plain "oui"/"non" typed in a confirmation as the !yes/!no command. */
  const raiseAs = (type: 'yes' | 'no') =>
    machineSetup.raise(({ event }) => ({
      type,
      sender: event.sender,
      at: event.at,
    }));
  const yesNoWords = (otherwise: OpName): Transition[] =>
    guarded(
      when('saysYes', { actions: [raiseAs('yes')] }),
      when('saysNo', { actions: [raiseAs('no')] }),
      stay(otherwise),
    );
  const to = (target: StateName, ...names: OpName[]): Transition => ({ target, actions: act(...names) });
  const when = (guard: keyof typeof guards, t: Transition): Transition => {
    if (t.guard) throw new Error(`transition already guarded by ${t.guard}`); // guards do not combine
    return { ...t, guard };
  };
  const stay = (...names: OpName[]): Transition => ({ actions: act(...names) });
  const with_ = (op: Op): Transition => ({ actions: [run(op)] });
  /** Refuses changes after the deadline, then tries the given transitions in order. */
  const guarded = (...ts: Transition[]): Transition[] => [
    { guard: 'pastDeadline', target: 'closing', actions: act('refuseClosed') },
    ...ts,
  ];
  const help = (state: StateName): Transition => with_(helpFor(state));
  const frozen = () =>
    Object.fromEntries(CHANGING.map((type) => [type, stay('refuseFrozen')])) as Record<string, Transition>;
  /** In a confirmation, everything else is a reminder of the pending question. */
  const remind = (op: OpName) =>
    Object.fromEntries(CHANGING.map((type) => [type, guarded(stay(op))])) as Record<string, Transition[]>;

  const edit = guarded(when('badTarget', stay('badTarget')), to('routing', 'goEdit'));
  const clearWithTarget = [
    when('clearTargetAnswered', to('confirming', 'requestClear')),
    when('clearHasTarget', stay('nothingToClear')),
  ] as const;
  const replace = guarded(
    when('badTarget', stay('badTarget')),
    when('replaceInvalid', stay('refuseReplace')),
    to('routing', 'replaceAnswer', 'afterChange'),
  );
  const redacted = guarded(when('targetAnswered', to('confirming', 'requestClear')));
  const submit = guarded(
    when('hasMissing', stay('submitBlocked')),
    to('confirming', 'setPendingSubmit', 'requestSubmit'),
  );
  const withdraw = guarded(to('confirming', 'requestWithdraw'));
  const pause = guarded(to('paused', 'pause'));
  const language = (...extra: OpName[]) => [
    when('knownLanguage', stay('changeLanguage', ...extra)),
    stay('languageUnknown'),
  ];
  /** review and submitted: nothing is being asked. */
  const atRest = (state: 'review' | 'submitted') => ({
    answer: guarded(stay('notAQuestionNow')),
    back: guarded(when('hasPrevious', to('routing', 'goBack')), stay('cannotGoBack')),
    skip: guarded(with_(notAvailable('skip'))),
    edit,
    yes: guarded(with_(notAvailable('yes'))),
    no: guarded(with_(notAvailable('no'))),
    done: guarded(with_(notAvailable('done'))),
    cancel: guarded(with_(notAvailable('cancel'))),
    clear: guarded(...clearWithTarget, with_(notAvailable('clear'))),
    replace,
    redacted,
    submit: state === 'review' ? submit : guarded(stay('alreadySubmitted')),
    final:
      state === 'review'
        ? guarded(stay('finalNeedsSubmit'))
        : guarded(
            when('earlyFinal', to('confirming', 'setPendingFinal', 'requestFinal')),
            stay('finalNotAllowed'),
          ),
    withdraw,
    pause,
    resume: guarded(stay('notPaused')),
    language: language(),
    help: help(state),
  });

  return machineSetup.createMachine({
    id: 'candidacy',
    context: ({ input }) => ({
      questionnaireId: questionnaire.id,
      questionnaireVersion: questionnaire.version,
      status: 'draft',
      answers: {},
      skipped: [],
      lastYear: Object.fromEntries(
        Object.entries(input.lastYear ?? {}).filter(([id, value]) => {
          const q = questionnaire.byId.get(id);
          return q !== undefined && isValidValue(q, value);
        }),
      ) as Record<string, AnswerValue>,
      cursor: null,
      returnTo: null,
      drafts: {},
      draftBy: {},
      pending: null,
      lastSection: null,
      startedBy: input.startedBy,
      startedAt: input.at,
      submittedAt: null,
      level: null,
    }),
    initial: 'starting',
    on: {
      summary: stay('summary'),
      progress: stay('progress'),
      language: language(),
      close: { target: '.closing' },
    },
    states: {
      starting: {
        always: [
          when('startedPastDeadline', to('closed', 'refuseClosed')),
          when('hasLastYear', to('renewalOffer', 'welcome', 'offerRenewal')),
          to('routing', 'welcome', 'begin'),
        ],
      },
      renewalOffer: {
        on: {
          ...remind('remindRenewal'),
          yes: guarded(to('routing', 'acceptRenewal')),
          no: guarded(to('routing', 'declineRenewal')),
          answer: yesNoWords('remindRenewal'),
          help: help('renewalOffer'),
        },
      },
      routing: {
        always: [
          when('hasCursor', to('filling', 'ask')),
          when('isSubmitted', to('submitted', 'announceSubmitted')),
          to('review', 'announceReview'),
        ],
      },
      filling: {
        on: {
          answer: guarded(
            when('listInputInvalid', stay('refuseAnswer')),
            when('listInputFillsList', to('routing', 'addListItems', 'commitList', 'advance')),
            when('cursorIsList', stay('addListItems')),
            when('answerInvalid', stay('refuseAnswer')),
            to('routing', 'recordAnswer', 'advance'),
          ),
          // On a yes/no question, !oui and !non are the answer itself (even when last year's is offered).
          yes: guarded(
            when('cursorIsYesNo', to('routing', 'recordAnswer', 'advance')),
            when('lastYearOffered', to('routing', 'keepLastYear', 'advance')),
            with_(notAvailable('yes')),
          ),
          no: guarded(
            when('cursorIsYesNo', to('routing', 'recordAnswer', 'advance')),
            when('lastYearOffered', stay('declineLastYear')),
            with_(notAvailable('no')),
          ),
          skip: guarded(
            when('cursorAnswered', to('routing', 'keepCurrent', 'advance')),
            when('cursorRequired', stay('refuseSkip')),
            to('routing', 'skipCursor', 'advance'),
          ),
          back: guarded(
            when('draftHasNewEntries', stay('removeLastItem')),
            when('hasPrevious', to('routing', 'goBack')),
            stay('cannotGoBack'),
          ),
          edit,
          done: guarded(
            when('cursorIsNotList', with_(notAvailable('done'))),
            when('draftInvalid', stay('refuseDraft')),
            to('routing', 'commitList', 'advance'),
          ),
          clear: guarded(
            ...clearWithTarget,
            when('cursorIsList', stay('clearDraft')),
            when('cursorAnswered', to('confirming', 'requestClear')),
            with_(notAvailable('clear')),
          ),
          cancel: guarded(
            when('hasReturnTo', to('routing', 'cancelEdit')),
            when('cursorAnswered', to('routing', 'keepCurrent', 'advance')),
            with_(notAvailable('cancel')),
          ),
          replace,
          redacted,
          submit,
          withdraw,
          final: guarded(stay('finalNeedsSubmit')),
          pause,
          resume: guarded(stay('notPaused')),
          language: language('ask'),
          help: help('filling'),
        },
      },
      review: { on: atRest('review') },
      submitted: { on: atRest('submitted') },
      confirming: {
        on: {
          ...remind('remindPending'),
          yes: guarded(
            when('pendingWithdraw', to('withdrawn', 'confirmPending')),
            when('pendingFinal', to('underReview', 'confirmPending')),
            when('pendingClear', to('routing', 'confirmPending')),
            // Someone may have cleared an answer since the question was asked.
            when('hasMissing', to('routing', 'dropPending', 'submitBlocked')),
            to('submitted', 'confirmPending'),
          ),
          no: guarded(to('routing', 'cancelPending')),
          cancel: guarded(to('routing', 'cancelPending')),
          answer: yesNoWords('remindPending'),
          help: help('confirming'),
        },
      },
      paused: {
        on: {
          ...Object.fromEntries(CHANGING.map((type) => [type, stay('isPaused')])),
          resume: to('routing', 'resume'),
          help: help('paused'),
        },
      },
      closing: {
        always: [when('isSubmitted', to('underReview', 'freezeSubmitted')), { target: 'closed' }],
      },
      closed: { on: { ...frozen(), close: {}, help: help('closed') } },
      underReview: {
        on: { ...frozen(), close: {}, decide: to('decided', 'decide'), help: help('underReview') },
      },
      decided: { on: { ...frozen(), close: {}, help: help('decided') } },
      withdrawn: { on: { ...frozen(), close: {}, help: help('withdrawn') } },
    },
  });
}

export type CandidacyMachine = ReturnType<typeof createCandidacyMachine>;
