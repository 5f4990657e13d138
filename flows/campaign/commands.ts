// The organisers' commands, in French or English, with a `!` prefix. Parsing only:
// values stay text here (dates are read later in the campaign's time zone) and a
// problem comes back as a code with parameters for the renderer.
//
// Why this file is long: it is the organisers' command grammar in French and English, one
// small parser per command.
import { fold } from '../text.ts';

export const EXPORT_FORMATS = ['csv', 'ods', 'json', 'dossiers', 'audit', 'results'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Who receives an announcement or a reminder. */
export interface Audience {
  /** Which candidacy rooms: every active one, drafts, submitted dossiers, a list, or none. */
  candidacies: 'all' | 'drafts' | 'submitted' | 'none' | { refs: string[] };
  /** Candidacies without activity for at least this long (reminders). */
  inactiveForMs?: number;
  /** Also the public announcements room. */
  public: boolean;
}

/** The fields of `!campagne créer`, as typed. */
export interface CreateFields {
  id?: string;
  year?: string;
  name?: string;
  questionnaire?: string;
  opens?: string;
  closes?: string;
  jury?: string;
  levels?: string;
  reminders?: string;
  timeZone?: string;
  /** Whether a candidate may make a submitted dossier final before closing (yes/no). */
  earlyFinal?: string;
}

export type OrganiserCommand =
  /** `all`: every command with its options (`!aide tout`), else the essentials by task. */
  | { kind: 'help'; all: boolean }
  | { kind: 'campaignCreate'; fields: CreateFields }
  | { kind: 'campaignOpen'; campaignId?: string }
  | { kind: 'campaignExtend'; campaignId?: string; date: string }
  | { kind: 'campaignClose'; campaignId?: string }
  | { kind: 'campaignList' }
  | { kind: 'campaignShow'; campaignId?: string }
  | { kind: 'status'; campaignId?: string }
  | { kind: 'remind'; campaignId?: string; audience: Audience }
  | { kind: 'announce'; campaignId?: string; audience: Audience; texts: Record<string, string> }
  | { kind: 'export'; campaignId?: string; format: ExportFormat }
  | { kind: 'publish'; campaignId?: string; at?: string }
  | { kind: 'confirm' }
  | { kind: 'cancel' }
  | { kind: 'broadcasts'; campaignId?: string }
  | { kind: 'retry'; broadcastId?: string }
  | { kind: 'language'; language: string };

export type CommandProblem =
  | { code: 'unknownCommand'; command: string }
  | { code: 'unknownSubcommand'; command: string; sub: string }
  | { code: 'missingArgument'; command: string; argument: string }
  | { code: 'unknownOption'; command: string; option: string }
  | { code: 'unexpectedArgument'; command: string; argument: string }
  | { code: 'unknownFormat'; format: string }
  | { code: 'missingText' };

export type ParsedCommand = { ok: true; command: OrganiserCommand } | { ok: false; problem: CommandProblem };

/** Campaign ids start with a letter (dates start with a digit): "tnl-2026". */
export const CAMPAIGN_ID = /^[a-z][a-z0-9-]{1,63}$/;

const ROOTS: Record<string, string> = {
  campagne: 'campaign',
  campaign: 'campaign',
  statut: 'status',
  status: 'status',
  etat: 'status',
  tableau: 'status',
  dashboard: 'status',
  relancer: 'remind',
  relance: 'remind',
  remind: 'remind',
  annonce: 'announce',
  annoncer: 'announce',
  announce: 'announce',
  exporter: 'export',
  export: 'export',
  publier: 'publish',
  publish: 'publish',
  confirmer: 'confirm',
  confirm: 'confirm',
  annuler: 'cancel',
  cancel: 'cancel',
  aide: 'help',
  help: 'help',
  diffusions: 'broadcasts',
  broadcasts: 'broadcasts',
  reessayer: 'retry',
  relivrer: 'retry',
  retry: 'retry',
  langue: 'language',
  language: 'language',
  lang: 'language',
};

const CAMPAIGN_SUBS: Record<string, string> = {
  creer: 'create',
  create: 'create',
  nouvelle: 'create',
  new: 'create',
  ouvrir: 'open',
  open: 'open',
  prolonger: 'extend',
  etendre: 'extend',
  extend: 'extend',
  clore: 'close',
  cloturer: 'close',
  fermer: 'close',
  close: 'close',
  liste: 'list',
  list: 'list',
  voir: 'show',
  afficher: 'show',
  show: 'show',
};

const CREATE_KEYS: Record<string, keyof CreateFields> = {
  id: 'id',
  annee: 'year',
  year: 'year',
  nom: 'name',
  name: 'name',
  questionnaire: 'questionnaire',
  ouverture: 'opens',
  debut: 'opens',
  opens: 'opens',
  start: 'opens',
  cloture: 'closes',
  fin: 'closes',
  closes: 'closes',
  end: 'closes',
  jury: 'jury',
  niveaux: 'levels',
  levels: 'levels',
  relances: 'reminders',
  reminders: 'reminders',
  fuseau: 'timeZone',
  definitif: 'earlyFinal',
  final: 'earlyFinal',
  timezone: 'timeZone',
  tz: 'timeZone',
};

const FORMATS: Record<string, ExportFormat> = {
  csv: 'csv',
  ods: 'ods',
  tableur: 'ods',
  spreadsheet: 'ods',
  json: 'json',
  dossiers: 'dossiers',
  dossier: 'dossiers',
  audit: 'audit',
  journal: 'audit',
  resultats: 'results',
  results: 'results',
  palmares: 'results',
};

const HELP_ALL = ['tout', 'toutes', 'all', 'complet', 'full'];

const AUDIENCE_WORDS: Record<string, 'all' | 'drafts' | 'submitted' | 'public'> = {
  tous: 'all',
  toutes: 'all',
  all: 'all',
  brouillons: 'drafts',
  brouillon: 'drafts',
  drafts: 'drafts',
  draft: 'drafts',
  incompletes: 'drafts',
  unfinished: 'drafts',
  deposees: 'submitted',
  deposes: 'submitted',
  deposee: 'submitted',
  submitted: 'submitted',
  public: 'public',
  publique: 'public',
};

interface Token {
  /** Folded key of key=value, if any. */
  key?: string;
  value: string;
  /** Index just after the token in the line. */
  end: number;
}

const QUOTES: Record<string, string> = { '"': '"', '«': '»', '“': '”' };

/** Splits on spaces, honouring "quotes", «guillemets» and key="value with spaces". */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const readValue = (): string => {
    const close = QUOTES[line[i] ?? ''];
    if (close) {
      const end = line.indexOf(close, i + 1);
      const value = line.slice(i + 1, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end + 1;
      return value.trim();
    }
    const start = i;
    while (i < line.length && !/\s/.test(line[i] ?? '')) i++;
    return line.slice(start, i);
  };
  while (i < line.length) {
    if (/\s/.test(line[i] ?? '')) {
      i++;
      continue;
    }
    const keyMatch = /^([\p{L}_]+)=/u.exec(line.slice(i));
    if (keyMatch) {
      i += keyMatch[0].length;
      const value = readValue();
      tokens.push({ key: fold(keyMatch[1] ?? ''), value, end: i });
    } else {
      const value = readValue();
      tokens.push({ value, end: i });
    }
  }
  // "clôture=2026-10-19 18:00": a bare time right after a date value belongs to it.
  const glued: Token[] = [];
  for (const token of tokens) {
    const previous = glued.at(-1);
    if (
      previous &&
      !token.key &&
      /^\d{1,2}[:hH]\d{2}$/.test(token.value) &&
      /^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\/\d{1,2}\/\d{4})$/.test(previous.value)
    ) {
      previous.value = `${previous.value} ${token.value}`;
      previous.end = token.end;
    } else {
      glued.push(token);
    }
  }
  return glued;
}

