// Candidacies for the benchmarks, without going through the person-facing start
// (direct chat, room creation by the bot...), which is not what is measured:
// - `openSeededCandidacy`: a real candidacy room (created with the bot's account, the
//   lead invited and joined) whose candidacy and room registry entry are written through
//   storage, with the conversation snapshot flows/conversation.ts `start` gives. The bot
//   then handles the lead's answers exactly as in a room it opened itself.
// - `simulatedConversation` / `seedStoredCandidacy`: a candidacy with answers and the
//   snapshot the conversation reaches after them, computed in-process with
//   flows/conversation.ts (start, then one step per answer), for the scale benchmark.
import { applyChange, type JuryChange } from '../../flows/jury/record.ts';
import type { AnswerValue } from '../../flows/answers.ts';
import { start, step, type StepResult } from '../../flows/conversation.ts';
import { identityOf } from '../../flows/navigation.ts';
import type { Question, Questionnaire } from '../../flows/questionnaire.ts';
import { writeConversation } from '../../bot/candidacy/stored-conversation.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import type { CandidacyStatus, Collectivite, Conversation } from '../../storage/candidacies.ts';
import type { Storage } from '../../storage/storage.ts';
import { askedNumber, validAnswer } from '../../test/e2e/candidate.ts';
import type { Person, ReceivedMessage } from '../../test/e2e/people.ts';
import { matrixCall } from './matrix.ts';

export interface BotAccount {
  userId: string;
  accessToken: string;
}

export interface SeededRoom {
  roomId: string;
  candidacyId: string;
  /** Makes this candidacy's collectivité unique (name and official code). */
  seed: string;
  /** The question the bot is asking now; undefined once the questionnaire is done. */
  question: Question | undefined;
}

function settings(campaign: Campaign) {
  return { closesAt: campaign.closesAt, timeZone: campaign.timeZone };
}

export async function openSeededCandidacy(options: {
  storage: Storage;
  bot: BotAccount;
  campaign: Campaign;
  questionnaire: Questionnaire;
  lead: Person;
  seed: string;
}): Promise<SeededRoom> {
  const { storage, bot, campaign, questionnaire, lead, seed } = options;
  const created = await matrixCall(bot.accessToken, 'POST', '/_matrix/client/v3/createRoom', {
    preset: 'private_chat',
    name: `Candidature ${seed}`,
    invite: [lead.userId],
    power_level_content_override: { users: { [bot.userId]: 100 } },
  });
  const roomId = String(created.room_id);
  const opened = start({
    questionnaire,
    campaign: settings(campaign),
    startedBy: lead.userId,
    now: new Date(),
  });
  const { candidacy } = await storage.candidacies.create({
    campaignId: campaign.id,
    people: { lead: { userId: lead.userId }, coEditors: [] },
    language: 'fr',
    roomId,
    conversation: writeConversation({ flow: opened.snapshot, outbox: null, answerEvents: {} }),
  });
  // Registered before the lead joins: the bot's first look at the room must find it.
  await storage.botState.registerRoom(roomId, { kind: 'candidacy', candidacyId: candidacy.id });
  await lead.join(roomId);
  const questionId = opened.view.questionId;
  return {
    roomId,
    candidacyId: candidacy.id,
    seed,
    question: questionId ? questionnaire.byId.get(questionId) : undefined,
  };
}

/** The question a bot message asks, if any. */
export function questionIn(questionnaire: Questionnaire, message: ReceivedMessage): Question | undefined {
  const number = askedNumber(message);
  return number === undefined ? undefined : questionnaire.questions[number - 1];
}

export interface AnswerOutcome {
  /** Send of the answer to receipt of the bot's next question (single-message answers only). */
  ms: number | undefined;
  /** Messages the lead sent (a list answer needs the entry, then "!fini"). */
  messages: number;
}

/** The lead answers the question asked in the room, validly, and waits for the next question. */
export async function answerCurrentQuestion(
  lead: Person,
  botUserId: string,
  room: SeededRoom,
  questionnaire: Questionnaire,
  timeoutMs = 60_000,
): Promise<AnswerOutcome> {
  const question = room.question;
  if (!question) throw new Error(`no question pending in ${room.roomId}`);
  const started = performance.now();
  await lead.sendText(room.roomId, validAnswer(question, room.seed));
  let messages = 1;
  if (question.type === 'list') {
    await lead.nextMessage(room.roomId, { from: botUserId, timeoutMs });
    await lead.sendText(room.roomId, '!fini');
    messages += 1;
  }
  const reply = await lead.nextMessage(room.roomId, { from: botUserId, timeoutMs });
  const elapsed = performance.now() - started;
  const next = questionIn(questionnaire, reply);
  if (next?.id === question.id) {
    throw new Error(`the bot refused the answer to ${question.id}:\n${reply.body.slice(0, 400)}`);
  }
  room.question = next;
  return { ms: question.type === 'list' ? undefined : elapsed, messages };
}

