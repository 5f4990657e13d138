// The authorisation design, written down as data: who may use which command in which
// room (issues 6, 7 and 8), how to tell from the bot's reply whether it was allowed,
// refused or not understood, and the Markdown table of docs/authorization.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROLES = ['candidate', 'coEditor', 'stranger', 'juror', 'recused', 'organiser'] as const;
export type Role = (typeof ROLES)[number];

export const ROOMS = ['candidacy', 'lobby', 'dm', 'jury', 'ballot', 'organisers'] as const;
export type RoomKind = (typeof ROOMS)[number];

/**
 * allowed: the command ran (its own reply, or a refusal about the state of things such as
 * "no quorum yet", which means the person was allowed to ask); refused: the person may not
 * do this here; unknown: this room has no such command (the bot says so, or shows its help);
 * silent: not a command here (discussion), no reply; error: the bot failed (never designed).
 */
export type Outcome = 'allowed' | 'refused' | 'unknown' | 'silent' | 'error';

export interface Command {
  text: string;
  /** Whose command it is, for the table. */
  family: 'candidate' | 'lobby' | 'jury' | 'organiser';
  label: string;
}

/**
 * Dossier numbers in the jury: #1 is read and decided on (nobody voted on it: no quorum),
 * #2 is voted on, #3 is where the juror declares a conflict of interest. The recused
 * juror recused on all three before the matrix runs.
 */
export const COMMANDS: Command[] = [
  { family: 'candidate', text: 'Commune de Matrice', label: 'an answer (plain text)' },
  { family: 'candidate', text: '!aide', label: 'help' },
  { family: 'candidate', text: '!retour', label: 'back' },
  { family: 'candidate', text: '!passer', label: 'skip' },
  { family: 'candidate', text: '!modifier 1', label: 'edit an answer' },
  { family: 'candidate', text: '!recap', label: 'summary' },
  { family: 'candidate', text: '!progression', label: 'progress' },
  { family: 'candidate', text: '!langue fr', label: 'language' },
  { family: 'candidate', text: '!pause', label: 'pause' },
  { family: 'candidate', text: '!reprendre', label: 'resume' },
  { family: 'candidate', text: '!soumettre', label: 'submit' },
  { family: 'candidate', text: '!retirer', label: 'withdraw' },
  { family: 'candidate', text: '!oui', label: 'yes (confirm)' },
  { family: 'candidate', text: '!non', label: 'no' },
  { family: 'candidate', text: '!fini', label: 'done (list)' },
  { family: 'candidate', text: '!effacer 1', label: 'clear an answer' },
  { family: 'candidate', text: '!annuler', label: 'cancel' },
  { family: 'candidate', text: '!inviter @{coEditor}', label: 'invite a co-editor' },
  { family: 'lobby', text: '!candidater', label: 'start a candidacy' },
  { family: 'jury', text: '!voter #2 3', label: 'vote' },
  { family: 'jury', text: '!abstention #2', label: 'abstain' },
  { family: 'jury', text: '!deport #3', label: 'declare a conflict of interest' },
  { family: 'jury', text: '!note #1 Dossier solide.', label: 'private note' },
  { family: 'jury', text: '!notes #1', label: 'read the notes' },
  {
    family: 'jury',
    text: '!question #1 Combien de postes sous GNU/Linux ?',
    label: 'question to the candidate',
  },
  { family: 'jury', text: '!mention #1 Coup de cœur', label: 'propose a mention' },
  { family: 'jury', text: '!decompte #1', label: 'tally' },
  { family: 'jury', text: '!decider #1', label: 'decide' },
  { family: 'jury', text: '!corriger #1\nmotif: erreur de saisie', label: 'correct a decision' },
  { family: 'jury', text: '!relancer #1', label: 'remind jurors' },
  { family: 'organiser', text: '!campagne liste', label: 'list campaigns' },
  { family: 'organiser', text: '!campagne voir', label: 'show a campaign' },
  { family: 'organiser', text: '!statut', label: 'dashboard' },
  { family: 'organiser', text: '!diffusions', label: 'broadcasts' },
  { family: 'organiser', text: '!exporter csv', label: 'export' },
  { family: 'organiser', text: '!confirmer', label: 'confirm' },
  {
    family: 'organiser',
    text: '!campagne créer 2031 "Label TNL 2031" questionnaire=badge-2026 ouverture=2031-01-10 clôture=2031-03-10',
    label: 'create a campaign',
  },
  { family: 'organiser', text: '!campagne prolonger {extended}', label: 'extend the closing date' },
  { family: 'organiser', text: '!campagne ouvrir', label: 'open a campaign' },
  { family: 'organiser', text: '!campagne clore', label: 'close a campaign' },
  { family: 'organiser', text: '!relancer', label: 'remind candidates' },
  { family: 'organiser', text: '!annonce tous\nBonjour à toutes et à tous.', label: 'announce' },
  { family: 'organiser', text: '!publier', label: 'publish results' },
  { family: 'organiser', text: '!reessayer', label: 'retry a broadcast' },
];