/** True when a message is addressed to the bot as a command. */
export function isCommand(body: string): boolean {
  return /^\s*!\p{L}/u.test(body);
}

function campaignIdOf(
  tokens: Token[],
  command: string,
): { campaignId?: string; rest: Token[]; problem?: CommandProblem } {
  let campaignId: string | undefined;
  const rest: Token[] = [];
  for (const token of tokens) {
    if (token.key === 'campagne' || token.key === 'campaign') campaignId = token.value;
    else if (
      !token.key &&
      CAMPAIGN_ID.test(token.value) &&
      campaignId === undefined &&
      !(fold(token.value) in FORMATS)
    )
      campaignId = token.value;
    else rest.push(token);
  }
  const unknownKey = rest.find((t) => t.key);
  if (unknownKey) return { rest, problem: { code: 'unknownOption', command, option: unknownKey.key ?? '' } };
  return { ...(campaignId ? { campaignId } : {}), rest };
}

function parseAudience(tokens: Token[], command: string, defaultAudience: Audience['candidacies']) {
  let candidacies: Audience['candidacies'] | undefined;
  let isPublic = false;
  let inactiveFor: string | undefined;
  let campaignId: string | undefined;
  let consumed = 0;
  for (const token of tokens) {
    if (token.key) {
      if (token.key === 'liste' || token.key === 'list') {
        candidacies = { refs: token.value.split(/[,;\s]+/).filter(Boolean) };
      } else if (token.key === 'inactifs' || token.key === 'inactive') {
        inactiveFor = token.value;
      } else if (token.key === 'campagne' || token.key === 'campaign') {
        campaignId = token.value;
      } else {
        return { problem: { code: 'unknownOption', command, option: token.key } as CommandProblem };
      }
    } else {
      const word = AUDIENCE_WORDS[fold(token.value)];
      if (!word) break;
      if (word === 'public') isPublic = true;
      else candidacies = word;
    }
    consumed++;
  }
  const audience: Audience = {
    candidacies: candidacies ?? (isPublic ? 'none' : defaultAudience),
    public: isPublic,
  };
  return { audience, inactiveFor, campaignId, consumed };
}

