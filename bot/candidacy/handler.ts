// The candidacy rooms: each message of the lead or a co-editor goes through the
// conversation (flows/conversation.ts), its effects are saved in one atomic write
// with the event id, and only then is the reply sent.
import { ConflictError, DuplicateError, StorageUnavailableError } from '../../storage/errors.ts';
import type { AnswerEffect, Candidacy, CandidacyChange, Collectivite } from '../../storage/candidacies.ts';
import { hasApplied } from '../../storage/candidacies.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import { SnapshotError, step, type ConversationEvent, type StepResult } from '../../flows/conversation.ts';
import { type Membership, placeOf } from '../../flows/reach.ts';
import type { AnswerValue } from '../../flows/answers.ts';
import type { Effect, ReplyIntent } from '../../flows/intents.ts';
import { identityOf } from '../../flows/navigation.ts';
import type { Questionnaire } from '../../flows/questionnaire.ts';
import { translator } from '../../locales/i18n.ts';
import { renderReplies } from '../render/candidacy.ts';
import { escapeHtml } from '../html-guard.ts';
import { eventLogger, type Logger } from '../../config/logging.ts';
import type { BotContext } from '../context.ts';
import type { OutgoingMessage, RawEvent, RoomHandler, RoutedEvent } from '../types.ts';
import { NUMBER_KEYS, YES_NO_KEYS, parseRoomEvent } from './parse-event.ts';
import { readConversation, writeConversation, type BotConversation } from './stored-conversation.ts';
import type { CandidacyCatalog } from './catalog.ts';
import { onMembership } from './membership.ts';

const MAX_ATTEMPTS = 5;
/** Show "typing…" when the work before the reply takes longer than this. */
const TYPING_AFTER_MS = 400;
const USER_ID = /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** Who may act in a candidacy room. */
export function isMember(candidacy: Candidacy, userId: string): boolean {
  const { lead, eluReferent, coEditors } = candidacy.people;
  return (
    lead.userId === userId || eluReferent?.userId === userId || coEditors.some((p) => p.userId === userId)
  );
}

function toStorageEffects(effects: readonly Effect[]): AnswerEffect[] {
  const out: AnswerEffect[] = [];
  for (const effect of effects) {
    if (effect.type === 'answerSet')
      out.push({ kind: 'set', questionId: effect.questionId, value: effect.value });
    if (effect.type === 'answerCleared') out.push({ kind: 'clear', questionId: effect.questionId });
  }
  return out;
}

function collectiviteFrom(
  questionnaire: Questionnaire,
  answers: Record<string, { value: AnswerValue }>,
): Collectivite | null {
  const identity = identityOf(questionnaire, answers as never);
  const name = identity.collectivity_name;
  const kind = identity.collectivity_kind;
  if (typeof name !== 'string' || typeof kind !== 'string') return null;
  const code = identity.official_code;
  return { name, kind, ...(typeof code === 'string' && code.trim() ? { officialCode: code.trim() } : {}) };
}

/** Per-room memory that never needs to survive a restart (quick-reply targets). */
interface Prompt {
  eventId: string;
  pollEventId?: string;
  questionId: string;
}

export class CandidacyHandler implements RoomHandler {
  private readonly ctx: BotContext;
  private readonly catalog: CandidacyCatalog;
  private readonly prompts = new Map<string, Prompt>();
  /** Per room, the pending "typing…" of the event being handled: cancelled once a reply goes out. */
  private readonly typingSoon = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(ctx: BotContext, catalog: CandidacyCatalog) {
    this.ctx = ctx;
    this.catalog = catalog;
  }

  async handle(routed: RoutedEvent): Promise<void> {
    try {
      await this.handleEvent(routed);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      // Whatever step could not reach the database, nothing was saved: say so, in the
      // room's language if it is known without the database.
      const { roomId, event } = routed;
      this.ctx.logger.warn(
        { roomId, eventId: event.event_id, err: error },
        'event not handled: database unavailable',
      );
      if (event.type !== 'm.room.message') return;
      const cached = this.catalog.cached(roomId);
      const text = translator(cached?.language ?? this.ctx.config.bot.defaultLanguage)('notSaved');
      await this.say(roomId, event, { plain: text, html: escapeHtml(text) }, 'not-saved');
    }
  }

