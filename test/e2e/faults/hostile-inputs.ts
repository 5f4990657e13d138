// Generated hostile input for the bot: huge bodies, markup and script, Markdown, bidi and
// zero-width characters, lone surrogates, emoji, formatted bodies that say something else
// than the plain body, edits of unknown events, redactions, reactions with odd keys, files,
// unknown event types, commands with missing or extra arguments. A seeded generator, so a
// failing run can be replayed (the seed is printed).

/** mulberry32: small, fast, good enough to pick test cases. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Role = 'member' | 'stranger';

export interface Action {
  category: string;
  role: Role;
  /** Event type sent; `redaction` goes through the redact endpoint. */
  type: string;
  content: Record<string, unknown>;
  /** For redactions: the target, and who must send the redaction (its author). */
  redacts?: { eventId: string; by: string };
  /** Tokens placed inside markup: the bot may show them, never inside live markup. */
  markers: string[];
  /** Tokens only in formatted_body: the bot must never show them (it reads the plain body). */
  hidden: string[];
}

/** What the stream knows about its room, to aim edits, reactions and redactions. */
export interface RoomMemory {
  ownMessages: string[];
  /** Reactions sent in this room, and by whom (only they may redact them). */
  ownReactions: Array<{ eventId: string; by: string }>;
  botMessages: string[];
}

