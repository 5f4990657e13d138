// A simulated candidacy lead: answers the questions the bot asks, reading the question
// number in the bot's message as a person reads it, with the answers of one collectivité.
import type { Question } from '../../flows/questionnaire.ts';
import type { BotProcess } from '../../test/e2e/bot-process.ts';
import {
  askedNumber,
  nextFromBot,
  openCandidacy,
  questionAsked,
  validAnswer,
  type Conversation,
} from '../../test/e2e/candidate.ts';
import type { Person, ReceivedMessage } from '../../test/e2e/people.ts';

/** Answers by question id; a list question takes several entries. */
export type Answers = Record<string, string | string[]>;

export interface Profile {
  key: string;
  personName: string;
  collectivite: string;
  answers: Answers;
}

export class Applicant {
  readonly person: Person;
  readonly profile: Profile;
  private readonly bot: BotProcess;
  private conversationState: Conversation | undefined;
  /** The event id of each answer message, by question id (to edit one later). */
  readonly answerEvents = new Map<string, string>();

  constructor(person: Person, profile: Profile, bot: BotProcess) {
    this.person = person;
    this.profile = profile;
    this.bot = bot;
  }

  get conversation(): Conversation {
    if (!this.conversationState) throw new Error(`${this.profile.personName} has no candidacy room yet`);
    return this.conversationState;
  }

  get roomId(): string {
    return this.conversation.roomId;
  }

  /** The direct chat the person opened with the bot. */
  directChat: string | undefined;

  /**
   * Opens a direct chat with the bot, as a person does from any client; the bot answers
   * there, creates the candidacy room and invites the person, who joins and reads the first question.
   */
  async open(questionnaireId: string): Promise<void> {
    const opened = await openCandidacy(this.person, this.bot, questionnaireId);
    this.directChat = opened.dm;
    this.conversationState = opened;
  }

  /** The question the bot asks now, if any. */
  current(): Question | undefined {
    return questionAsked(this.conversation.questionnaire, this.conversation.last);
  }

  /** The bot's next message in the candidacy room (optionally one that matches). */
  async next(predicate?: (m: ReceivedMessage) => boolean): Promise<ReceivedMessage> {
    const message = await nextFromBot(this.person, this.bot, this.roomId, predicate);
    this.conversation.last = message;
    return message;
  }

  /** Sends a message and returns the bot's reply. */
  async say(text: string, predicate?: (m: ReceivedMessage) => boolean): Promise<ReceivedMessage> {
    await this.person.sendText(this.roomId, text);
    return this.next(predicate);
  }

  /** Answers the question asked now; returns the bot's next message. */
  async answerCurrent(): Promise<ReceivedMessage> {
    const question = this.current();
    if (!question)
      throw new Error(`the bot's last message asks no question:\n${this.conversation.last.body}`);
    const given = this.profile.answers[question.id] ?? validAnswer(question);
    const entries = Array.isArray(given) ? given : [given];
    if (question.type === 'list') {
      for (const [i, entry] of entries.entries()) {
        const eventId = await this.person.sendText(this.roomId, entry);
        if (i === 0) this.answerEvents.set(question.id, eventId);
        await this.next();
      }
      return this.say('!fini');
    }
    const eventId = await this.person.sendText(this.roomId, entries.join(', '));
    this.answerEvents.set(question.id, eventId);
    return this.next();
  }

  /** Answers up to `count` questions (all when omitted); returns how many were answered. */
  async answer(count = Number.POSITIVE_INFINITY): Promise<number> {
    let answered = 0;
    while (answered < count && askedNumber(this.conversation.last) !== undefined) {
      await this.answerCurrent();
      answered++;
    }
    return answered;
  }

  /** `!soumettre`, then confirms; returns the bot's confirmation. */
  async submit(): Promise<ReceivedMessage> {
    await this.say('!soumettre');
    return this.say('!oui');
  }
}
