// Turns the candidacy conversation's reply intents (flows/intents.ts) into messages:
// plain text that reads well on its own and HTML limited to the Matrix recommended tags.
// Texts come from locales/<lang>/candidacy.json and from the questionnaire; everything a
// person typed goes through html.ts `text()` and is escaped. Consecutive intents of one
// step become one message (one bot message per person's message), except that a long
// summary is split by sections.
//
// Why this file is long: one case per reply intent of the conversation, in an exhaustive
// switch that tsc checks.
import type { AnswerValue, Problem } from '../../flows/answers.ts';
import { commandName, type CommandName } from '../../flows/commands.ts';
import type { QuestionRef, ReplyIntent, SummarySection } from '../../flows/intents.ts';
import { type Question, type Questionnaire, textIn } from '../../flows/questionnaire.ts';
import { DEFAULT_LANGUAGE, translator } from '../../locales/i18n.ts';
import {
  blocks,
  code,
  em,
  escapeHtml,
  heading,
  isRich,
  join,
  link,
  list,
  paragraph,
  type Rich,
  strong,
  text,
} from './html.ts';

export interface RenderedMessage {
  readonly plain: string;
  readonly html: string;
}

/** Keys asked for but missing in every language (filled by the renderer, read by tests). */
export const missingKeys = new Set<string>();

/** A summary larger than this (HTML characters) is split into several messages. */
const SUMMARY_CHUNK = 24_000;
const BAR_CELLS = 20;

const LOCALES: Readonly<Record<string, string>> = { fr: 'fr-FR', en: 'en-GB' };
const localeOf = (lang: string) => LOCALES[lang] ?? lang;

type Param = string | number | Rich;

class Renderer {
  readonly lang: string;
  readonly questionnaire: Questionnaire;
  private readonly t: (key: string, options?: Record<string, unknown>) => string;
  private readonly fallback: (key: string, options?: Record<string, unknown>) => string;

  constructor(lang: string, questionnaire: Questionnaire) {
    this.lang = lang;
    this.questionnaire = questionnaire;
    type Loose = (key: string, options?: Record<string, unknown>) => string;
    this.t = translator(lang, 'candidacy') as unknown as Loose;
    this.fallback = translator(DEFAULT_LANGUAGE, 'candidacy') as unknown as Loose;
  }

  private raw(key: string, options: Record<string, unknown>): string {
    const out = this.t(key, options);
    if (out !== key) return out;
    const french = this.fallback(key, options);
    if (french === key) missingKeys.add(key);
    return french;
  }

  /** A translated sentence; parameters may be rich (already escaped HTML) or plain values. */
  tr(key: string, params: Record<string, Param> = {}): Rich {
    const plainParams: Record<string, unknown> = {};
    const tokenParams: Record<string, unknown> = {};
    const html = new Map<string, string>();
    let i = 0;
    for (const [name, value] of Object.entries(params)) {
      if (name === 'count' && typeof value === 'number') {
        plainParams[name] = tokenParams[name] = value; // plural forms need the number itself
        continue;
      }
      const r = isRich(value) ? value : text(String(value));
      const token = `\u0001${i++}\u0001`;
      plainParams[name] = r.plain;
      tokenParams[name] = token;
      html.set(token, r.html);
    }
    const plain = this.raw(key, plainParams);
    let out = escapeHtml(this.raw(key, tokenParams));
    for (const [token, value] of html) out = out.split(token).join(value);
    return { plain, html: out };
  }

  cmd(name: CommandName): Rich {
    return code(`!${commandName(name, this.lang)}`);
  }

  text(localized: Readonly<Record<string, string>> | undefined): string {
    return textIn(localized, this.lang);
  }

  number(n: number): string {
    // 'min2': 12 500 but 2016 (years and small counts read better ungrouped).
    return new Intl.NumberFormat(localeOf(this.lang), {
      maximumFractionDigits: 2,
      useGrouping: 'min2',
    }).format(n);
  }