const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const BIDI = ['\u202e', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200f', '\u061c'];
const EMOJI = ['🏳️‍🌈', '👩🏽‍💻', '🇫🇷', '🧑‍🤝‍🧑', '❤️‍🔥', '🫠', '👍🏿', '🐧', '1️⃣', '#️⃣'];
const RTL_TEXT = ['مدينة الرباط', 'עיריית תל אביב', 'ڪراچي', 'ܐܘܪܗܝ'];
const LONE_SURROGATES = ['\ud800', '\udfff', '\udbff', 'a\ud83dz'];
const CONTROL = ['\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\r\n\r\n'];

export const CANDIDACY_COMMANDS = [
  '!',
  '!!',
  '! ',
  '!modifier',
  '!modifier 999',
  '!modifier abc',
  '!modifier 1 2 3',
  '!modifier -1',
  '!edit 0',
  '!effacer 1 2',
  '!effacer xyz',
  '!aide 1 2',
  '!aide 9999',
  '!aide <b>3</b>',
  '!help',
  '!langue',
  '!langue klingon',
  '!langue en fr',
  '!language fr',
  '!soumettre maintenant',
  '!passer encore',
  '!inviter',
  '!inviter a b c',
  '!inviter @pas valide',
  '!inviter <script>@x:localhost</script>',
  '!recap tout',
  '!résumé',
  '!progression 5',
  '!oui non',
  '!non',
  '!fini 3',
  '!annuler x',
  '!pause 10',
  '!reprendre x',
  '!candidater en plus',
  '!AIDE',
  '!Modifier 22',
  '!commande-inconnue',
  '!💥',
  '!\u200baide',
  '!aide\u202e',
];

const LOBBY_COMMANDS = [
  '!',
  '!aide',
  '!help extra',
  '!?',
  '!langue',
  '!langue zz',
  '!langue en',
  '!langue fr trop',
  '!lang <i>en</i>',
  '!inconnue',
  '!modifier 3',
  '!soumettre',
  '!💥',
];

/** Jury commands with missing, extra or absurd arguments (no dossier exists: all refused). */
const JURY_COMMANDS = [
  '!voter',
  '!voter #999 3',
  '!voter #1',
  '!vote 12 platine',
  '!abstention #0',
  '!deport #abc',
  '!note',
  '!note #1 <script>alert(1)</script>',
  '!notes #-1',
  '!question',
  '!question #2 <b>pourquoi</b> ?',
  '!mention #1',
  '!decompte #99999999',
  '!decompte',
  '!decider #1 or\nmotif: <i>x</i>',
  '!corriger #1',
  '!relancer #7',
  '!aide encore',
  '!VOTER #1 3',
  '!d\u00e9cider',
];

/**
 * Organisers' commands with missing, extra or absurd arguments. Never `!confirmer`, nor a
 * valid announcement or reminder: confirmed, those would write into the candidacy rooms.
 */
const ORGANISER_COMMANDS = [
  '!campagne',
  '!campagne creer',
  '!campagne créer 2027 "<script>x</script>" questionnaire=../../etc/passwd',
  '!campagne voir inconnue-id',
  '!campagne liste en plus',
  '!campagne prolonger hier',
  '!campagne ouvrir ???',
  '!statut <b>x</b>',
  '!exporter',
  '!exporter pdf',
  '!annonce',
  '!publier demain matin',
  '!langue',
  '!langue xx',
  '!annuler tout',
  '!diffusions ???',
  '!reessayer inexistante',
  '!aide 42',
];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** About `length` UTF-16 units of random parts (whole parts only: no pair cut in two). */
function repeat(random: () => number, parts: readonly string[], length: number): string {
  let out = '';
  while (out.length < length) out += pick(random, parts);
  return out;
}

let markerCounter = 0;
/** A token that cannot occur by chance in what the bot writes. */
function marker(prefix: string): string {
  markerCounter++;
  return `${prefix}${markerCounter.toString(36)}zq`;
}

function text(body: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { msgtype: 'm.text', body, ...extra };
}

type Make = (random: () => number, memory: RoomMemory) => Omit<Action, 'role'>;

function message(category: string, body: string, markers: string[] = []): Omit<Action, 'role'> {
  return { category, type: 'm.room.message', content: text(body), markers, hidden: [] };
}

const MAKERS: Record<string, Make> = {
  hugeBody: (random) => {
    // Over the bot's limit (20,000 characters) but under the homeserver's event size limit.
    const length = 20_001 + Math.floor(random() * 30_000);
    return message('hugeBody', repeat(random, ['a', 'é', ' ', '<', '&', '\n', 'x'], length));
  },
  longLine: (random) => message('longLine', repeat(random, ['Commune ', 'de ', 'Saint-', 'Martin '], 3000)),
  manyLines: (random) => message('manyLines', repeat(random, ['\n', '\n', 'x\n', ' \n'], 4000)),
  html: (random) => {
    const mark = marker('mk');
    const snippets = [
      `<script>alert("${mark}")</script>`,
      `<img src=x onerror="alert('${mark}')">`,
      `<a href="javascript:alert(1)">${mark}</a>`,
      `<iframe src="https://evil.example/${mark}"></iframe>`,
      `<b>${mark}</b>`,
      `<i>${mark}</i><u>${mark}</u>`,
      `<svg onload=alert(1)>${mark}</svg>`,
      `"><b>${mark}</b><"`,
      `<style>body{display:none}</style>${mark}`,
      `<!-- ${mark} --><p>${mark}</p>`,
      `<mx-reply>${mark}</mx-reply>`,
      `<details open><summary>${mark}</summary></details>`,
      `<code class="language-js onload">${mark}</code>`,
      `&lt;b&gt;${mark}&lt;/b&gt; &amp; &#60;i&#62;`,
      `<table><tr><td>${mark}</td></tr></table>`,
    ];
    return message('html', pick(random, snippets), [mark]);
  },
  markdown: (random) => {
    const mark = marker('md');
    const snippets = [
      `**${mark}** _x_ ~~y~~`,
      `# ${mark}\n## titre`,
      `[${mark}](javascript:alert(1))`,
      `![${mark}](https://evil.example/x.png)`,
      `\`${mark}\` \`\`\`\n<script>${mark}</script>\n\`\`\``,
      `| a | b |\n|---|---|\n| ${mark} | <b>x</b> |`,
      `> citation ${mark}\n\nréponse`,
      `- ${mark}\n- [ ] case`,
    ];
    return message('markdown', pick(random, snippets), [mark]);
  },
  invisible: (random) => {
    const parts = [...ZERO_WIDTH, ...BIDI, 'Commune', ' ', 'de', 'X'];
    return message('invisible', repeat(random, parts, 1 + Math.floor(random() * 60)));
  },
  invisibleOnly: (random) =>
    message('invisibleOnly', repeat(random, [...ZERO_WIDTH, ...BIDI], 1 + Math.floor(random() * 8))),
  rtl: (random) => message('rtl', `${pick(random, BIDI)}${pick(random, RTL_TEXT)} ${pick(random, BIDI)}123`),
  loneSurrogate: (random) => message('loneSurrogate', `Commune ${pick(random, LONE_SURROGATES)} de test`),
  emoji: (random) => message('emoji', repeat(random, EMOJI, 1 + Math.floor(random() * 200))),
  combining: (random) =>
    message('combining', repeat(random, ['e', '\u0301', '\u0336', '\u0489', '\u20dd'], 500)),
  control: (random) => message('control', `Commune${pick(random, CONTROL)}de${pick(random, CONTROL)}test`),
  disagreeingHtml: (random) => {
    const hidden = marker('fmtonly');
    const mark = marker('mk');
    return {
      category: 'disagreeingHtml',
      type: 'm.room.message',
      content: text(pick(random, ['Commune de Plainville', 'oui', '2', `<b>${mark}</b>`]), {
        format: 'org.matrix.custom.html',
        formatted_body: `<b>${hidden}</b><script>alert("${hidden}")</script><img src=x onerror=alert(1)>`,
      }),
      markers: [mark],
      hidden: [hidden],
    };
  },
  command: (random) => message('command', pick(random, CANDIDACY_COMMANDS)),
  commandHugeArgument: (random) =>
    message(
      'commandHugeArgument',
      `${pick(random, ['!modifier ', '!aide ', '!effacer '])}${repeat(random, ['9', 'x', '<'], 3000)}`,
    ),
  emote: (random) => {
    const mark = marker('mk');
    return {
      category: 'emote',
      type: 'm.room.message',
      content: {
        msgtype: 'm.emote',
        body: `<b>${mark}</b> ${pick(random, ['danse', 'applaudit', '💃'])}`,
        format: 'org.matrix.custom.html',
        formatted_body: '<i>x</i>',
      },
      markers: [mark],
      hidden: [],
    };
  },
  reply: (random, memory) => {
    const target = pick(random, [...memory.botMessages.slice(-5), '$nope:localhost']);
    return {
      category: 'reply',
      type: 'm.room.message',
      content: text(
        `> <@bot:localhost> citation\n\n${pick(random, ['oui', 'Commune de Réponse', '!recap'])}`,
        {
          'm.relates_to': { 'm.in_reply_to': { event_id: target } },
        },
      ),
      markers: [],
      hidden: [],
    };
  },
  file: (random) => {
    const msgtype = pick(random, ['m.file', 'm.image', 'm.audio', 'm.video']);
    return {
      category: 'file',
      type: 'm.room.message',
      content: {
        msgtype,
        body: pick(random, ['dossier.pdf', '<script>x</script>.png', 'photo.jpg', '']),
        url: 'mxc://localhost/notarealmediaid',
        info: { mimetype: pick(random, ['application/pdf', 'image/png', 'text/html']), size: 1234 },
      },
      markers: [],
      hidden: [],
    };
  },
  location: () => ({
    category: 'location',
    type: 'm.room.message',
    content: { msgtype: 'm.location', body: 'Mairie', geo_uri: 'geo:45.76,4.83' },
    markers: [],
    hidden: [],
  }),
  unknownMsgtype: (random) => ({
    category: 'unknownMsgtype',
    type: 'm.room.message',
    content: {
      msgtype: pick(random, ['m.custom', 'com.example.card', '', 'm.key.verification.request']),
      body: 'contenu',
    },
    markers: [],
    hidden: [],
  }),
  noMsgtype: () => ({
    category: 'noMsgtype',
    type: 'm.room.message',
    content: { body: 'sans msgtype' },
    markers: [],
    hidden: [],
  }),
  oddBody: (random) => ({
    category: 'oddBody',
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: pick(random, [42, null, ['a'], { x: 1 }, true]) },
    markers: [],
    hidden: [],
  }),
  notice: () => ({
    category: 'notice',
    type: 'm.room.message',
    content: { msgtype: 'm.notice', body: '!aide (un autre bot)' },
    markers: [],
    hidden: [],
  }),
  editUnknown: (random, memory) => {
    // The homeserver refuses relations to unknown events or other rooms: an edit of a message
    // that is not one of the person's answers is the closest that reaches the bot.
    const target = pick(random, memory.botMessages.slice(-5));
    const body = pick(random, ['Commune modifiée', '<b>x</b>', '']);
    return {
      category: 'editUnknown',
      type: 'm.room.message',
      content: {
        msgtype: 'm.text',
        body: `* ${body}`,
        'm.new_content': { msgtype: 'm.text', body },
        'm.relates_to': { rel_type: 'm.replace', event_id: target },
      },
      markers: [],
      hidden: [],
    };
  },
  editOwn: (random, memory) => {
    const target = pick(random, memory.ownMessages.length ? memory.ownMessages : ['$none:localhost']);
    const mark = marker('mk');
    const body = pick(random, [
      `<i>${mark}</i>`,
      'Commune éditée',
      '2',
      'oui',
      repeat(random, ['y'], 20_500),
    ]);
    return {
      category: 'editOwn',
      type: 'm.room.message',
      content: {
        msgtype: 'm.text',
        body: `* ${body}`,
        'm.new_content': { msgtype: 'm.text', body },
        'm.relates_to': { rel_type: 'm.replace', event_id: target },
      },
      markers: [mark],
      hidden: [],
    };
  },
  editMalformed: (random, memory) => ({
    category: 'editMalformed',
    type: 'm.room.message',
    content: pick(random, [
      {
        msgtype: 'm.text',
        body: '* sans nouveau contenu',
        'm.relates_to': { rel_type: 'm.replace', event_id: memory.ownMessages.at(-1) },
      },
      {
        msgtype: 'm.text',
        body: '* cible absente',
        'm.new_content': { msgtype: 'm.text', body: 'x' },
        'm.relates_to': { rel_type: 'm.replace' },
      },
      {
        msgtype: 'm.text',
        body: '* corps non texte',
        'm.new_content': { msgtype: 'm.text', body: 7 },
        'm.relates_to': { rel_type: 'm.replace', event_id: memory.ownMessages.at(-1) },
      },
    ]),
    markers: [],
    hidden: [],
  }),
  reaction: (random, memory) => {
    // Never a key the bot offers as a quick reply (✅ ❌ 👍 👎 1️⃣…🔟): those are answers.
    const key = pick(random, [
      '',
      ' ',
      'x'.repeat(300),
      '<script>',
      '🏳️‍🌈',
      '\u202e!',
      'oui',
      '0️⃣',
      '👀',
      '\u200b',
      '💥💥💥',
    ]);
    const target = pick(random, [
      ...memory.botMessages.slice(-5),
      ...memory.ownMessages.slice(-5),
      '$unknown:localhost',
    ]);
    return {
      category: 'reaction',
      type: 'm.reaction',
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: `${key}${marker('')}` } },
      markers: [],
      hidden: [],
    };
  },
  reactionMalformed: (random) => ({
    category: 'reactionMalformed',
    type: 'm.reaction',
    content: pick(random, [{}, { 'm.relates_to': { rel_type: 'm.annotation' } }, { 'm.relates_to': 'nope' }]),
    markers: [],
    hidden: [],
  }),
  redaction: (random, memory) => ({
    category: 'redaction',
    type: 'redaction',
    content: { reason: pick(random, ['<script>alert(1)</script>', '', 'x'.repeat(500), '\u202eraison']) },
    redacts: pick(random, memory.ownReactions.slice(-5)),
    markers: [],
    hidden: [],
  }),
  unknownType: (random) => ({
    category: 'unknownType',
    type: pick(random, [
      'com.example.custom',
      'm.sticker',
      'm.call.invite',
      'org.matrix.msc1767.message',
      'm.room.message.feedback',
      'm.poll.end',
    ]),
    content: { body: '<b>!aide</b>', 'org.matrix.msc1767.text': '!aide', url: 'mxc://localhost/x' },
    markers: [],
    hidden: [],
  }),
  pollResponse: (random, memory) => ({
    category: 'pollResponse',
    type: pick(random, ['org.matrix.msc3381.poll.response', 'm.poll.response']),
    content: pick(random, [
      {
        'm.relates_to': { rel_type: 'm.reference', event_id: memory.botMessages.at(-1) },
        'org.matrix.msc3381.poll.response': { answers: ['commune', '<b>x</b>'] },
      },
      {
        'm.relates_to': { rel_type: 'm.reference' },
        'org.matrix.msc3381.poll.response': { answers: 'commune' },
      },
      { 'm.selections': [1, 2, null] },
    ]),
    markers: [],
    hidden: [],
  }),
};

