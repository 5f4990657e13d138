// Jury commands as people type them: `!` then a French or English name, accents and
// case ignored. A dossier is named by its jury number (`#12`) or, in its thread, implied.
//
//   !vote [#12] 3            !voter argent          (a level: position, id or label)
//   !abstain [#12]           !abstention
//   !recuse [#12]            !deport                (conflict of interest)
//   !note <text>             !question <text>       !mention <text>
//   !tally [#12]             !decompte              (in the room, not a thread: ranking)
//   !decide [#12] [level]    !decider               followed by labelled lines:
//        reason: ...  / motif: ...     mentions: a, b     message: ... (to the candidate)
//   !correct [#12] [level]   !corriger              same lines; a reason is required
//   !remind [#12]            !relancer              !help / !aide     !notes
import { fold } from '../text.ts';
import { type LevelScale, parseLevel } from './scale.ts';

export type JuryCommand =
  | { name: 'vote'; dossier: number | null; level: number }
  | { name: 'abstain'; dossier: number | null }
  | { name: 'recuse'; dossier: number | null; text: string }
  | { name: 'note'; dossier: number | null; text: string }
  | { name: 'notes'; dossier: number | null }
  | { name: 'question'; dossier: number | null; text: string }
  | { name: 'mention'; dossier: number | null; text: string }
  | { name: 'tally'; dossier: number | null }
  | { name: 'decide' | 'correct'; dossier: number | null; draft: DraftFields }
  | { name: 'remind'; dossier: number | null }
  | { name: 'help' };

export interface DraftFields {
  /** null: not given (the proposed level for a decision, unchanged for a correction). */
  level: number | null;
  reason: string | null;
  /** null: not given. */
  mentions: string[] | null;
  message: string | null;
}

export type ParseError =
  | { error: 'unknownCommand'; command: string }
  | { error: 'levelMissing'; command: string }
  | { error: 'unknownLevel'; command: string; input: string }
  | { error: 'textMissing'; command: string };

export type ParseOutcome = { ok: true; command: JuryCommand } | ({ ok: false } & ParseError) | null;

type Name = JuryCommand['name'];

const NAMES: Record<string, Name> = {};
const ALIASES: Record<Name, string[]> = {
  vote: ['vote', 'voter'],
  abstain: ['abstain', 'abstention', 'abstenir', 'mabstenir'],
  recuse: ['recuse', 'recusal', 'recusation', 'deport', 'deporter', 'conflict', 'conflit'],
  note: ['note', 'annotate', 'annoter', 'annotation'],
  notes: ['notes', 'annotations'],
  question: ['question', 'ask', 'demander', 'poser'],
  mention: ['mention', 'proposer-mention'],
  tally: ['tally', 'count', 'decompte', 'depouillement', 'resultat', 'resultats', 'results'],
  decide: ['decide', 'decision', 'decider'],
  correct: ['correct', 'correction', 'corriger'],
  remind: ['remind', 'reminder', 'relancer', 'relance', 'rappel'],
  help: ['help', 'aide'],
};
for (const [name, aliases] of Object.entries(ALIASES))
  for (const alias of aliases) NAMES[alias] = name as Name;

/** Command names in one language, for the help message. */
export const COMMAND_NAMES = {
  fr: {
    vote: 'voter',
    abstain: 'abstention',
    recuse: 'deport',
    note: 'note',
    notes: 'notes',
    question: 'question',
    mention: 'mention',
    tally: 'decompte',
    decide: 'decider',
    correct: 'corriger',
    remind: 'relancer',
    help: 'aide',
  },
  en: {
    vote: 'vote',
    abstain: 'abstain',
    recuse: 'recuse',
    note: 'note',
    notes: 'notes',
    question: 'question',
    mention: 'mention',
    tally: 'tally',
    decide: 'decide',
    correct: 'correct',
    remind: 'remind',
    help: 'help',
  },
} as const satisfies Record<string, Record<Name, string>>;

const FIELD_LABELS: Record<string, keyof Omit<DraftFields, 'level'>> = {
  reason: 'reason',
  raison: 'reason',
  motif: 'reason',
  justification: 'reason',
  mention: 'mentions',
  mentions: 'mentions',
  message: 'message',
};
const LABEL = /^\s*(reason|raison|motif|justification|mentions?|message)\s*:\s*/i;
const PROPOSED = new Set(['proposed', 'propose', 'proposee', 'median', 'mediane']);