  dateTime(iso: string, timeZone: string): string {
    return new Intl.DateTimeFormat(localeOf(this.lang), {
      dateStyle: 'full',
      timeStyle: 'short',
      timeZone,
    }).format(new Date(iso));
  }

  question(id: string): Question | undefined {
    return this.questionnaire.byId.get(id);
  }

  qNumber(ref: QuestionRef): Rich {
    return strong(this.tr('ask.number', { number: ref.number, total: this.questionnaire.questions.length }));
  }

  /** A question number for examples such as "!edit 3": `preferred` if given, else one that exists. */
  sampleNumber(preferred?: number): number {
    return preferred ?? Math.min(3, this.questionnaire.questions.length);
  }

  /** "6 answers out of 11 (1 question does not apply to you)": over the N of "Q8/11". */
  counts(answered: number, notApplicable: number): Rich {
    const total = this.questionnaire.questions.length;
    const counts = this.tr('counts.answered', { count: answered, total });
    return notApplicable > 0
      ? join([counts, ' ', this.tr('counts.notApplicable', { count: notApplicable })])
      : counts;
  }

  refs(refs: readonly QuestionRef[], max = 15): string {
    const shown = refs.slice(0, max).map((r) => `Q${r.number}`);
    return refs.length > max ? `${shown.join(', ')}…` : shown.join(', ');
  }

  /** An answer as people read it: labels for choices, localized numbers and dates. */
  answer(q: Question | undefined, value: AnswerValue): Rich {
    if (!q) return text(Array.isArray(value) ? value.join('; ') : String(value));
    switch (q.type) {
      case 'yes_no':
        return this.tr(value === true ? 'values.yes' : 'values.no');
      case 'integer': {
        const n = typeof value === 'number' ? this.number(value) : String(value);
        return text(q.unit ? `${n} ${this.text(q.unit)}` : n);
      }
      case 'percentage':
        return text(
          typeof value === 'number'
            ? new Intl.NumberFormat(localeOf(this.lang), {
                style: 'percent',
                maximumFractionDigits: 2,
              }).format(value / 100)
            : String(value),
        );
      case 'single_choice':
        return text(this.text(q.choices.find((c) => c.id === value)?.label) || String(value));
      case 'multiple_choice':
        return text(
          (Array.isArray(value) ? value : [String(value)])
            .map((id) => this.text(q.choices.find((c) => c.id === id)?.label) || id)
            .join(', '),
        );
      case 'date':
        if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
          return text(
            new Intl.DateTimeFormat(localeOf(this.lang), { dateStyle: 'long', timeZone: 'UTC' }).format(
              new Date(`${value}T00:00:00Z`),
            ),
          );
        return text(String(value));
      case 'url':
        return link(String(value));
      case 'email':
        return link(`mailto:${String(value)}`, String(value));
      case 'list':
        return text(Array.isArray(value) ? value.join('; ') : String(value));
      default:
        return text(String(value));
    }
  }

  /** The example shown with a question or a refusal: the questionnaire's, else one by type. */
  example(q: Question): string | undefined {
    if (q.example) return this.text(q.example);
    switch (q.type) {
      case 'percentage':
      case 'url':
      case 'email':
      case 'date':
      case 'yes_no':
        return this.raw(`examples.${q.type}`, {});
      case 'integer':
        return this.number(Math.min(q.max ?? 12, Math.max(q.min, 12)));
      case 'single_choice':
        return '2';
      case 'multiple_choice':
        return q.choices.length >= 3 ? this.raw('examples.multiple_choice', {}) : '1';
      default:
        return undefined;
    }
  }

  howToAnswer(q: Question): Rich[] {
    let how: Rich;
    if (q.type === 'integer') {
      const withUnit = (n: number) => (q.unit ? `${this.number(n)} ${this.text(q.unit)}` : this.number(n));
      if (q.max !== undefined)
        how = this.tr('ask.how.integerRange', { min: this.number(q.min), max: withUnit(q.max) });
      else if (q.min > 0) how = this.tr('ask.how.integerMin', { min: withUnit(q.min) });
      else if (q.unit) how = this.tr('ask.how.integerUnit', { unit: this.text(q.unit) });
      else how = this.tr('ask.how.integer');
    } else if (q.type === 'list') {
      how = this.tr('ask.how.list', { done: this.cmd('done') });
    } else {
      how = this.tr(`ask.how.${q.type}`);
    }
    const out = [paragraph(how)];
    if (q.type === 'single_choice' || q.type === 'multiple_choice')
      out.push(
        list(
          q.choices.map((c) => this.text(c.label)),
          true,
        ),
      );
    return out;
  }

