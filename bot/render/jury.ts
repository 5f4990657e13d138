// The jury's messages, in plain text and Matrix HTML. Translations carry no markup:
// each line is translated twice, once with raw values (plain) and once with escaped
// values (HTML), so candidate and juror text can never inject tags.
import { type LevelScale, levelLabel } from '../../flows/jury/scale.ts';
import { translator } from '../../locales/i18n.ts';
import { escapeHtml } from '../html-guard.ts';
import { formatDateTime, type Translate, translateHtml } from './dossier.ts';

export interface Rendered {
  plain: string;
  html: string;
}

export type Params = Record<string, string | number>;
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
type WithoutPlural<K extends string> = K extends `${infer Base}_${'one' | 'many' | 'other'}` ? Base : K;
/** Every message key of the jury namespace (plural forms by their base key). */
export type JuryKey = WithoutPlural<Leaves<typeof import('../../locales/fr/jury.json')>>;

/** Builds a message line by line; `wrap` puts the HTML of a line in a tag. */
export class Lines {
  private readonly plain: string[] = [];
  private readonly html: string[] = [];
  private readonly lang: string;
  private readonly t: ReturnType<typeof translator<'jury'>>;

  constructor(lang: string) {
    this.lang = lang;
    this.t = translator(lang, 'jury');
  }

  say(key: JuryKey, params: Params = {}, wrap: 'p' | 'b' | 'li' | 'i' = 'p'): this {
    const t = this.t as unknown as Translate;
    this.plain.push(wrap === 'li' ? `• ${t(key, params)}` : t(key, params));
    const html = translateHtml(t, key, params).replace(/\n/g, '<br>');
    this.html.push(
      wrap === 'b'
        ? `<p><b>${html}</b></p>`
        : wrap === 'i'
          ? `<p><i>${html}</i></p>`
          : `<${wrap}>${html}</${wrap}>`,
    );
    return this;
  }

  /** A quoted block of someone's text. */
  quote(text: string): this {
    this.plain.push(text.replace(/^/gm, '> '));
    this.html.push(`<blockquote>${escapeHtml(text).replace(/\n/g, '<br>')}</blockquote>`);
    return this;
  }

  raw(block: Rendered): this {
    this.plain.push(block.plain);
    this.html.push(block.html);
    return this;
  }

  list(build: (l: Lines) => void): this {
    const inner = new Lines(this.lang);
    build(inner);
    this.plain.push(...inner.plain);
    this.html.push(`<ul>${inner.html.join('')}</ul>`);
    return this;
  }

  done(): Rendered {
    return { plain: this.plain.join('\n'), html: this.html.join('') };
  }
}

/** Whether the scale's labels only repeat the positions ("niveau 3"): then numbers say it all. */
export function isNumbered(scale: LevelScale, lang: string): boolean {
  return scale.levels.every(
    (_, i) =>
      /^\D*\d+$/.test(levelLabel(scale, i, lang)) && levelLabel(scale, i, lang).endsWith(String(i + 1)),
  );
}

/** The levels as a person may type them: "1, 2, 3, 4, 5" or "1 = Badge, 2 = Bronze…". */
export function levelsText(scale: LevelScale, lang: string): string {
  if (isNumbered(scale, lang)) return scale.levels.map((_, i) => String(i + 1)).join(', ');
  return scale.levels.map((_, i) => `${i + 1} = ${levelLabel(scale, i, lang)}`).join(', ');
}

/** The scale in one sentence, for welcomes and help. */
export function scaleLine(l: Lines, scale: LevelScale, lang: string): Lines {
  return isNumbered(scale, lang)
    ? l.say('ballot.levelsNumbered', { max: scale.levels.length })
    : l.say('ballot.levelsNamed', { levels: levelsText(scale, lang) });
}

export function percent(count: number, total: number, lang: string): string {
  const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(
    total ? count / total : 0,
  );
}

/** A Matrix "pill" for a user, pinging them only if they are in m.mentions. */
export function pill(userId: string): Rendered {
  return {
    plain: userId,
    html: `<a href="https://matrix.to/#/${encodeURIComponent(userId)}">${escapeHtml(userId)}</a>`,
  };
}

export interface DossierRef {
  number: number;
  name: string;
}

/** The dossier's root message: its header, whether it is provisional or final, how to act. */
export function rootMessage(
  header: Rendered,
  ref: DossierRef,
  finality: { provisionalUntil: string | null },
  lang: string,
): Rendered {
  const l = new Lines(lang).raw(header);
  if (finality.provisionalUntil) l.say('root.provisional', { date: finality.provisionalUntil }, 'b');
  else l.say('root.final', {}, 'b');
  return l.say('root.howTo', { number: ref.number }, 'i').done();
}

export function votingOpenInThread(ref: DossierRef, lang: string): Rendered {
  return new Lines(lang).say('thread.votingOpen', { number: ref.number }, 'b').done();
}

export function threadIntro(ref: DossierRef, lang: string): Rendered {
  return new Lines(lang).say('thread.intro', { name: ref.name }, 'i').done();
}

export function updatedMessage(count: number, changes: Rendered, lang: string): Rendered {
  return new Lines(lang)
    .say('dossier.changesTitle', {}, 'b')
    .say('thread.updated', { count })
    .raw(changes)
    .say('thread.updatedFile', {}, 'i')
    .done();
}

export function withdrawnMessage(ref: DossierRef, lang: string): Rendered {
  return new Lines(lang).say('thread.withdrawn', { name: ref.name }, 'b').done();
}