// ---- in-process conversations (scale benchmark) ------------------------------------------------

export interface SimulatedCandidacy {
  answers: Record<string, AnswerValue>;
  conversation: Conversation;
  collectivite: Collectivite | null;
  status: CandidacyStatus;
}

/** Runs the conversation in-process: `count` valid answers (then submits if asked), as the bot would step it. */
export function simulatedConversation(
  questionnaire: Questionnaire,
  campaign: Campaign,
  lead: string,
  seed: string,
  count: number,
  submit = false,
): SimulatedCandidacy {
  const now = new Date();
  let result: StepResult = start({ questionnaire, campaign: settings(campaign), startedBy: lead, now });
  const answerEvents: Record<string, string> = {};
  // Widened on purpose: `say` changes it, which the compiler's narrowing cannot see.
  let status = 'draft' as CandidacyStatus;
  let lastEvent = 'start';
  const say = (text: string, eventId: string) => {
    result = step({
      questionnaire,
      campaign: settings(campaign),
      snapshot: result.snapshot,
      event: { type: 'text', text, sender: lead, at: now },
      now,
    });
    lastEvent = eventId;
    for (const effect of result.effects) {
      if (effect.type === 'answerSet' && effect.source === 'answer')
        answerEvents[eventId] = effect.questionId;
      if (effect.type === 'status') status = effect.status;
    }
  };
  for (let i = 0; i < count && result.view.questionId; i++) {
    const question = questionnaire.byId.get(result.view.questionId);
    if (!question) break;
    say(validAnswer(question, seed), `$${seed}-a${i}`);
    if (question.type === 'list') say('!fini', `$${seed}-f${i}`);
  }
  if (submit && !result.view.questionId) {
    say('!soumettre', `$${seed}-submit`);
    if (status !== 'submitted') say('oui', `$${seed}-confirm`);
  }
  const answers: Record<string, AnswerValue> = {};
  for (const [id, record] of Object.entries(result.view.answers)) answers[id] = record.value;
  const identity = identityOf(questionnaire, result.view.answers);
  const name = identity.collectivity_name;
  const kind = identity.collectivity_kind;
  const code = identity.official_code;
  return {
    answers,
    conversation: writeConversation({
      flow: result.snapshot,
      outbox: { eventId: lastEvent, replies: result.replies, lang: 'fr' },
      answerEvents,
    }),
    collectivite:
      typeof name === 'string' && typeof kind === 'string'
        ? { name, kind, ...(typeof code === 'string' && code ? { officialCode: code } : {}) }
        : null,
    status,
  };
}

/** Stores one candidacy with its answers and snapshot (and jury dossier once submitted), and registers its room. */
export async function seedStoredCandidacy(
  storage: Storage,
  campaign: Campaign,
  lead: string,
  roomId: string,
  simulated: SimulatedCandidacy,
  eventId: string,
): Promise<string> {
  const { candidacy } = await storage.candidacies.create({
    campaignId: campaign.id,
    people: { lead: { userId: lead }, coEditors: [] },
    language: 'fr',
    roomId,
    collectivite: simulated.collectivite,
    conversation: simulated.conversation,
  });
  const effects = Object.entries(simulated.answers).map(([questionId, value]) => ({
    kind: 'set' as const,
    questionId,
    value,
  }));
  let version = candidacy.version;
  if (effects.length > 0 || simulated.status !== 'draft') {
    const outcome = await storage.candidacies.update(candidacy, {
      by: lead,
      eventId,
      effects,
      ...(simulated.status !== 'draft' ? { status: simulated.status } : {}),
    });
    version = outcome.candidacy.version;
  }
  if (simulated.status !== 'draft') {
    // A submitted dossier has long been posted to the jury: the start-up catch-up finds it up to date.
    let record = await storage.jury.open({
      candidacyId: candidacy.id,
      campaignId: campaign.id,
      roomId: '!jury-seeded:localhost',
    });
    const changes: JuryChange[] = [
      { kind: 'rootPosted', rootEventId: `${eventId}-jury-root` },
      { kind: 'dossierPosted', version, eventId: null },
    ];
    for (const change of changes)
      record = await storage.jury.save(applyChange(record, change, { at: new Date() }), record.version);
  }
  await storage.botState.registerRoom(roomId, { kind: 'candidacy', candidacyId: candidacy.id });
  return candidacy.id;
}