  problem(q: Question | undefined, problem: Problem): Rich {
    const p = problem.params;
    const params: Record<string, Param> = {};
    for (const [name, value] of Object.entries(p))
      params[name] = typeof value === 'number' ? this.number(value) : value;
    switch (problem.code) {
      case 'tooFewChoices':
      case 'tooFewItems':
        params.count = Number(p.min ?? 1);
        break;
      case 'tooManyChoices':
      case 'tooManyItems':
        params.count = Number(p.max ?? 1);
        break;
      case 'unknownChoice':
        params.count = Number(p.count ?? 0);
        params.input = String(p.input ?? '');
        break;
      case 'exclusiveChoice': {
        const exclusive = q && q.type === 'multiple_choice' ? q.choices.find((c) => c.exclusive) : undefined;
        params.choice = this.text(exclusive?.label);
        break;
      }
      default:
        break;
    }
    const reason = this.tr(`invalid.${problem.code}`, params);
    return p.item !== undefined && problem.code !== 'tooManyItems'
      ? this.tr('invalid.item', { item: String(p.item), reason })
      : reason;
  }

  timeLeft(fromIso: string, toIso: string): Rich {
    const ms = Date.parse(toIso) - Date.parse(fromIso);
    const day = 86_400_000;
    const hour = 3_600_000;
    if (ms >= 2 * day) return this.tr('timeLeft.days', { count: Math.floor(ms / day) });
    if (ms >= hour) return this.tr('timeLeft.hours', { count: Math.floor(ms / hour) });
    return this.tr('timeLeft.minutes', { count: Math.max(1, Math.ceil(ms / 60_000)) });
  }

  progressBar(answered: number, total: number): Rich {
    const ratio = total === 0 ? 1 : answered / total;
    const filled = Math.round(ratio * BAR_CELLS);
    const bar = '▓'.repeat(filled) + '░'.repeat(BAR_CELLS - filled);
    const percent = new Intl.NumberFormat(localeOf(this.lang), {
      style: 'percent',
      maximumFractionDigits: 0,
    }).format(ratio);
    return this.tr('progress.bar', { bar: code(bar), percent });
  }
}

/** `again`: right after a refusal that already showed an example. */
function renderAsk(r: Renderer, intent: Extract<ReplyIntent, { kind: 'ask' }>, again = false): Rich {
  const q = r.question(intent.questionId);
  if (!q) return paragraph(r.qNumber(intent));
  const parts: Rich[] = [];
  if (intent.newSection) {
    const index = r.questionnaire.sections.findIndex((s) => s.id === q.sectionId);
    const section = r.questionnaire.sections[index];
    parts.push(
      heading(
        r.tr('ask.section', {
          index: index + 1,
          count: r.questionnaire.sections.length,
          title: r.text(section?.title),
        }),
      ),
    );
    if (section?.intro) parts.push(paragraph(em(r.text(section.intro))));
  }
  parts.push(
    paragraph(
      join([r.qNumber(intent), ' · ', strong(r.text(q.text))]),
      q.required ? '' : em(r.tr('ask.optional', { skip: r.cmd('skip') })),
    ),
  );
  parts.push(...r.howToAnswer(q));
  const example = r.example(q);
  const obvious = q.type === 'yes_no' || q.type === 'single_choice' || q.type === 'multiple_choice';
  if (example !== undefined && !obvious && !again) parts.push(paragraph(em(r.tr('example', { example }))));
  if (intent.lastYear !== undefined) {
    // A yes/no question is simply answered again: "!oui" there means yes, not "keep".
    parts.push(
      paragraph(
        r.tr('ask.lastYear', { value: strong(r.answer(q, intent.lastYear)) }),
        q.type === 'yes_no' ? '' : r.tr('ask.lastYearHint', { yes: r.cmd('yes') }),
      ),
    );
  }
  if (q.type === 'list') {
    const items = intent.items ?? [];
    if (items.length > 0) {
      parts.push(paragraph(r.tr('ask.items', { count: items.length })), list(items.map(text)));
      parts.push(
        paragraph(
          em(r.tr('ask.listHint', { back: r.cmd('back'), clear: r.cmd('clear'), done: r.cmd('done') })),
        ),
      );
    }
  } else if (intent.current !== undefined) {
    parts.push(
      paragraph(
        r.tr('ask.current', { value: strong(r.answer(q, intent.current)) }),
        r.tr('ask.keepHint', { skip: r.cmd('skip') }),
      ),
    );
  }
  return blocks(parts);
}