  private async handleEvent({ roomId, event }: RoutedEvent): Promise<void> {
    const candidacy = await this.catalog.byRoom(roomId);
    if (!candidacy) return;
    const log = eventLogger(this.ctx.logger, {
      roomId,
      sender: event.sender,
      eventId: event.event_id,
      candidacyId: candidacy.id,
    });
    if (event.type === 'm.room.member') {
      const person = event.state_key ?? event.sender;
      const lang = await this.languageOf(person, candidacy);
      const change = { roomId, event, candidacy, member: isMember(candidacy, person), lang };
      await onMembership(this.ctx, this.catalog, change, (replies) =>
        this.sendReplies(roomId, event.event_id, replies, lang, candidacy),
      );
      return;
    }
    const parsed = parseRoomEvent(event, this.ctx.config.bot.maxMessageLength);
    if (parsed.kind === 'ignore') return;
    const lang = await this.languageOf(event.sender, candidacy);
    const t = translator(lang, 'bot');

    if (!isMember(candidacy, event.sender)) {
      if (parsed.kind === 'text' || parsed.kind === 'edit') {
        log.info('message from someone outside the candidacy refused');
        await this.say(roomId, event, {
          plain: t('strangerRefused', { user: event.sender }),
          html: escapeHtml(t('strangerRefused', { user: event.sender })),
        });
      }
      return;
    }
    if (parsed.kind === 'tooLong') {
      const text = translator(lang)('tooLong', {
        size: parsed.size,
        max: this.ctx.config.bot.maxMessageLength,
      });
      await this.say(roomId, event, { plain: text, html: escapeHtml(text) });
      return;
    }
    if (parsed.kind === 'notText') {
      await this.say(roomId, event, { plain: t('fileNotAccepted'), html: escapeHtml(t('fileNotAccepted')) });
      return;
    }
    if (parsed.kind === 'text' && /^!\s*(inviter|invite)\b/i.test(parsed.text.trim())) {
      await this.invite(roomId, event, candidacy, parsed.text.trim().split(/\s+/)[1] ?? '', lang, log);
      return;
    }

    if (parsed.kind === 'text' && (await this.isReplyToJury(candidacy, parsed.text))) {
      // The rebuttal step: while a juror's question waits, plain text is the candidate's reply.
      await this.ctx.services.jury?.relayCandidateReply(
        candidacy.id,
        event.sender,
        parsed.text,
        event.event_id,
      );
      return;
    }

    // "Typing…" only when the bot's work before its reply takes a while: a quick reply needs
    // no notice, and each notification costs the homeserver and every client in the room a
    // sync wake-up. Once the reply is on its way, the reply itself is the news.
    let typing = false;
    const slow = setTimeout(() => {
      typing = true;
      void this.ctx.messenger.typing(roomId, true);
    }, TYPING_AFTER_MS);
    this.typingSoon.set(roomId, slow);
    try {
      await this.converse(roomId, event, candidacy, parsed, lang, log);
    } finally {
      clearTimeout(slow);
      this.typingSoon.delete(roomId);
      if (typing) void this.ctx.messenger.typing(roomId, false);
      void this.ctx.messenger.readReceipt(roomId, event.event_id);
    }
  }