/**
 * Copies stored candidacies (written through storage, see seedStoredCandidacy) `count`
 * times with insertMany, each copy with its own id, room, lead and collectivité, with its
 * room entry and, for a submitted one, its jury dossier record. Far quicker than one write per field through storage, and
 * the copies are exactly what storage writes; the caller reads some back through storage
 * to check they parse.
 */
export async function cloneCandidacies(options: {
  uri: string;
  dbName: string;
  templateIds: readonly string[];
  questionnaire: Questionnaire;
  count: number;
  identity: (i: number) => { roomId: string; lead: string; name: string; officialCode: string };
}): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const { collectiviteKey } = await import('../../storage/candidacies.ts');
  const client = new MongoClient(options.uri);
  try {
    const db = client.db(options.dbName);
    const candidacies = db.collection<Record<string, unknown>>('candidacies');
    const rooms = db.collection<Record<string, unknown>>('rooms');
    const templates = await candidacies.find({ _id: { $in: [...options.templateIds] } } as never).toArray();
    const roomTemplates = await rooms.find({ candidacyId: { $in: [...options.templateIds] } }).toArray();
    const dossiers = db.collection<Record<string, unknown>>('jury_dossiers');
    const dossierTemplates = new Map(
      (await dossiers.find({ _id: { $in: [...options.templateIds] } } as never).toArray()).map((d) => [
        String(d._id),
        d,
      ]),
    );
    if (templates.length !== options.templateIds.length || roomTemplates.length === 0) {
      throw new Error(
        `templates not found (${templates.length} candidacies, ${roomTemplates.length} rooms): has storage's layout changed?`,
      );
    }
    const roomTemplate = roomTemplates[0] as Record<string, unknown>;
    const byRole = (role: string) => options.questionnaire.questions.find((q) => q.role === role)?.id;
    const nameId = byRole('collectivity_name');
    const codeId = byRole('official_code');
    const build = (from: number, to: number) => {
      const docs: Record<string, unknown>[] = [];
      const roomDocs: Record<string, unknown>[] = [];
      const dossierDocs: Record<string, unknown>[] = [];
      for (let i = from; i < to; i++) {
        const template = templates[i % templates.length] as Record<string, unknown>;
        const who = options.identity(i);
        const id = crypto.randomUUID();
        const collectivite = template.collectivite as Collectivite | null;
        const mine = collectivite
          ? { ...collectivite, name: who.name, officialCode: who.officialCode }
          : null;
        const answers = (template.answers as Array<Record<string, unknown>>).map((a) => ({
          ...a,
          by: who.lead,
          ...(a.questionId === nameId ? { value: who.name } : {}),
          ...(a.questionId === codeId ? { value: who.officialCode } : {}),
        }));
        docs.push({
          ...template,
          _id: id,
          roomId: who.roomId,
          collectivite: mine,
          people: { lead: { userId: who.lead }, coEditors: [] },
          memberIds: [who.lead],
          answers,
          recentEventIds: (template.recentEventIds as string[]).map((e) => `${e}-${i}`),
          ...(mine ? { activeKey: `${template.campaignId as string}|${collectiviteKey(mine)}` } : {}),
        });
        roomDocs.push({ ...roomTemplate, _id: who.roomId, candidacyId: id });
        const dossier = dossierTemplates.get(String(template._id));
        if (dossier) {
          const root = `${String(dossier.threadRoot)}-${i}`;
          const post = { ...(dossier.post as Record<string, unknown>), rootEventId: root };
          // Numbers are unique per campaign: the templates hold the first few, the copies follow.
          dossierDocs.push({ ...dossier, _id: id, number: 1_000 + i, threadRoot: root, post });
        }
      }
      return { docs, roomDocs, dossierDocs };
    };
    // A few batches at once: the database's work spreads over its connections.
    const batch = 200;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < options.count) {
          const from = next;
          next = Math.min(options.count, next + batch);
          const { docs, roomDocs, dossierDocs } = build(from, next);
          await candidacies.insertMany(docs, { ordered: false });
          await rooms.insertMany(roomDocs, { ordered: false });
          if (dossierDocs.length > 0) await dossiers.insertMany(dossierDocs, { ordered: false });
        }
      }),
    );
  } finally {
    await client.close();
  }
}