/**
 * Splits an announcement into its language versions. Lines "fr:" / "[en]" start a
 * version; text before any marker (or without markers) is for every language ("*").
 */
export function splitVersions(text: string, languages: readonly string[]): Record<string, string> {
  const versions: Record<string, string[]> = {};
  let current = '*';
  const marker = new RegExp(
    `^\\s*(?:\\[(${languages.join('|')})\\]|(${languages.join('|')})\\s*:)\\s?(.*)$`,
    'i',
  );
  for (const line of text.split('\n')) {
    const m = marker.exec(line);
    if (m) {
      current = (m[1] ?? m[2] ?? '*').toLowerCase();
      versions[current] ??= [];
      if (m[3]?.trim()) versions[current].push(m[3]);
      continue;
    }
    (versions[current] ??= []).push(line);
  }
  const out: Record<string, string> = {};
  for (const [lang, lines] of Object.entries(versions)) {
    const joined = lines.join('\n').trim();
    if (joined) out[lang] = joined;
  }
  return out;
}

const ok = (command: OrganiserCommand): ParsedCommand => ({ ok: true, command });
const problem = (p: CommandProblem): ParsedCommand => ({ ok: false, problem: p });

/** Parses a command message (first line: the command; announcements continue on the next lines). */
export function parseCommand(
  body: string,
  languages: readonly string[] = ['fr', 'en'],
): ParsedCommand | null {
  if (!isCommand(body)) return null;
  const text = body.trim().slice(1);
  const newline = text.indexOf('\n');
  const firstLine = newline === -1 ? text : text.slice(0, newline);
  const following = newline === -1 ? '' : text.slice(newline + 1);
  const [head, ...args] = tokenize(firstLine);
  const name = fold(head?.value ?? '');
  const root = ROOTS[name];
  if (!root) return problem({ code: 'unknownCommand', command: name });

  switch (root) {
    case 'help':
      return ok({ kind: 'help', all: args.some((a) => HELP_ALL.includes(fold(a.value))) });
    case 'confirm':
      return ok({ kind: 'confirm' });
    case 'language': {
      const code = args[0]?.value.toLowerCase();
      if (!code) return problem({ code: 'missingArgument', command: name, argument: 'fr|en' });
      return ok({ kind: 'language', language: code });
    }
    case 'cancel':
      return ok({ kind: 'cancel' });
    case 'campaign':
      return parseCampaign(name, args);
    case 'status':
    case 'broadcasts': {
      const { campaignId, rest, problem: p } = campaignIdOf(args, name);
      if (p) return problem(p);
      if (rest[0]) return problem({ code: 'unexpectedArgument', command: name, argument: rest[0].value });
      return ok({ kind: root, ...(campaignId ? { campaignId } : {}) });
    }
    case 'retry': {
      if (args.length > 1 || args[0]?.key)
        return problem({ code: 'unexpectedArgument', command: name, argument: args.at(-1)?.value ?? '' });
      return ok({ kind: 'retry', ...(args[0] ? { broadcastId: args[0].value } : {}) });
    }
    case 'export': {
      const formatToken = args.find((t) => !t.key && FORMATS[fold(t.value)]);
      if (!formatToken) {
        const given = args.find((t) => !t.key)?.value;
        return given
          ? problem({ code: 'unknownFormat', format: given })
          : problem({ code: 'missingArgument', command: name, argument: 'format' });
      }
      const {
        campaignId,
        rest,
        problem: p,
      } = campaignIdOf(
        args.filter((t) => t !== formatToken),
        name,
      );
      if (p) return problem(p);
      if (rest[0]) return problem({ code: 'unexpectedArgument', command: name, argument: rest[0].value });
      return ok({
        kind: 'export',
        format: FORMATS[fold(formatToken.value)] as ExportFormat,
        ...(campaignId ? { campaignId } : {}),
      });
    }
    case 'publish': {
      const nowWords = ['maintenant', 'now', 'immediatement'];
      const {
        campaignId,
        rest,
        problem: p,
      } = campaignIdOf(
        args.filter((t) => t.key || !nowWords.includes(fold(t.value))),
        name,
      );
      if (p) return problem(p);
      const when = rest.map((t) => t.value).join(' ');
      const now = when === '';
      return ok({ kind: 'publish', ...(campaignId ? { campaignId } : {}), ...(now ? {} : { at: when }) });
    }
    case 'remind': {
      const parsed = parseAudience(args, name, 'drafts');
      if ('problem' in parsed && parsed.problem) return problem(parsed.problem);
      const { audience, inactiveFor, campaignId, consumed } = parsed as Exclude<
        typeof parsed,
        { problem: unknown }
      >;
      const leftover = args.slice(consumed);
      let id = campaignId;
      if (!id && leftover[0] && CAMPAIGN_ID.test(leftover[0].value)) {
        id = leftover.shift()?.value;
      }
      if (leftover[0])
        return problem({ code: 'unexpectedArgument', command: name, argument: leftover[0].value });
      if (audience.public) return problem({ code: 'unexpectedArgument', command: name, argument: 'public' });
      return ok({
        kind: 'remind',
        ...(id ? { campaignId: id } : {}),
        audience: { ...audience, ...(inactiveFor ? { inactiveForMs: inactiveForToMs(inactiveFor) } : {}) },
      });
    }
    case 'announce': {
      const parsed = parseAudience(args, name, 'all');
      if ('problem' in parsed && parsed.problem) return problem(parsed.problem);
      const { audience, campaignId, consumed } = parsed as Exclude<typeof parsed, { problem: unknown }>;
      // The text starts right after the audience words, on the first line or below.
      const lastUsed = consumed > 0 ? args[consumed - 1] : head;
      const firstLineText = firstLine.slice(lastUsed?.end ?? firstLine.length).trim();
      const texts = splitVersions([firstLineText, following].filter(Boolean).join('\n'), languages);
      if (Object.keys(texts).length === 0) return problem({ code: 'missingText' });
      return ok({ kind: 'announce', ...(campaignId ? { campaignId } : {}), audience, texts });
    }
  }
  return problem({ code: 'unknownCommand', command: name });
}