function renderHelp(r: Renderer, intent: Extract<ReplyIntent, { kind: 'help' }>): Rich {
  const parts: Rich[] = [];
  const q = intent.questionId ? r.question(intent.questionId) : undefined;
  if (q) {
    parts.push(paragraph(strong(r.tr('help.about', { number: q.number })), r.text(q.text)));
    if (q.help) parts.push(paragraph(r.tr('help.why', { help: r.text(q.help) })));
    parts.push(...r.howToAnswer(q));
    const example = r.example(q);
    if (example !== undefined) parts.push(paragraph(em(r.tr('example', { example }))));
  }
  if (intent.commands.length > 0) {
    parts.push(paragraph(strong(r.tr('help.commands'))));
    parts.push(
      list(
        intent.commands.map((name) =>
          join([
            r.cmd(name),
            ' — ',
            r.tr(`commands.${name}`, { command: r.cmd(name), number: r.sampleNumber(intent.number) }),
          ]),
        ),
      ),
    );
  }
  parts.push(paragraph(em(r.tr('help.tip'))));
  return blocks(parts);
}

function renderSummary(r: Renderer, intent: Extract<ReplyIntent, { kind: 'summary' }>): Rich[] {
  const people = new Set(intent.sections.flatMap((s) => s.items.flatMap((i) => (i.by ? [i.by] : []))));
  const answered = intent.sections.reduce(
    (n, s) => n + s.items.filter((i) => i.value !== undefined).length,
    0,
  );
  // The summary lists the questions that apply; the others are counted, not listed.
  const head = blocks([
    heading(r.tr('summary.title'), 3),
    paragraph(r.counts(answered, intent.notApplicable)),
  ]);
  const section = (s: SummarySection): Rich => {
    const title = r.text(r.questionnaire.sections.find((x) => x.id === s.sectionId)?.title);
    const items = s.items.map((item) => {
      const q = r.question(item.questionId);
      const label = join([strong(`Q${item.number}`), ' · ', r.text(q?.text), ' ']);
      let value: Rich;
      if (item.value !== undefined) {
        value = r.answer(q, item.value);
        if (people.size > 1 && item.by)
          value = join([value, ' ', em(r.tr('values.by', { person: item.by }))]);
      } else if (item.skipped || !item.required) value = em(r.tr('values.skipped'));
      else value = strong(r.tr('values.missing'));
      return join([label, '→ ', value]);
    });
    return blocks([heading(r.tr('summary.section', { title }), 4), list(items)]);
  };
  const foot = paragraph(
    intent.missing.length > 0
      ? r.tr('summary.missing', { count: intent.missing.length, questions: r.refs(intent.missing) })
      : r.tr('summary.complete'),
    r.tr('summary.editHint', { edit: r.cmd('edit'), number: r.sampleNumber() }),
  );
  // Greedy grouping so that one message stays well under the event size limit.
  const messages: Rich[][] = [[head]];
  for (const s of intent.sections.filter((x) => x.items.length > 0).map(section)) {
    const current = messages[messages.length - 1] ?? [];
    const size = current.reduce((n, b) => n + b.html.length, 0);
    if (size + s.html.length > SUMMARY_CHUNK && current.length > 0) messages.push([s]);
    else current.push(s);
  }
  messages[messages.length - 1]?.push(foot);
  return messages.map(blocks);
}