/** A leading `#12` (or `n°12`, `no 12`): the dossier's jury number. */
function takeDossier(args: string): { dossier: number | null; rest: string } {
  const match = /^(?:#|n°\s*|no\.?\s+)(\d{1,6})\b\s*/i.exec(args);
  if (!match) return { dossier: null, rest: args };
  return { dossier: Number(match[1]), rest: args.slice(match[0].length) };
}

/** Parses a message; null when it is not a command (discussion). */
export function parseJuryCommand(body: string, scale: LevelScale): ParseOutcome {
  const trimmed = body.trim();
  if (!trimmed.startsWith('!')) return null;
  const match = /^!(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return null;
  const typed = match[1] as string;
  const name = NAMES[fold(typed).replace(/[’']/g, '')];
  if (!name) return { ok: false, error: 'unknownCommand', command: typed };
  const args = (match[2] as string).trim();
  const { dossier, rest } = takeDossier(args);
  const text = rest.trim();
  switch (name) {
    case 'help':
      return { ok: true, command: { name } };
    case 'vote': {
      // "!vote 12 3" in a private room: a bare number then a level is also a dossier and a level.
      let target = dossier;
      let levelText = text;
      const pair = /^(\d{1,6})\s+(\S.*)$/.exec(text);
      if (target === null && pair && parseLevel(scale, pair[2] as string) !== null) {
        target = Number(pair[1]);
        levelText = pair[2] as string;
      }
      if (!levelText) return { ok: false, error: 'levelMissing', command: typed };
      const level = parseLevel(scale, levelText);
      if (level === null) return { ok: false, error: 'unknownLevel', command: typed, input: levelText };
      return { ok: true, command: { name, dossier: target, level } };
    }
    case 'abstain':
    case 'notes':
    case 'tally':
    case 'remind':
      return { ok: true, command: { name, dossier } };
    case 'recuse':
      return { ok: true, command: { name, dossier, text } };
    case 'note':
    case 'question':
    case 'mention':
      if (!text) return { ok: false, error: 'textMissing', command: typed };
      return { ok: true, command: { name, dossier, text } };
    case 'decide':
    case 'correct': {
      const draft = parseDraft(text, scale);
      if ('error' in draft) return { ok: false, error: 'unknownLevel', command: typed, input: draft.input };
      return { ok: true, command: { name, dossier, draft } };
    }
  }
}

/** "[level] [label: ...]\nlabel: ...": the level on the first line, then labelled fields. */
function parseDraft(text: string, scale: LevelScale): DraftFields | { error: 'unknownLevel'; input: string } {
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  // The first line may carry a label right after the level: "4 reason: ...".
  const inline = /^(.*?)\s*\b((?:reason|raison|motif|justification|mentions?|message)\s*:.*)$/i.exec(first);
  const head = (inline ? inline[1] : first)?.trim() ?? '';
  const body = [...(inline ? [inline[2] as string] : []), ...lines.slice(1)];
  const draft: DraftFields = { level: null, reason: null, mentions: null, message: null };
  if (head && !PROPOSED.has(fold(head))) {
    const level = parseLevel(scale, head);
    if (level === null) return { error: 'unknownLevel', input: head };
    draft.level = level;
  }
  let field: keyof Omit<DraftFields, 'level'> | null = null;
  const parts: Record<string, string[]> = {};
  for (const line of body) {
    const label = LABEL.exec(line);
    if (label) {
      field = FIELD_LABELS[(label[1] as string).toLowerCase()] ?? null;
      if (field) (parts[field] ??= []).push(line.slice(label[0].length));
    } else if (field) (parts[field] ??= []).push(line);
  }
  const joined = (key: string) => {
    const value = parts[key]?.join('\n').trim();
    return value ? value : null;
  };
  draft.reason = joined('reason');
  draft.message = joined('message');
  const mentions = parts.mentions?.join(',');
  if (mentions !== undefined) {
    draft.mentions = mentions
      .split(/[,;\n]/)
      .map((m) => m.trim())
      .filter((m) => m && !['aucune', 'none', '-'].includes(fold(m)));
  }
  return draft;
}