function inactiveForToMs(text: string): number {
  const m = /^(\d{1,4})\s*(j|d|jours?|days?)?$/.exec(fold(text));
  return m ? Number(m[1]) * 86_400_000 : 0;
}

function parseCampaign(name: string, args: Token[]): ParsedCommand {
  const [subToken, ...rest] = args;
  if (!subToken) return ok({ kind: 'campaignShow' });
  const sub = CAMPAIGN_SUBS[fold(subToken.value)];
  if (!sub || subToken.key) return problem({ code: 'unknownSubcommand', command: name, sub: subToken.value });
  const command = `${name} ${subToken.value}`;
  if (sub === 'create') return parseCreate(command, rest);
  if (sub === 'list') {
    if (rest[0]) return problem({ code: 'unexpectedArgument', command, argument: rest[0].value });
    return ok({ kind: 'campaignList' });
  }
  const { campaignId, rest: others, problem: p } = campaignIdOf(rest, command);
  if (p) return problem(p);
  if (sub === 'extend') {
    const date = others.map((t) => t.value).join(' ');
    if (!date) return problem({ code: 'missingArgument', command, argument: 'date' });
    return ok({ kind: 'campaignExtend', ...(campaignId ? { campaignId } : {}), date });
  }
  if (others[0]) return problem({ code: 'unexpectedArgument', command, argument: others[0].value });
  const id = campaignId ? { campaignId } : {};
  if (sub === 'open') return ok({ kind: 'campaignOpen', ...id });
  if (sub === 'close') return ok({ kind: 'campaignClose', ...id });
  return ok({ kind: 'campaignShow', ...id });
}

function parseCreate(command: string, tokens: Token[]): ParsedCommand {
  const fields: CreateFields = {};
  const bare: string[] = [];
  for (const token of tokens) {
    if (token.key) {
      const field = CREATE_KEYS[token.key];
      if (!field) return problem({ code: 'unknownOption', command, option: token.key });
      fields[field] = token.value;
    } else {
      bare.push(token.value);
    }
  }
  // Positional form: a year, then the name (quoted or in several words).
  if (bare.length > 0 && fields.year === undefined && /^\d{4}$/.test(bare[0] ?? ''))
    fields.year = bare.shift();
  if (bare.length > 0 && fields.name === undefined) fields.name = bare.join(' ');
  else if (bare.length > 0) return problem({ code: 'unexpectedArgument', command, argument: bare[0] ?? '' });
  for (const required of ['year', 'questionnaire', 'opens', 'closes'] as const) {
    if (!fields[required]) return problem({ code: 'missingArgument', command, argument: required });
  }
  return ok({ kind: 'campaignCreate', fields });
}