function renderProgress(r: Renderer, intent: Extract<ReplyIntent, { kind: 'progress' }>): Rich {
  const sections = intent.sections
    .filter((s) => s.total > 0)
    .map((s) => {
      const title = r.text(r.questionnaire.sections.find((x) => x.id === s.sectionId)?.title);
      const counts = r.tr('progress.section', { title, done: s.done, total: s.total });
      const line = join([counts, s.done === s.total ? ' ✓' : '']);
      return s.sectionId === intent.currentSectionId ? join([line, ' ← ', em(r.tr('progress.here'))]) : line;
    });
  const open = Date.parse(intent.now) < Date.parse(intent.closesAt);
  const date = r.dateTime(intent.closesAt, intent.timeZone);
  return blocks([
    heading(r.tr('progress.title'), 4),
    paragraph(r.progressBar(intent.done, intent.total), r.counts(intent.answered, intent.notApplicable)),
    list(sections),
    paragraph(
      intent.missing > 0 ? r.tr('progress.missing', { count: intent.missing }) : r.tr('progress.noneMissing'),
      r.tr('progress.status', { status: r.tr(`status.${intent.status}`) }),
      open
        ? r.tr('progress.closesIn', { date, left: r.timeLeft(intent.now, intent.closesAt) })
        : r.tr('progress.closedOn', { date }),
    ),
  ]);
}

