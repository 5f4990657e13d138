// Helpers for end-to-end tests of the candidacy conversation: seed a campaign, open a
// candidacy the way a person does (a direct chat with the bot), and answer questions
// by reading the question number in the bot's message, as a person reads it.
import { type Question, type Questionnaire, resolveQuestionnaire } from '../../flows/questionnaire.ts';
import { openStorage, type Storage } from '../../storage/storage.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import type { JsonValue } from '../../storage/documents.ts';
import type { BotProcess } from './bot-process.ts';
import { stackEnv } from './bot-process.ts';
import { pollUntil } from './patience.ts';
import type { Person, ReceivedMessage } from './people.ts';

export async function storageFor(bot: BotProcess): Promise<Storage> {
  return openStorage({ uri: stackEnv().mongodbUri, dbName: bot.dbName, serverSelectionTimeoutMS: 3000 });
}

/**
 * The id of a room the bot created and recorded under `key` in its state (`room:jury`,
 * `room:organisers`, a juror's `jury:ballot:<user id>`...), once it is there (`timeoutMs`:
 * the idle period, see patience.ts).
 */
export function storedRoom(storage: Storage, key: string, timeoutMs = 30_000): Promise<string> {
  return pollUntil(
    () => storage.botState.getValue(key),
    (value): value is string => typeof value === 'string',
    { idleMs: timeoutMs, what: `the bot to store a room under ${key}` },
  );
}

export async function seedOpenCampaign(
  storage: Storage,
  options: {
    questionnaire?: string;
    closesAt?: Date;
    name?: string;
    year?: number;
    settings?: Record<string, JsonValue>;
  } = {},
): Promise<Campaign> {
  const now = Date.now();
  return storage.campaigns.create({
    year: options.year ?? 2026,
    name: options.name ?? 'Label TNL 2026',
    questionnaire: options.questionnaire ?? 'badge-2026',
    levels: [1, 2, 3, 4, 5].map((n) => ({ id: String(n), labels: { fr: `Niveau ${n}`, en: `Level ${n}` } })),
    opensAt: new Date(now - 24 * 3600_000),
    closesAt: options.closesAt ?? new Date(now + 30 * 24 * 3600_000),
    status: 'open',
    ...(options.settings ? { settings: options.settings } : {}),
    by: '@organiser:localhost',
  });
}

/** The question number a bot message asks ("Q12/48"), if it asks one. */
export function askedNumber(message: ReceivedMessage): number | undefined {
  const match = /\bQ(\d+)\s*\/\s*\d+/.exec(message.body);
  return match ? Number(match[1]) : undefined;
}

export function questionAsked(questionnaire: Questionnaire, message: ReceivedMessage): Question | undefined {
  const number = askedNumber(message);
  return number === undefined ? undefined : questionnaire.questions[number - 1];
}

/** A valid typed answer for a question (list questions: the first entry). */
export function validAnswer(question: Question, seed = ''): string {
  // Every candidate stands for a different collectivité (one candidacy each per campaign).
  if (question.role === 'collectivity_name' && seed) return `Commune de ${seed}`;
  if (question.role === 'official_code' && seed) return seedDigits(seed);
  switch (question.type) {
    case 'short_text': {
      const example = question.example?.fr;
      if (question.pattern) return example ?? '123456789';
      return example ?? `Réponse à ${question.id}`;
    }
    case 'long_text':
      return `Nous avons une démarche suivie pour ${question.id}, décrite ici en quelques phrases.`;
    case 'yes_no':
      return 'oui';
    case 'integer':
      return String(Math.min(question.max ?? Number.MAX_SAFE_INTEGER, Math.max(question.min, 1) + 41));
    case 'percentage':
      return '40';
    case 'single_choice':
    case 'multiple_choice':
      return '1';
    case 'url':
      return 'https://www.exemple.fr/logiciels-libres';
    case 'email':
      return 'dsi@exemple.fr';
    case 'date':
      return '15/03/2026';
    case 'list':
      return 'LibreOffice';
  }
}

function seedDigits(seed: string): string {
  let hash = 7;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_000;
  return String(hash).padStart(9, '1');
}

export interface Conversation {
  roomId: string;
  questionnaire: Questionnaire;
  /** The bot's latest message in the room. */
  last: ReceivedMessage;
}

export interface OpenedCandidacy extends Conversation {
  /** The direct chat the person opened with the bot. */
  dm: string;
}

/** Opens a direct chat with the bot, accepts the invitation to the candidacy room and reads the first question. */
export async function openCandidacy(
  person: Person,
  bot: BotProcess,
  /** The campaign's questionnaire: an id under questionnaires/ or a file path. */
  questionnaireRef = 'badge-2026',
  timeoutMs = 20_000,
): Promise<OpenedCandidacy> {
  const dm = await person.openDirectChat(bot.userId);
  const roomId = await person.acceptInvite({ from: bot.userId, timeoutMs });
  await person.nextMessage(dm, { from: bot.userId, timeoutMs });
  const last = await nextFromBot(person, bot, roomId, (m) => askedNumber(m) !== undefined, timeoutMs);
  return { roomId, dm, questionnaire: resolveQuestionnaire(questionnaireRef), last };
}

export function nextFromBot(
  person: Person,
  bot: BotProcess,
  roomId: string,
  predicate?: (m: ReceivedMessage) => boolean,
  timeoutMs = 20_000,
): Promise<ReceivedMessage> {
  return person.nextMessage(roomId, {
    from: bot.userId,
    timeoutMs,
    ...(predicate ? { predicate } : {}),
  });
}

/** Answers the question currently asked and returns the bot's next message. */
export async function answerCurrent(
  person: Person,
  bot: BotProcess,
  conversation: Conversation,
  options: { timeoutMs?: number } = {},
): Promise<ReceivedMessage> {
  const question = questionAsked(conversation.questionnaire, conversation.last);
  if (!question) throw new Error(`the bot's last message asks no question:\n${conversation.last.body}`);
  await person.sendText(conversation.roomId, validAnswer(question, person.userId.slice(1).split(':')[0]));
  if (question.type === 'list') {
    await nextFromBot(person, bot, conversation.roomId, undefined, options.timeoutMs);
    await person.sendText(conversation.roomId, '!fini');
  }
  conversation.last = await nextFromBot(person, bot, conversation.roomId, undefined, options.timeoutMs);
  return conversation.last;
}

/** Answers questions until the bot stops asking (review), at most `limit` of them. */
export async function answerAll(
  person: Person,
  bot: BotProcess,
  conversation: Conversation,
  limit = 200,
): Promise<number> {
  let answered = 0;
  while (askedNumber(conversation.last) !== undefined && answered < limit) {
    await answerCurrent(person, bot, conversation);
    answered++;
  }
  return answered;
}