/** Commands each room understands as its own (the others are foreign there). */
const NATIVE: Record<RoomKind, (c: Command) => boolean> = {
  candidacy: (c) => c.family === 'candidate',
  lobby: (c) => c.family === 'lobby' || c.text === '!aide' || c.text === '!langue fr',
  dm: (c) => c.family === 'lobby' || c.text === '!aide' || c.text === '!langue fr',
  jury: (c) => c.family === 'jury' || c.text === '!aide',
  ballot: (c) => c.family === 'jury' || c.text === '!aide',
  organisers: (c) => c.family === 'organiser' || ['!aide', '!langue fr', '!annuler'].includes(c.text),
};

/**
 * Foreign commands tried in every room: a plain text and one command of each family (a room
 * treats every command it does not know the same way, so one stands for all).
 */
const FOREIGN = ['Commune de Matrice', '!soumettre', '!candidater', '!voter #2 3', '!campagne clore'];

/** The commands tried in a room: all of its own, and the foreign sample. */
export function commandsFor(room: RoomKind): Command[] {
  return COMMANDS.filter((c) => NATIVE[room](c) || FOREIGN.includes(c.text));
}

export interface Expectation {
  outcome: Outcome;
  /** Why, in words, for the table. */
  because?: string;
}

const MEMBERS_OF_CANDIDACY: readonly Role[] = ['candidate', 'coEditor'];
const JURY_MEMBERS: readonly Role[] = ['juror', 'recused', 'organiser'];

/** What the design says should happen. `ballot`: the juror's own ballot room for the two jurors, the juror's for anyone else. */
export function designed(room: RoomKind, role: Role, command: Command): Expectation {
  const native = NATIVE[room](command);
  const isCommand = command.text.startsWith('!');
  switch (room) {
    case 'candidacy':
      if (!MEMBERS_OF_CANDIDACY.includes(role))
        return { outcome: 'refused', because: 'not part of the candidacy' };
      if (!native) return { outcome: 'unknown' };
      if (command.text.startsWith('!inviter') && role !== 'candidate')
        return { outcome: 'refused', because: 'only the lead invites' };
      return { outcome: 'allowed' };
    case 'lobby':
    case 'dm':
      if (!isCommand) return room === 'dm' ? { outcome: 'unknown', because: 'help' } : { outcome: 'silent' };
      return native ? { outcome: 'allowed' } : { outcome: 'unknown', because: 'help' };
    case 'organisers':
      if (!isCommand) return { outcome: 'silent' };
      if (role !== 'organiser') return { outcome: 'refused', because: 'not an organiser' };
      return native ? { outcome: 'allowed' } : { outcome: 'unknown' };
    case 'jury':
    case 'ballot':
      break;
  }
  if (!isCommand) return { outcome: 'silent' };
  if (room === 'ballot' && !['juror', 'recused'].includes(role))
    return { outcome: 'refused', because: "another juror's ballot room" };
  if (!JURY_MEMBERS.includes(role)) return { outcome: 'refused', because: 'not in the jury' };
  if (!native) return { outcome: 'unknown' };
  const name = command.text.split(/\s/)[0];
  const recused = role === 'recused';
  switch (name) {
    case '!voter':
    case '!abstention':
      if (role === 'organiser') return { outcome: 'refused', because: 'only jurors vote' };
      if (recused) return { outcome: 'refused', because: 'recused on this dossier' };
      return room === 'jury'
        ? { outcome: 'refused', because: 'secret ballot: vote in your ballot room' }
        : { outcome: 'allowed' };
    case '!deport':
      return role === 'organiser'
        ? { outcome: 'refused', because: 'only jurors recuse' }
        : { outcome: 'allowed' };
    case '!note':
    case '!notes':
    case '!question':
    case '!mention':
      return recused ? { outcome: 'refused', because: 'recused on this dossier' } : { outcome: 'allowed' };
    case '!decompte':
      if (recused) return { outcome: 'refused', because: 'recused on this dossier' };
      return role === 'organiser'
        ? { outcome: 'allowed' }
        : { outcome: 'refused', because: 'hidden until one has voted' };
    case '!decider':
    case '!corriger':
      return role === 'organiser'
        ? { outcome: 'allowed' }
        : { outcome: 'refused', because: 'organisers and the president decide' };
    default:
      return { outcome: 'allowed' };
  }
}