function renderOne(r: Renderer, intent: ReplyIntent, previous?: ReplyIntent): Rich | Rich[] {
  const yes = r.cmd('yes');
  const no = r.cmd('no');
  switch (intent.kind) {
    case 'welcome':
      return blocks([
        paragraph(r.tr('welcome.hello', { title: strong(r.text(r.questionnaire.title)) })),
        r.questionnaire.intro ? paragraph(r.text(r.questionnaire.intro)) : paragraph(),
        paragraph(
          r.tr('welcome.shape', { count: intent.total, sections: intent.sections }),
          r.tr('welcome.saving'),
        ),
        paragraph(
          r.tr('welcome.deadline', { date: strong(r.dateTime(intent.closesAt, intent.timeZone)) }),
          r.tr('welcome.commands', { help: r.cmd('help'), back: r.cmd('back'), summary: r.cmd('summary') }),
        ),
      ]);
    case 'renewalOffer':
      return paragraph(
        r.tr('renewal.offer', { count: intent.reusable }),
        r.tr('renewal.offerHint', { yes, no }),
      );
    case 'renewalAccepted':
      return paragraph(r.tr('renewal.accepted', { yes }));
    case 'renewalDeclined':
      return paragraph(r.tr('renewal.declined'));
    case 'ask':
      return renderAsk(r, intent, previous?.kind === 'invalid' && previous.questionId === intent.questionId);
    case 'invalid': {
      const q = r.question(intent.questionId);
      const example = q ? r.example(q) : undefined;
      return paragraph(
        r.tr('invalid.intro', { number: intent.number, reason: r.problem(q, intent.problem) }),
        example !== undefined ? em(r.tr('example', { example })) : '',
      );
    }
    case 'current': {
      const q = r.question(intent.questionId);
      return paragraph(r.tr('current', { number: intent.number, question: strong(r.text(q?.text)) }));
    }
    case 'lateQuickReply': {
      const edit = code(`!${commandName('edit', r.lang)} ${intent.number}`);
      const value = intent.value;
      return paragraph(
        value === undefined
          ? r.tr('lateQuickReply.open', { number: intent.number, edit })
          : r.tr('lateQuickReply.answered', {
              number: intent.number,
              value: strong(r.answer(r.question(intent.questionId), value)),
              edit,
            }),
      );
    }
    case 'listItemsAdded':
      return blocks([
        intent.added.length > 1 ? list(intent.added.map(text)) : paragraph(),
        paragraph(r.tr('list.added', { count: intent.count, done: r.cmd('done') })),
      ]);
    case 'listItemRemoved':
      return paragraph(r.tr('list.removed', { item: intent.item, count: intent.count }));
    case 'listCleared':
      return paragraph(r.tr('list.cleared', { number: intent.number, done: r.cmd('done') }));
    case 'kept':
      return paragraph(r.tr('kept', intent));
    case 'skipped':
      return paragraph(r.tr('skipped', intent));
    case 'cannotSkip':
      return paragraph(r.tr('cannotSkip', intent));
    case 'cannotGoBack':
      return paragraph(r.tr('cannotGoBack'));
    case 'confirmClear':
      return paragraph(
        r.tr('confirmClear', {
          number: intent.number,
          value: r.answer(r.question(intent.questionId), intent.value),
          yes,
          no,
        }),
      );
    case 'cleared':
      return paragraph(r.tr('cleared', intent));
    case 'clearCancelled':
      return paragraph(r.tr('clearCancelled'));
    case 'dropped':
      return paragraph(
        r.tr('dropped', { count: intent.questions.length, questions: r.refs(intent.questions) }),
      );
    case 'replaced':
      return paragraph(
        r.tr('replaced', {
          number: intent.number,
          value: r.answer(r.question(intent.questionId), intent.value),
        }),
      );
    case 'help':
      return renderHelp(r, intent);
    case 'summary':
      return renderSummary(r, intent);
    case 'progress':
      return renderProgress(r, intent);
    case 'review':
      return paragraph(
        r.tr('review', { summary: r.cmd('summary'), edit: r.cmd('edit'), submit: r.cmd('submit') }),
      );
    case 'submittedState':
      return paragraph(
        r.tr('submittedState', { edit: r.cmd('edit'), date: r.dateTime(intent.closesAt, intent.timeZone) }),
      );
    case 'submitBlocked':
      return paragraph(
        r.tr('submitBlocked', {
          count: intent.missing.length,
          questions: r.refs(intent.missing),
          edit: r.cmd('edit'),
        }),
      );
    case 'confirmSubmit':
      return paragraph(
        r.tr('confirmSubmit', { date: r.dateTime(intent.closesAt, intent.timeZone), yes, no }),
      );
    case 'submitted': {
      const date = r.dateTime(intent.closesAt, intent.timeZone);
      const done = paragraph(strong(r.tr('submitted', { date })));
      return intent.earlyFinal
        ? [done, paragraph(r.tr('finalOffer', { final: r.cmd('final'), date }))]
        : done;
    }
    case 'confirmFinal':
      return paragraph(r.tr('confirmFinal', { date: r.dateTime(intent.closesAt, intent.timeZone), yes, no }));
    case 'finalConfirmed':
      return paragraph(strong(r.tr('finalConfirmed')));
    case 'finalCancelled':
      return paragraph(r.tr('finalCancelled', { date: r.dateTime(intent.closesAt, intent.timeZone) }));
    case 'finalNotAllowed':
      return paragraph(r.tr('finalNotAllowed', { date: r.dateTime(intent.closesAt, intent.timeZone) }));
    case 'finalNeedsSubmit':
      return paragraph(r.tr('finalNeedsSubmit', { submit: r.cmd('submit') }));
    case 'submitCancelled':
      return paragraph(r.tr('submitCancelled'));
    case 'alreadySubmitted':
      return paragraph(r.tr('alreadySubmitted', { date: r.dateTime(intent.closesAt, intent.timeZone) }));
    case 'confirmWithdraw':
      return paragraph(r.tr('confirmWithdraw', { yes, no }));
    case 'withdrawn':
      return paragraph(r.tr('withdrawn', { summary: r.cmd('summary') }));
    case 'withdrawCancelled':
      return paragraph(r.tr('withdrawCancelled'));
    case 'confirmationPending':
      return paragraph(r.tr(`confirmationPending.${intent.about}`, { yes, no }));
    case 'paused':
      return paragraph(r.tr('paused', { resume: r.cmd('resume') }));
    case 'resumed':
      return paragraph(r.tr('resumed'));
    case 'isPaused':
      return paragraph(r.tr('isPaused', { resume: r.cmd('resume') }));
    case 'notPaused':
      return paragraph(r.tr('notPaused', { summary: r.cmd('summary') }));
    case 'languageChanged':
      return paragraph(new Renderer(intent.lang, r.questionnaire).tr('languageChanged'));
    case 'languageUnknown':
      return paragraph(
        r.tr('languageUnknown', { languages: intent.available.join(', '), language: r.cmd('language') }),
      );
    case 'closed': {
      const date = r.dateTime(intent.closesAt, intent.timeZone);
      return paragraph(r.tr(intent.submitted ? 'closedSubmitted' : 'closed', { date }));
    }
    case 'frozen':
      return paragraph(r.tr(`frozen.${intent.status}`));
    case 'decided':
      return paragraph(r.tr('decided', { level: strong(intent.level) }));
    case 'unknownQuestion':
      return paragraph(
        r.tr('unknownQuestion', { target: intent.target, total: intent.total, summary: r.cmd('summary') }),
      );
    case 'notApplicable':
      return paragraph(r.tr('notApplicable', intent));
    case 'notAvailable':
      return paragraph(r.tr('notAvailable', { command: r.cmd(intent.command), help: r.cmd('help') }));
    case 'unknownCommand':
      return paragraph(r.tr('unknownCommand', { command: code(`!${intent.command}`), help: r.cmd('help') }));
    case 'missingArgument': {
      const example = intent.command === 'edit' || intent.command === 'clear' ? ` ${r.sampleNumber()}` : '';
      return paragraph(
        r.tr('missingArgument', { example: code(`!${commandName(intent.command, r.lang)}${example}`) }),
      );
    }
    case 'welcomeBack':
      return paragraph(
        r.tr('welcomeBack', {
          user: intent.user,
          count: intent.answered,
          total: intent.total,
          summary: r.cmd('summary'),
        }),
      );
    case 'notAQuestionNow': {
      const which = intent.status === 'draft' || intent.status === 'submitted' ? intent.status : 'other';
      return paragraph(r.tr(`notAQuestionNow.${which}`, { edit: r.cmd('edit'), submit: r.cmd('submit') }));
    }
  }
}

