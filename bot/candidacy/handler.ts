// The candidacy rooms: each message of the lead or a co-editor goes through the
// conversation (flows/conversation.ts), its effects are saved in one atomic write
// with the event id, and only then is the reply sent.
//
// Why this file is long: every kind of event in a candidacy room (answers, edits, redactions,
// reactions, poll votes, memberships) goes through the same exactly-once write loop here; what
// stands alone is in parse-event.ts, quick-replies.ts, membership.ts and whereabouts.ts.
import { ConflictError, DuplicateError, StorageUnavailableError } from '../../storage/errors.ts';
import type { AnswerEffect, Candidacy, CandidacyChange, Collectivite } from '../../storage/candidacies.ts';
import { hasApplied } from '../../storage/candidacies.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import {
  SnapshotError,
  inspect,
  reminderOf,
  step,
  type ConversationEvent,
  type StepResult,
} from '../../flows/conversation.ts';
import { type Membership, placeOf } from '../../flows/reach.ts';
import type { AnswerValue } from '../../flows/answers.ts';
import type { Effect, ReplyIntent } from '../../flows/intents.ts';
import { identityOf } from '../../flows/navigation.ts';
import type { Questionnaire } from '../../flows/questionnaire.ts';
import { translator } from '../../locales/i18n.ts';
import { renderReplies } from '../render/candidacy.ts';
import { escapeHtml } from '../html-guard.ts';
import { eventLogger, type Logger } from '../../config/logging.ts';
import type { BotContext, JuryPort } from '../context.ts';
import type { OutgoingMessage, RawEvent, RoomHandler, RoutedEvent } from '../types.ts';
import { parseRoomEvent } from './parse-event.ts';
import { QuickReplies } from './quick-replies.ts';
import { readConversation, writeConversation, type BotConversation } from './stored-conversation.ts';
import type { CandidacyCatalog } from './catalog.ts';
import { onMembership } from './membership.ts';
import { flowCampaign } from './flow-campaign.ts';

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
      out.push({
        kind: 'set',
        questionId: effect.questionId,
        value: effect.value,
        ...(effect.itemsBy ? { itemsBy: [...effect.itemsBy] } : {}),
      });
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