// --- Reading replies ------------------------------------------------------------------------

const LOCALES = join(import.meta.dirname, '..', '..', '..', 'locales');

function template(lang: string, ns: string, key: string): string {
  const data = JSON.parse(readFileSync(join(LOCALES, lang, `${ns}.json`), 'utf8')) as Record<string, unknown>;
  let value: unknown = data;
  for (const part of key.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  if (typeof value !== 'string') throw new Error(`no message ${lang}/${ns}:${key}`);
  return value;
}

/** A reply of this message in French or English, whatever its parameters. */
export function pattern(ns: string, key: string): RegExp {
  const alternatives = ['fr', 'en'].map((lang) =>
    template(lang, ns, key)
      .split(/\{\{[^}]+\}\}/)
      .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[\\s\\S]*?'),
  );
  return new RegExp(alternatives.join('|'));
}

/** Refusals about who is asking (as opposed to the state of things). */
const REFUSALS: Array<[string, string]> = [
  ['bot', 'strangerRefused'],
  ['bot', 'inviteOnlyLead'],
  ['jury', 'refusal.notMember'],
  ['jury', 'refusal.notOwner'],
  ['jury', 'refusal.notJuror'],
  ['jury', 'refusal.recused'],
  ['jury', 'refusal.secretBallot'],
  ['jury', 'refusal.notVotedYet_one'],
  ['jury', 'refusal.notVotedYet_other'],
  ['jury', 'decision.refusal.notAllowed'],
  ['organisers', 'notAllowed'],
  ['common', 'notAllowed'],
];
const UNKNOWN: Array<[string, string]> = [
  ['candidacy', 'unknownCommand'],
  ['jury', 'refusal.unknownCommand'],
  ['organisers', 'problem.unknownCommand'],
  ['common', 'unknownCommand'],
  ['bot', 'lobbyHelp'],
];

const FAILURES: Array<[string, string]> = [
  ['common', 'internalError'],
  ['common', 'notSaved'],
];

type Patterns = Record<'refusals' | 'unknown' | 'failures', Array<[string, RegExp]>>;
let patterns: Patterns | undefined;
function compiled(): Patterns {
  const build = (list: Array<[string, string]>): Array<[string, RegExp]> =>
    list.map(([ns, key]) => [`${ns}:${key}`, pattern(ns, key)]);
  patterns ??= { refusals: build(REFUSALS), unknown: build(UNKNOWN), failures: build(FAILURES) };
  return patterns;
}

/** What the bot's replies to one command say happened. */
export function classify(
  room: RoomKind,
  command: Command,
  replies: readonly string[],
): { outcome: Outcome; key?: string } {
  if (replies.length === 0) return { outcome: 'silent' };
  const { refusals, unknown, failures } = compiled();
  for (const body of replies) {
    const failure = failures.find(([, re]) => re.test(body));
    if (failure) return { outcome: 'error', key: failure[0] };
  }
  for (const body of replies) {
    const refusal = refusals.find(([, re]) => re.test(body));
    if (refusal) return { outcome: 'refused', key: refusal[0] };
  }
  for (const body of replies) {
    const match = unknown.find(([, re]) => re.test(body));
    // In the lobby and direct chats the help is also the answer to !aide itself.
    if (match && !(match[0] === 'bot:lobbyHelp' && NATIVE[room](command) && command.text === '!aide'))
      return { outcome: 'unknown', key: match[0] };
  }
  return { outcome: 'allowed' };
}