export function simple(lang: string, key: JuryKey, params: Params = {}): Rendered {
  return new Lines(lang).say(key, params).done();
}

export function voteRecorded(
  ref: DossierRef,
  scale: LevelScale,
  level: number | null,
  before: number | null,
  lang: string,
): Rendered {
  const base = { number: ref.number, name: ref.name };
  if (level === null) return simple(lang, 'vote.abstained', base);
  const label = levelLabel(scale, level, lang);
  if (before !== null && before !== level) {
    return simple(lang, 'vote.changed', { ...base, level: label, before: levelLabel(scale, before, lang) });
  }
  return simple(lang, 'vote.recorded', { ...base, level: label });
}

export interface DecisionView {
  ref: DossierRef;
  scale: LevelScale;
  level: number;
  proposed: number | null;
  reason: string | null;
  mentions: readonly string[];
  message: string | null;
  by: string;
}

export function decisionMessage(view: DecisionView, lang: string): Rendered {
  const l = new Lines(lang);
  l.say(
    'decision.recorded',
    {
      number: view.ref.number,
      name: view.ref.name,
      level: levelLabel(view.scale, view.level, lang),
      by: view.by,
    },
    'b',
  );
  if (view.proposed !== null)
    l.say('decision.proposedWas', { level: levelLabel(view.scale, view.proposed, lang) });
  decisionDetails(l, view);
  l.say('decision.notice', {}, 'i');
  return l.done();
}

function decisionDetails(
  l: Lines,
  view: { reason: string | null; mentions: readonly string[]; message: string | null },
) {
  if (view.reason) l.say('decision.reason', { text: view.reason });
  if (view.mentions.length) l.say('decision.mentions', { list: view.mentions.join(', ') });
  if (view.message) l.say('decision.message').quote(view.message);
  else l.say('decision.noMessage');
}

export function correctionMessage(
  view: DecisionView & { before: number; correctionReason: string; published: boolean },
  lang: string,
): Rendered {
  const l = new Lines(lang);
  l.say(
    'decision.corrected',
    {
      number: view.ref.number,
      name: view.ref.name,
      by: view.by,
      before: levelLabel(view.scale, view.before, lang),
      level: levelLabel(view.scale, view.level, lang),
    },
    'b',
  );
  l.say('decision.correctionReason', { text: view.correctionReason });
  decisionDetails(l, { reason: null, mentions: view.mentions, message: view.message });
  if (view.published) l.say('decision.alreadyPublished', {}, 'b');
  return l.done();
}

export function questionForCandidate(questionNumber: number, text: string, lang: string): Rendered {
  return new Lines(lang)
    .say('question.toCandidate', { question: questionNumber }, 'b')
    .quote(text)
    .say('question.howToReply', { question: questionNumber }, 'i')
    .done();
}

export function replyRelayed(
  sender: string,
  question: { number: number; text: string } | null,
  text: string,
  lang: string,
): Rendered {
  const l = new Lines(lang);
  if (question) {
    l.say('question.replyTitle', { sender, question: question.number, question_text: question.text }, 'b');
  } else l.say('question.replyFree', { sender }, 'b');
  return l.quote(text).done();
}

export function notesMessage(
  ref: DossierRef,
  notes: ReadonlyArray<{ author: string; at: Date; text: string }>,
  lang: string,
  timeZone: string,
): Rendered {
  const l = new Lines(lang);
  if (notes.length === 0) return l.say('note.none', { number: ref.number }).done();
  l.say('note.listTitle', { number: ref.number, name: ref.name }, 'b');
  l.list((list) => {
    for (const n of notes) {
      list.say(
        'note.entry',
        { author: n.author, date: formatDateTime(n.at, lang, timeZone), text: n.text },
        'li',
      );
    }
  });
  return l.done();
}

export function reminderMessage(
  byJuror: ReadonlyArray<{ juror: string; dossiers: readonly number[] }>,
  deadline: Date | null,
  lang: string,
  timeZone: string,
): Rendered {
  const l = new Lines(lang);
  if (byJuror.length === 0) return l.say('remind.nothing').done();
  l.say('remind.title', {}, 'b');
  const items: Rendered[] = byJuror.map(({ juror, dossiers }) => {
    const list = dossiers.map((n) => `#${n}`).join(', ');
    const t = translator(lang, 'jury');
    const who = pill(juror);
    return {
      plain: `• ${t('remind.line', { juror: who.plain, dossiers: list })}`,
      html: `<li>${translateHtml(t, 'remind.line', { dossiers: list }, { juror: who.html })}</li>`,
    };
  });
  l.raw({
    plain: items.map((i) => i.plain).join('\n'),
    html: `<ul>${items.map((i) => i.html).join('')}</ul>`,
  });
  if (deadline) l.say('remind.deadline', { date: formatDateTime(deadline, lang, timeZone) });
  return l.done();
}

export function helpMessage(scale: LevelScale, lang: string): Rendered {
  const l = new Lines(lang).say('help.title', {}, 'b');
  l.list((list) => {
    for (const key of [
      'help.vote',
      'help.abstain',
      'help.recuse',
      'help.note',
      'help.question',
      'help.mention',
      'help.tally',
      'help.decide',
      'help.correct',
      'help.remind',
    ] as const) {
      list.say(key, {}, 'li');
    }
  });
  return scaleLine(l, scale, lang).done();
}