export class CandidacyHandler implements RoomHandler {
  private readonly ctx: BotContext;
  private readonly catalog: CandidacyCatalog;
  /** The jury: dossiers to hand over, candidates' replies to its questions. */
  private readonly jury: JuryPort;
  /** Polls and reactions offered with questions (memory that need not survive a restart). */
  private readonly quick = new QuickReplies();
  /** Per room, the pending "typing…" of the event being handled: cancelled once a reply goes out. */
  private readonly typingSoon = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(ctx: BotContext, catalog: CandidacyCatalog, jury: JuryPort) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.jury = jury;
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
      const lang = cached?.language ?? this.ctx.config.bot.defaultLanguage;
      const text = translator(lang)('notSaved');
      // Only what is known without the database: the cached candidacy and campaign.
      const line = cached ? await this.currentLine(cached, lang, true).catch(() => undefined) : undefined;
      await this.say(roomId, event, withLine(text, line), 'not-saved');
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
      await onMembership(this.ctx, this.catalog, change, async (replies) =>
        this.sendReplies(roomId, event.event_id, replies, lang, candidacy, await this.askedNow(candidacy)),
      );
      return;
    }
    const parsed = parseRoomEvent(event, this.ctx.config.bot.maxMessageLength);
    if (parsed.kind === 'ignore') return;
    const lang = await this.languageOf(event.sender, candidacy);
    const t = translator(lang, 'bot');
    // A refusal or an error ends with the question being asked, so that it stays in view.
    const refuse = async (text: string, tag = 'note') =>
      this.say(roomId, event, withLine(text, await this.currentLine(candidacy, lang)), tag);

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
      await refuse(text);
      return;
    }
    if (parsed.kind === 'notText') {
      await refuse(t('fileNotAccepted'));
      return;
    }
    if (parsed.kind === 'text' && /^!\s*(inviter|invite)\b/i.test(parsed.text.trim())) {
      const answer = await this.invite(
        roomId,
        event,
        candidacy,
        parsed.text.trim().split(/\s+/)[1] ?? '',
        lang,
        log,
      );
      await refuse(answer);
      return;
    }

    if (parsed.kind === 'text' && (await this.isReplyToJury(candidacy, parsed.text))) {
      // The rebuttal step: while a juror's question waits, plain text is the candidate's reply.
      await this.jury.relayCandidateReply(candidacy.id, event.sender, parsed.text, event.event_id);
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
        for (const [person, chosen] of Object.entries(stored.languages ?? {}))
          if (person === event.sender) await this.catalog.setLanguage(person, chosen);
        if (stored.outbox?.eventId === event.event_id) {
          await this.sendReplies(
            roomId,
            event.event_id,
            stored.outbox.replies,
            stored.outbox.lang,
            candidacy,
            await this.askedNow(candidacy),
          );
        }
        return;
      }
      const input = this.toConversationEvent(roomId, event, parsed, stored, candidacy);
      if (input === 'editUnknown') {
        const text = translator(lang, 'bot')('editUnknown');
        await this.say(roomId, event, withLine(text, await this.currentLine(candidacy, lang)));
        return;
      }
      if (input === null) return;
      const { questionnaire, campaign } = await this.catalog.settings(candidacy);
      let result: StepResult;
      try {
        result = step({
          questionnaire,
          campaign: flowCampaign(campaign),
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
          const line = await this.currentLine(candidacy, lang);
          await this.say(roomId, event, withLine(text, line), 'duplicate');
          return;
        }
        if (error instanceof StorageUnavailableError) {
          log.warn({ err: error }, 'answer not saved: database unavailable');
          const text = translator(lang)('notSaved');
          const line = await this.currentLine(candidacy, lang, true).catch(() => undefined);
          await this.say(roomId, event, withLine(text, line), 'not-saved');
          return;
        }
        throw error;
      }
      this.ctx.metrics.answersSaved.inc(result.effects.filter((e) => e.type === 'answerSet').length);
      await this.afterSave(roomId, event, candidacy, result, first, campaign, replyLang);
      if (parsed.kind === 'pollResponse' && result.replies.some((r) => r.kind === 'lateQuickReply')) {
        // A vote in the poll of a question no longer asked: close that poll (one from before a restart, say).
        const late = input.type === 'quick' ? questionnaire.byId.get(input.questionId) : undefined;
        if (late) this.endPoll(roomId, parsed.pollEventId, late.number, replyLang);
      }
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
    // A language chosen here is saved with the event that chose it (then copied to the person's
    // settings): a crash in between cannot lose it.
    const languages = { ...stored.languages };
    for (const effect of result.effects)
      if (effect.type === 'language') languages[effect.person] = effect.lang;
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
        languages,
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
    const asked = result.view.state === 'filling' ? result.view.questionId : null;
    await this.sendReplies(roomId, event.event_id, result.replies, replyLang, candidacy, asked);
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
    // Made final early: the jury may vote on it now.
    const finalNow = candidacy.status === 'under_review' && before.status === 'submitted';
    if (submittedNow || finalNow || (answered && candidacy.status === 'submitted')) {
      await this.jury.syncDossiers(candidacy.id);
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
      case 'reaction':
      case 'pollResponse':
        return this.quick.toEvent(roomId, parsed, base);
      default:
        return null;
    }
  }

  /**
   * Renders the replies into one message and sends it, with the quick widget of the question
   * it asks; ends the polls of questions no longer asked. `asked`: the question being asked
   * once these replies are out.
   */
  private async sendReplies(
    roomId: string,
    eventId: string,
    replies: readonly ReplyIntent[],
    lang: string,
    candidacy: Candidacy,
    asked: string | null,
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
    const t = translator(lang, 'candidacy');
    const { widget, ending } = this.quick.plan(
      roomId,
      question,
      asked,
      (q) => t('poll.title', { number: q.number }),
      lang,
    );
    Object.assign(message, widget);
    clearTimeout(this.typingSoon.get(roomId));
    const ids = await this.ctx.messenger.send(roomId, message, {
      idempotencyKey: `reply:${eventId}`,
      // The poll goes out after the question; answered meanwhile, it is ended at once.
      onPollSent: (pollEventId) => {
        if (question && !this.quick.pollSent(roomId, pollEventId, question.id))
          this.endPoll(roomId, pollEventId, question.number, lang);
      },
    });
    this.quick.sent(roomId, question, ids[ids.length - 1]);
    for (const { pollId, questionId } of ending)
      this.endPoll(roomId, pollId, questionnaire.byId.get(questionId)?.number ?? 0, lang);
  }

  private endPoll(roomId: string, pollEventId: string, number: number, lang: string): void {
    const text = translator(lang, 'candidacy')('poll.ended', { number });
    void this.ctx.messenger.endPoll(roomId, pollEventId, text);
  }

  /** The question a stored conversation is asking, if any. */
  private async askedNow(candidacy: Candidacy, cachedOnly = false): Promise<string | null> {
    const known = await this.conversationView(candidacy, cachedOnly);
    return known?.view.state === 'filling' ? known.view.questionId : null;
  }

  private async conversationView(candidacy: Candidacy, cachedOnly: boolean) {
    const stored = readConversation(candidacy.conversation);
    if (!stored) return undefined;
    const settings = cachedOnly
      ? this.catalog.cachedSettings(candidacy)
      : await this.catalog.settings(candidacy);
    if (!settings) return undefined;
    const { questionnaire, campaign } = settings;
    try {
      const view = inspect({
        questionnaire,
        campaign: flowCampaign(campaign),
        snapshot: stored.flow,
      });
      return { questionnaire, view };
    } catch (error) {
      if (error instanceof SnapshotError) return undefined;
      throw error;
    }
  }

  /** The question being asked, in one line, to end a refusal or an error with. */
  private async currentLine(candidacy: Candidacy, lang: string, cachedOnly = false) {
    const known = await this.conversationView(candidacy, cachedOnly);
    const reminder = known ? reminderOf(known.view, known.questionnaire) : undefined;
    return reminder && known ? renderReplies([reminder], lang, known.questionnaire)[0] : undefined;
  }

  private async isReplyToJury(candidacy: Candidacy, text: string): Promise<boolean> {
    if (candidacy.status === 'draft' || candidacy.status === 'withdrawn' || text.trim().startsWith('!'))
      return false;
    return this.jury.hasWaitingQuestion(candidacy.id);
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
      await this.askedNow(candidacy),
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
          campaign: flowCampaign(campaign),
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
    // The choice saved with this candidacy first: copying it to the person's settings may have failed.
    const chosenHere = readConversation(candidacy.conversation)?.languages?.[userId];
    return (
      chosenHere ??
      (await this.catalog.language(userId)) ??
      candidacy.language ??
      this.ctx.config.bot.defaultLanguage
    );
  }

  /** `!inviter @user:server`: the lead adds a co-editor, who is invited to the room. Returns the reply. */
  private async invite(
    roomId: string,
    event: RawEvent,
    candidacy: Candidacy,
    target: string,
    lang: string,
    log: Logger,
  ): Promise<string> {
    const t = translator(lang, 'bot');
    if (candidacy.people.lead.userId !== event.sender) return t('inviteOnlyLead');
    if (!USER_ID.test(target)) return t('inviteBadUser', { user: target });
    if (isMember(candidacy, target)) {
      // Someone of the candidacy who left the room (or declined) is invited again.
      const place = placeOf((await this.ctx.messenger.membership(roomId, target)) as Membership);
      if (place !== 'reinvite') return t('inviteAlready', { user: target });
      await this.ctx.messenger.invite(roomId, target).catch((error: unknown) => {
        log.warn({ err: error, target }, 'invite back failed');
      });
      log.info({ target }, 'member invited back');
      return t('inviteAgain', { user: target });
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
    return t('inviteDone', { user: target });
  }
}

/** A short notice, then the question being asked in one line (when there is one). */
function withLine(text: string, line: { plain: string; html: string } | undefined): OutgoingMessage {
  if (!line) return { plain: text, html: escapeHtml(text) };
  return { plain: `${text}\n\n${line.plain}`, html: `<p>${escapeHtml(text)}</p>${line.html}` };
}