/**
 * Weights of each category. Events the bot must leave unanswered (reactions, redactions,
 * unknown types, notices) weigh about half: every reply is one more event for the
 * homeserver to store, and the homeserver sets the pace of this test.
 */
const CANDIDACY_MIX: Array<[string, number]> = [
  ['hugeBody', 2],
  ['longLine', 2],
  ['manyLines', 2],
  ['html', 12],
  ['markdown', 6],
  ['invisible', 4],
  ['invisibleOnly', 3],
  ['rtl', 3],
  ['loneSurrogate', 1],
  ['emoji', 4],
  ['combining', 2],
  ['control', 2],
  ['disagreeingHtml', 6],
  ['command', 14],
  ['commandHugeArgument', 2],
  ['emote', 2],
  ['reply', 3],
  ['file', 5],
  ['location', 1],
  ['unknownMsgtype', 2],
  ['noMsgtype', 1],
  ['oddBody', 1],
  ['notice', 8],
  ['editUnknown', 5],
  ['editOwn', 5],
  ['editMalformed', 4],
  ['reaction', 40],
  ['reactionMalformed', 5],
  ['redaction', 15],
  ['unknownType', 20],
  ['pollResponse', 8],
];

export type StreamKind = 'candidacy' | 'lobby' | 'dm' | 'jury' | 'organisers';

