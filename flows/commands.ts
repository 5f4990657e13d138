// Commands start with "!" so that an answer is never taken for a command. Every command
// has French and English names and both work whatever the person's language; names are
// compared without case or accents. "!resume" means resume (English); the French for the
// summary is "!recap" (and "!résumé" typed with its accents is understood as summary).
import { cleanText, fold } from './text.ts';

export const COMMANDS = [
  'help',
  'back',
  'skip',
  'edit',
  'summary',
  'progress',
  'language',
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
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** The name shown to people, by language (other languages show the English one). */
export const COMMAND_NAMES: Readonly<Record<CommandName, Readonly<Record<'fr' | 'en', string>>>> = {
  help: { fr: 'aide', en: 'help' },
  back: { fr: 'retour', en: 'back' },
  skip: { fr: 'passer', en: 'skip' },
  edit: { fr: 'modifier', en: 'edit' },
  summary: { fr: 'recap', en: 'summary' },
  progress: { fr: 'progression', en: 'progress' },
  language: { fr: 'langue', en: 'language' },
  pause: { fr: 'pause', en: 'pause' },
  resume: { fr: 'reprendre', en: 'resume' },
  submit: { fr: 'soumettre', en: 'submit' },
  withdraw: { fr: 'retirer', en: 'withdraw' },
  final: { fr: 'definitif', en: 'final' },
  yes: { fr: 'oui', en: 'yes' },
  no: { fr: 'non', en: 'no' },
  done: { fr: 'fini', en: 'done' },
  clear: { fr: 'effacer', en: 'clear' },
  cancel: { fr: 'annuler', en: 'cancel' },
};

// Every accepted spelling (already folded: lower case, no accents).
const ALIASES: Readonly<Record<CommandName, readonly string[]>> = {
  help: ['aide', 'help', '?'],
  back: ['retour', 'back', 'precedent', 'previous', 'prev'],
  skip: ['passer', 'skip', 'suivant', 'next'],
  edit: ['modifier', 'edit', 'changer', 'change'],
  summary: ['recap', 'recapitulatif', 'summary', 'sommaire'],
  progress: ['progression', 'progress', 'avancement', 'status', 'etat'],
  language: ['langue', 'language', 'lang'],
  pause: ['pause'],
  resume: ['reprendre', 'resume', 'continuer', 'continue'],
  submit: ['soumettre', 'submit', 'deposer', 'envoyer', 'send'],
  withdraw: ['retirer', 'withdraw', 'abandonner'],
  final: ['definitif', 'final', 'finaliser', 'finalize', 'finalise'],
  yes: ['oui', 'yes', 'o', 'y', 'garder', 'keep', 'confirmer', 'confirm'],
  no: ['non', 'no', 'n'],
  done: ['fini', 'fin', 'termine', 'done', 'finish', 'end'],
  clear: ['effacer', 'clear', 'vider', 'supprimer', 'delete'],
  cancel: ['annuler', 'cancel'],
};

const BY_ALIAS = new Map<string, CommandName>();
for (const name of COMMANDS) for (const alias of ALIASES[name]) BY_ALIAS.set(alias, name);

/** Commands that need an argument, and those that take an optional one. */
const ARGUMENT: Partial<Record<CommandName, 'required' | 'optional'>> = {
  edit: 'required',
  help: 'optional',
  language: 'optional',
  clear: 'optional',
};

export type ParsedInput =
  | { kind: 'answer'; text: string }
  | { kind: 'command'; name: CommandName; arg?: string }
  | { kind: 'unknownCommand'; word: string }
  | { kind: 'missingArgument'; name: CommandName };

export function parseInput(text: string): ParsedInput {
  // "\u200b!recap" is still the command: invisible characters do not hide it.
  const trimmed = cleanText(text);
  const match = /^!\s*(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return { kind: 'answer', text };
  const rawWord = match[1] ?? '';
  const rest = (match[2] ?? '').trim();
  // Checked before folding: "résumé" with its accents is French for summary.
  const name = rawWord.toLowerCase() === 'résumé' ? 'summary' : BY_ALIAS.get(fold(rawWord));
  if (!name) return { kind: 'unknownCommand', word: rawWord };
  const argument = ARGUMENT[name];
  if (argument === 'required' && rest === '') return { kind: 'missingArgument', name };
  return argument && rest !== '' ? { kind: 'command', name, arg: rest } : { kind: 'command', name };
}

export function commandName(name: CommandName, lang: string): string {
  return COMMAND_NAMES[name][lang === 'fr' ? 'fr' : 'en'];
}