  /** Runs one event through the conversation and saves it; retried on a concurrent write. */
  private async converse(
    roomId: string,
    event: RawEvent,
    first: Candidacy,
    parsed: ReturnType<typeof parseRoomEvent>,
    lang: string,
    log: Logger,
  ): Promise<void> {
    let candidacy = first;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = readConversation(candidacy.conversation);
      if (!stored) return;
      if (hasApplied(candidacy, event.event_id)) {
        // Delivered again (restart, replayed sync): the change is saved; make sure the reply went out.
        if (stored.outbox?.eventId === event.event_id) {
          await this.sendReplies(
            roomId,
            event.event_id,
            stored.outbox.replies,
            stored.outbox.lang,
            candidacy,
          );
        }
        return;
      }
      const input = this.toConversationEvent(roomId, event, parsed, stored, candidacy);
      if (input === 'editUnknown') {
        const t = translator(lang, 'bot');
        await this.say(roomId, event, { plain: t('editUnknown'), html: escapeHtml(t('editUnknown')) });
        return;
      }
      if (input === null) return;
      const { questionnaire, campaign } = await this.catalog.settings(candidacy);
      let result: StepResult;
      try {
        result = step({
          questionnaire,
          campaign: { closesAt: campaign.closesAt, timeZone: campaign.timeZone },
          snapshot: stored.flow,
          event: input,
          now: this.ctx.clock.now(),
        });
      } catch (error) {
        if (!(error instanceof SnapshotError)) throw error;
        log.error({ err: error }, 'stored conversation cannot be restored');
        const t = translator(lang, 'bot');
        await this.say(roomId, event, { plain: t('snapshotBroken'), html: escapeHtml(t('snapshotBroken')) });
        return;
      }
      const replyLang = this.replyLanguage(result.effects, lang);
      // Even a refused answer or a read-only command is recorded (event id and reply, the
      // conversation unchanged): delivered again after later events, it must not be read
      // anew against a conversation that has moved on.
      const change = this.changeFor(event, candidacy, stored, result, questionnaire, replyLang);
      try {
        const outcome = await this.ctx.storage.candidacies.update(candidacy, change);
        candidacy = outcome.candidacy;
        this.catalog.remember(candidacy);
        if (outcome.outcome === 'duplicate') continue;
      } catch (error) {
        if (error instanceof ConflictError) {
          log.debug({ attempt }, 'candidacy changed meanwhile: re-reading');
          candidacy = (await this.catalog.reload(candidacy.id)) ?? candidacy;
          continue;
        }
        if (error instanceof DuplicateError && change.collectivite) {
          // Another candidacy of this campaign already stands for this collectivité.
          log.info({ constraint: error.constraint }, 'answer refused: collectivité already a candidate');
          const text = translator(lang, 'bot')('duplicateCollectivite', { name: change.collectivite.name });
          await this.say(roomId, event, { plain: text, html: escapeHtml(text) }, 'duplicate');
          return;
        }
        if (error instanceof StorageUnavailableError) {
          log.warn({ err: error }, 'answer not saved: database unavailable');
          const text = translator(lang)('notSaved');
          await this.say(roomId, event, { plain: text, html: escapeHtml(text) }, 'not-saved');
          return;
        }
        throw error;
      }
      this.ctx.metrics.answersSaved.inc(result.effects.filter((e) => e.type === 'answerSet').length);
      await this.afterSave(roomId, event, candidacy, result, first, campaign, replyLang);
      return;
    }
    throw new Error(`candidacy ${first.id}: still conflicting after ${MAX_ATTEMPTS} attempts`);
  }

  private changeFor(
    event: RawEvent,
    candidacy: Candidacy,
    stored: BotConversation,
    result: StepResult,
    questionnaire: Questionnaire,
    replyLang: string,
  ): CandidacyChange {
    const answerEvents = { ...stored.answerEvents };
    for (const effect of result.effects) {
      if (effect.type === 'answerSet' && effect.source === 'answer')
        answerEvents[event.event_id] = effect.questionId;
    }
    const status = [...result.effects].reverse().find((e) => e.type === 'status');
    const collectivite = collectiviteFrom(questionnaire, result.view.answers);
    const change: CandidacyChange = {
      by: event.sender,
      eventId: event.event_id,
      at: new Date(event.origin_server_ts || this.ctx.clock.now().getTime()),
      effects: toStorageEffects(result.effects),
      conversation: writeConversation({
        flow: result.snapshot,
        outbox: { eventId: event.event_id, replies: result.replies, lang: replyLang },
        answerEvents,
      }),
    };
    if (status?.type === 'status' && status.status !== candidacy.status) change.status = status.status;
    if (collectivite && JSON.stringify(collectivite) !== JSON.stringify(candidacy.collectivite)) {
      change.collectivite = collectivite;
    }
    return change;
  }

  private async afterSave(
    roomId: string,
    event: RawEvent,
    candidacy: Candidacy,
    result: StepResult,
    before: Candidacy,
    campaign: Campaign,
    replyLang: string,
  ): Promise<void> {
    for (const effect of result.effects) {
      if (effect.type === 'language') await this.catalog.setLanguage(effect.person, effect.lang);
    }
    await this.sendReplies(roomId, event.event_id, result.replies, replyLang, candidacy);
    if (candidacy.collectivite && candidacy.collectivite.name !== before.collectivite?.name) {
      const t = translator(candidacy.language, 'bot');
      await this.ctx.messenger
        .setRoomName(
          roomId,
          t('roomNameKnown', { collectivite: candidacy.collectivite.name, campaign: campaign.name }),
        )
        .catch(() => undefined);
    }
    const answered = result.effects.some((e) => e.type === 'answerSet' || e.type === 'answerCleared');
    const submittedNow = candidacy.status === 'submitted' && before.status !== 'submitted';
    if (submittedNow || (answered && candidacy.status === 'submitted')) {
      await this.ctx.services.jury?.syncDossiers(candidacy.id);
    }
  }

  private toConversationEvent(
    roomId: string,
    event: RawEvent,
    parsed: ReturnType<typeof parseRoomEvent>,
    stored: BotConversation,
    _candidacy: Candidacy,
  ): ConversationEvent | 'editUnknown' | null {
    const base = {
      sender: event.sender,
      at: new Date(event.origin_server_ts || this.ctx.clock.now().getTime()),
    };
    switch (parsed.kind) {
      case 'text':
        return { type: 'text', text: parsed.text, ...base };
      case 'edit': {
        const questionId = stored.answerEvents[parsed.originalEventId];
        return questionId ? { type: 'replace', questionId, text: parsed.text, ...base } : 'editUnknown';
      }
      case 'redaction': {
        const questionId = stored.answerEvents[parsed.redactedEventId];
        return questionId ? { type: 'redacted', questionId, ...base } : null;
      }
      case 'reaction': {
        const prompt = this.prompts.get(roomId);
        if (prompt && prompt.eventId !== parsed.targetEventId) return null;
        const yesNo = YES_NO_KEYS[parsed.key];
        if (yesNo) return { type: 'text', text: yesNo === 'yes' ? 'oui' : 'non', ...base };
        const index = NUMBER_KEYS.indexOf(parsed.key);
        return index >= 0 ? { type: 'text', text: String(index + 1), ...base } : null;
      }
      case 'pollResponse': {
        const prompt = this.prompts.get(roomId);
        if (!prompt || prompt.pollEventId !== parsed.pollEventId || parsed.answerIds.length === 0)
          return null;
        return { type: 'text', text: parsed.answerIds.join(', '), ...base };
      }
      default:
        return null;
    }
  }

  /** Renders the replies into one message and sends it, with quick replies for the question asked. */
  private async sendReplies(
    roomId: string,
    eventId: string,
    replies: readonly ReplyIntent[],
    lang: string,
    candidacy: Candidacy,
  ): Promise<void> {
    if (replies.length === 0) return;
    const { questionnaire } = await this.catalog.settings(candidacy);
    const rendered = renderReplies([...replies], lang, questionnaire);
    const message: OutgoingMessage = {
      plain: rendered.map((r) => r.plain).join('\n\n'),
      html: rendered.map((r) => r.html).join(''),
      blocks: rendered,
    };
    const ask = [...replies]
      .reverse()
      .find((r): r is Extract<ReplyIntent, { kind: 'ask' }> => r.kind === 'ask');
    const question = ask ? questionnaire.byId.get(ask.questionId) : undefined;
    if (question?.type === 'yes_no') message.quickReplies = ['✅', '❌'];
    if (question?.type === 'single_choice' && question.choices.length <= NUMBER_KEYS.length) {
      message.quickReplies = NUMBER_KEYS.slice(0, question.choices.length);
    }
    if (
      (question?.type === 'single_choice' || question?.type === 'multiple_choice') &&
      question.choices.length <= 20
    ) {
      message.poll = {
        question: rendered[rendered.length - 1]?.plain.split('\n')[0] ?? question.id,
        answers: question.choices.map((choice) => ({
          id: choice.id,
          text: choice.label[lang] ?? choice.label.fr ?? choice.id,
        })),
        maxSelections: question.type === 'single_choice' ? 1 : question.choices.length,
      };
    }
    clearTimeout(this.typingSoon.get(roomId));
    const ids = await this.ctx.messenger.send(roomId, message, {
      idempotencyKey: `reply:${eventId}`,
      // The poll goes out after the question: answers to it count once it is known.
      onPollSent: (pollEventId) => {
        const prompt = this.prompts.get(roomId);
        if (prompt && prompt.eventId === ids[0]) prompt.pollEventId = pollEventId;
      },
    });
    if (question && ids[0]) this.prompts.set(roomId, { eventId: ids[0], questionId: question.id });
    else this.prompts.delete(roomId);
  }

  private async isReplyToJury(candidacy: Candidacy, text: string): Promise<boolean> {
    if (candidacy.status === 'draft' || candidacy.status === 'withdrawn' || text.trim().startsWith('!'))
      return false;
    return (await this.ctx.services.jury?.hasWaitingQuestion?.(candidacy.id)) ?? false;
  }

  /** Sends the replies saved with the candidacy's last change (idempotent). */
  async sendStoredOutbox(candidacy: Candidacy): Promise<void> {
    const stored = readConversation(candidacy.conversation);
    if (!candidacy.roomId || !stored?.outbox) return;
    await this.sendReplies(
      candidacy.roomId,
      stored.outbox.eventId,
      stored.outbox.replies,
      stored.outbox.lang,
      candidacy,
    );
  }

  async applySystemEvent(
    candidacyId: string,
    event: { type: 'close' } | { type: 'decide'; level: string },
    key: string,
    by: string,
  ): Promise<Candidacy | null> {
    const outcome = await this.ctx.storage.candidacies.updateWithRetry(
      candidacyId,
      async (current) => {
        const stored = readConversation(current.conversation);
        if (!stored) return null;
        const { questionnaire, campaign } = await this.catalog.settings(current);
        const result = step({
          questionnaire,
          campaign: { closesAt: campaign.closesAt, timeZone: campaign.timeZone },
          snapshot: stored.flow,
          event: { ...event, at: this.ctx.clock.now() },
          now: this.ctx.clock.now(),
        });
        if (!result.accepted) return null;
        const status = [...result.effects].reverse().find((e) => e.type === 'status');
        return {
          by,
          eventId: key,
          effects: toStorageEffects(result.effects),
          conversation: writeConversation({ ...stored, flow: result.snapshot, outbox: null }),
          ...(status?.type === 'status' && status.status !== current.status ? { status: status.status } : {}),
        };
      },
      { eventId: key },
    );
    this.catalog.remember(outcome.candidacy);
    return outcome.candidacy;
  }

  /** A message from elsewhere in the bot (jury question, decision, announcement) in the room's language. */
  async notify(
    candidacyId: string,
    render: (lang: string) => { plain: string; html: string },
    key: string,
  ): Promise<void> {
    const candidacy = await this.ctx.storage.candidacies.get(candidacyId);
    if (!candidacy?.roomId) return;
    await this.ctx.messenger.send(candidacy.roomId, render(candidacy.language), { idempotencyKey: key });
  }

  private async say(roomId: string, event: RawEvent, message: OutgoingMessage, tag = 'note'): Promise<void> {
    clearTimeout(this.typingSoon.get(roomId));
    await this.ctx.messenger.send(roomId, message, { idempotencyKey: `${tag}:${event.event_id}` });
  }

  private replyLanguage(effects: readonly Effect[], lang: string): string {
    const changed = [...effects].reverse().find((e) => e.type === 'language');
    return changed?.type === 'language' ? changed.lang : lang;
  }

  private async languageOf(userId: string, candidacy: Candidacy): Promise<string> {
    return (await this.catalog.language(userId)) ?? candidacy.language ?? this.ctx.config.bot.defaultLanguage;
  }

  /** `!inviter @user:server`: the lead adds a co-editor, who is invited to the room. */
  private async invite(
    roomId: string,
    event: RawEvent,
    candidacy: Candidacy,
    target: string,
    lang: string,
    log: Logger,
  ): Promise<void> {
    const t = translator(lang, 'bot');
    const reply = (text: string) => this.say(roomId, event, { plain: text, html: escapeHtml(text) });
    if (candidacy.people.lead.userId !== event.sender) return reply(t('inviteOnlyLead'));
    if (!USER_ID.test(target)) return reply(t('inviteBadUser', { user: target }));
    if (isMember(candidacy, target)) {
      // Someone of the candidacy who left the room (or declined) is invited again.
      const place = placeOf((await this.ctx.messenger.membership(roomId, target)) as Membership);
      if (place !== 'reinvite') return reply(t('inviteAlready', { user: target }));
      await this.ctx.messenger.invite(roomId, target).catch((error: unknown) => {
        log.warn({ err: error, target }, 'invite back failed');
      });
      log.info({ target }, 'member invited back');
      return reply(t('inviteAgain', { user: target }));
    }
    const outcome = await this.ctx.storage.candidacies.updateWithRetry(
      candidacy.id,
      (current) =>
        isMember(current, target)
          ? null
          : {
              by: event.sender,
              eventId: event.event_id,
              people: { ...current.people, coEditors: [...current.people.coEditors, { userId: target }] },
            },
      { eventId: event.event_id },
    );
    this.catalog.remember(outcome.candidacy);
    await this.ctx.messenger.invite(roomId, target).catch((error: unknown) => {
      log.warn({ err: error, target }, 'invite failed');
    });
    log.info({ target }, 'co-editor invited');
    await reply(t('inviteDone', { user: target }));
  }
}