// --- The table --------------------------------------------------------------------------------

export interface Case {
  room: RoomKind;
  role: Role;
  command: Command;
  expected: Expectation;
  observed?: { outcome: Outcome; key?: string; replies: string[] };
}

const SYMBOL: Record<Outcome, string> = {
  allowed: '✅',
  refused: '⛔',
  unknown: '❔',
  silent: '·',
  error: '💥',
};
const ROOM_TITLES: Record<RoomKind, string> = {
  candidacy: 'Candidacy room',
  lobby: 'Lobby (public room)',
  dm: "Direct chat with the bot (each person's own)",
  jury: 'Jury room',
  ballot: "Ballot room (each juror's own; the others were invited into a juror's)",
  organisers: "Organisers' room",
};
const ROLE_TITLES: Record<Role, string> = {
  candidate: 'candidate (lead)',
  coEditor: 'co-editor',
  stranger: 'stranger',
  juror: 'juror',
  recused: 'recused juror',
  organiser: 'organiser',
};

function cell(c: Case): string {
  const observed = c.observed?.outcome;
  const symbol = observed ? SYMBOL[observed] : '?';
  const mismatch =
    observed && observed !== c.expected.outcome ? ` **(design: ${SYMBOL[c.expected.outcome]})**` : '';
  return `${symbol}${mismatch}`;
}

/** docs/authorization.md, from the cases as they were observed. */
export function renderTable(cases: readonly Case[], seconds: number): string {
  const lines = [
    '# Authorisation matrix',
    '',
    'Generated by `test/e2e/faults/authorization.test.ts` from what the bot actually answered,',
    'through the real homeserver, one Matrix client per person',
    `(${cases.length} cases in ${Math.round(seconds)} s; regenerate with`,
    '`TNL_WRITE_AUTHORIZATION_DOC=1 npx vitest run test/e2e/faults/authorization.test.ts`).',
    'The test fails when any cell differs from the design; such a cell would read',
    '"**(design: …)**".',
    '',
    `${SYMBOL.allowed} allowed (the command ran; a refusal about the state of things, such as`,
    `"no quorum yet", also counts: the person was allowed to ask) · ${SYMBOL.refused} refused`,
    `(this person may not do this here) · ${SYMBOL.unknown} not a command of this room (the bot`,
    `says so, or shows its help) · ${SYMBOL.silent} no reply (discussion).`,
    '',
    'Roles: the candidate leads the candidacy; the co-editor was invited by the lead with',
    '`!inviter`; the stranger was let into the candidacy room by hand, and the jurors and the',
    'organiser into another (submitted) candidacy room, by its lead. Jurors and the organiser',
    'are configured (`people.jurors`, `people.organisers`);',
    'the recused juror declared a conflict of interest on every dossier. People outside the',
    'jury or the organisers were invited into those rooms by mistake. Jury dossiers: #1 has',
    'no vote yet, #2 is voted on, #3 is where a juror recuses.',
    '',
  ];
  for (const room of ROOMS) {
    const here = cases.filter((c) => c.room === room);
    if (here.length === 0) continue;
    lines.push(`## ${ROOM_TITLES[room]}`, '');
    lines.push(`| command | ${ROLES.map((r) => ROLE_TITLES[r]).join(' | ')} |`);
    lines.push(`|---|${ROLES.map(() => ':-:').join('|')}|`);
    const commands = [...new Set(here.map((c) => c.command))];
    for (const command of commands) {
      const row = ROLES.map((role) => {
        const c = here.find((x) => x.command === command && x.role === role);
        return c ? cell(c) : '';
      });
      const text = command.text.split('\n')[0]?.replace(/\|/g, '\\|') ?? '';
      lines.push(
        `| \`${text.length > 40 ? `${text.slice(0, 40)}…` : text}\` ${command.label} | ${row.join(' | ')} |`,
      );
    }
    const reasons = [
      ...new Set(here.filter((c) => c.expected.outcome === 'refused').map((c) => c.expected.because ?? '')),
    ].filter(Boolean);
    if (reasons.length) lines.push('', `Refusals here: ${reasons.join('; ')}.`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