/**
 * Renders one step's replies in `lang` (a person's language; unknown languages fall back to
 * French). Returns the messages to send, in order: usually one, more for a long summary.
 */
export function renderReplies(
  intents: readonly ReplyIntent[],
  lang: string,
  questionnaire: Questionnaire,
): RenderedMessage[] {
  const renderer = new Renderer(lang, questionnaire);
  const messages: RenderedMessage[] = [];
  let pending: Rich[] = [];
  const flush = () => {
    if (pending.length) messages.push(blocks(pending));
    pending = [];
  };
  let previous: ReplyIntent | undefined;
  for (const intent of intents) {
    const out = renderOne(renderer, intent, previous);
    const afterSummary = previous?.kind === 'summary' && pending.length === 0 && messages.length > 0;
    previous = intent;
    if (intent.kind === 'current' && afterSummary && !Array.isArray(out)) {
      // The reminder ends the summary's last message rather than making one of its own.
      const last = messages.pop() as RenderedMessage;
      messages.push(blocks([{ plain: last.plain, html: last.html }, out]));
    } else if (Array.isArray(out)) {
      // A summary: its own message(s), the rest of the step after it.
      flush();
      messages.push(...out.map((m) => ({ plain: m.plain, html: m.html })));
    } else {
      pending.push(out);
    }
  }
  flush();
  return messages.filter((m) => m.plain.trim() !== '');
}

/** One answer as text (for other renderers: dossier exports, notifications). */
export function formatAnswer(
  questionnaire: Questionnaire,
  questionId: string,
  value: AnswerValue,
  lang: string,
): Rich {
  const r = new Renderer(lang, questionnaire);
  return r.answer(r.question(questionId), value);
}