/** Categories that aim at earlier events of the room, and what they need to exist. */
function possible(category: string, memory: RoomMemory): boolean {
  if (category === 'editUnknown' || category === 'pollResponse') return memory.botMessages.length > 0;
  if (category === 'editOwn' || category === 'editMalformed') return memory.ownMessages.length > 0;
  if (category === 'reaction') return memory.botMessages.length + memory.ownMessages.length > 0;
  if (category === 'redaction') return memory.ownReactions.length > 0;
  return true;
}

const OWN_COMMANDS: Partial<Record<StreamKind, readonly string[]>> = {
  lobby: LOBBY_COMMANDS,
  dm: LOBBY_COMMANDS,
  jury: JURY_COMMANDS,
  organisers: ORGANISER_COMMANDS,
};

export function generate(kind: StreamKind, role: Role, random: () => number, memory: RoomMemory): Action {
  const own = OWN_COMMANDS[kind];
  if (own && random() < 0.3) return { ...message('command', pick(random, own)), role };
  const mix = CANDIDACY_MIX.filter(([category]) => possible(category, memory));
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [category, weight] of mix) {
    roll -= weight;
    if (roll < 0) return { ...(MAKERS[category] as Make)(random, memory), role };
  }
  return { ...(MAKERS.html as Make)(random, memory), role };
}
