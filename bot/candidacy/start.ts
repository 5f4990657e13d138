// Starting a candidacy: from a direct chat with the bot, an invitation (also an
// encrypted one, which the bot cannot read and so leaves for a new room), or a
// start command in the lobby. Each start creates a private candidacy room, invites
// the person and opens the conversation there.
import { start } from '../../flows/conversation.ts';
import type { AnswerValue } from '../../flows/answers.ts';
import { isSupportedLanguage, translator } from '../../locales/i18n.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import { escapeHtml } from '../html-guard.ts';
import type { BotContext } from '../context.ts';
import type { StoredRoomDirectory } from '../rooms.ts';
import type { InviteHandler } from '../router.ts';
import type { RawEvent, RoomHandler, RoutedEvent } from '../types.ts';
import type { CandidacyCatalog } from './catalog.ts';
import { writeConversation } from './stored-conversation.ts';

const START = /^!\s*(candidater|candidature|apply|start|commencer)\b/i;
const HELP = /^!\s*(aide|help|\?)\s*$/i;
const LANGUAGE = /^!\s*(langue|language|lang)\s+(\S+)/i;
const ACTIVE = new Set(['draft', 'submitted', 'under_review']);

function notice(text: string) {
  return { plain: text, html: escapeHtml(text) };
}

export class CandidacyStarter implements InviteHandler, RoomHandler {
  private readonly ctx: BotContext;
  private readonly catalog: CandidacyCatalog;
  private readonly directory: StoredRoomDirectory;

  constructor(ctx: BotContext, catalog: CandidacyCatalog, directory: StoredRoomDirectory) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.directory = directory;
  }

  private async languageOf(userId: string): Promise<string> {
    return (await this.catalog.language(userId)) ?? this.ctx.config.bot.defaultLanguage;
  }

  /** An invitation: a configured room is simply joined; any other is a person's direct chat. */
  async handleInvite(roomId: string, invite: RawEvent): Promise<void> {
    const known = await this.directory.entry(roomId);
    await this.ctx.messenger.join(roomId);
    if (known) return;
    const person = invite.sender;
    await this.directory.register(roomId, { kind: 'dm', userId: person });
    const encrypted = await this.ctx.messenger.isEncrypted(roomId);
    this.ctx.logger.info({ roomId, person, encrypted }, 'joined a direct chat');
    if (encrypted) {
      // Both languages: we do not know the person's yet, and they may not read the rest here.
      const both = `${translator('fr', 'bot')('encryptedRoom')}\n\n${translator('en', 'bot')('encryptedRoom')}`;
      await this.ctx.messenger.send(roomId, notice(both), { idempotencyKey: `encrypted:${invite.event_id}` });
    }
    await this.startFor(person, invite.event_id, roomId, !encrypted);
  }

  /** Messages in the lobby and in direct chats. */
  async handle({ roomId, kind, event }: RoutedEvent): Promise<void> {
    if (event.type !== 'm.room.message') return;
    const body = typeof event.content.body === 'string' ? event.content.body.trim() : '';
    const lang = await this.languageOf(event.sender);
    const t = translator(lang, 'bot');
    const key = `lobby:${event.event_id}`;
    if (START.test(body)) {
      await this.startFor(event.sender, event.event_id, roomId, false, true);
      return;
    }
    const language = LANGUAGE.exec(body);
    if (language) {
      const wanted = (language[2] ?? '').toLowerCase();
      if (isSupportedLanguage(wanted)) {
        await this.catalog.setLanguage(event.sender, wanted);
        await this.ctx.messenger.send(roomId, notice(translator(wanted, 'bot')('languageSet')), {
          idempotencyKey: key,
        });
        return;
      }
    }
    // In the public lobby, people may chat: only commands get an answer. A direct chat always does.
    if (kind === 'dm' || HELP.test(body) || body.startsWith('!')) {
      await this.ctx.messenger.send(roomId, notice(t('lobbyHelp')), { idempotencyKey: key });
    }
  }

  /**
   * Starts a candidacy for `person` from the event `originEventId` (a second start from
   * the same event returns the first one). `welcome`: the reply in `replyRoom` is the
   * first greeting of a direct chat; `explicit`: the person asked with a command, so an
   * existing candidacy does not prevent a new one.
   */
  async startFor(
    person: string,
    originEventId: string,
    replyRoom: string,
    welcome: boolean,
    explicit = false,
  ): Promise<void> {
    const lang = await this.languageOf(person);
    const t = translator(lang, 'bot');
    const reply = (text: string, tag: string) =>
      this.ctx.messenger.send(replyRoom, notice(text), { idempotencyKey: `${tag}:${originEventId}` });
    const campaign = await this.ctx.storage.campaigns.getOpen();
    const now = this.ctx.clock.now();
    if (
      !campaign ||
      campaign.closesAt.getTime() <= now.getTime() ||
      campaign.opensAt.getTime() > now.getTime()
    ) {
      await reply(t('noOpenCampaign'), 'no-campaign');
      return;
    }
    const mine = await this.ctx.storage.candidacies.listByMember(person);
    const ongoing = mine.filter(
      (c) => c.campaignId === campaign.id && ACTIVE.has(c.status) && c.originEventId !== originEventId,
    );
    if (!explicit && ongoing.length > 0) {
      const rooms = ongoing
        .map((c) => c.collectivite?.name ?? t('roomName', { campaign: campaign.name }))
        .join(', ');
      await reply(t('alreadyCandidate', { count: ongoing.length, rooms }), 'existing');
      return;
    }
    const { candidacy } = await this.ctx.storage.candidacies.create({
      campaignId: campaign.id,
      people: { lead: { userId: person }, coEditors: [] },
      language: lang,
      originEventId,
      at: now,
    });
    const roomName = t('roomName', { campaign: campaign.name });
    if (!candidacy.roomId)
      await this.openRoom(candidacy, person, roomName, lang, previousAnswers(mine, campaign.id));
    await reply(t(welcome ? 'welcomeDirect' : 'candidacyStarted', { room: roomName }), 'started');
  }

  private async openRoom(
    candidacy: Candidacy,
    person: string,
    roomName: string,
    lang: string,
    lastYear: Record<string, AnswerValue> | undefined,
  ): Promise<void> {
    const t = translator(lang, 'bot');
    const roomId = await this.ctx.messenger.createRoom({
      name: roomName,
      topic: t('roomTopic'),
      invite: [person],
    });
    await this.directory.register(roomId, { kind: 'candidacy', candidacyId: candidacy.id });
    const { campaign, questionnaire } = await this.catalog.settings(candidacy);
    const opened = start({
      questionnaire,
      campaign: { closesAt: campaign.closesAt, timeZone: campaign.timeZone },
      startedBy: person,
      now: this.ctx.clock.now(),
      ...(lastYear ? { lastYear } : {}),
    });
    const startKey = `start:${candidacy.id}`;
    const { candidacy: saved } = await this.ctx.storage.candidacies.updateWithRetry(
      candidacy.id,
      (current) =>
        current.roomId
          ? null
          : {
              by: 'system:bot',
              roomId,
              conversation: writeConversation({
                flow: opened.snapshot,
                outbox: { eventId: startKey, replies: opened.replies, lang },
                answerEvents: {},
              }),
            },
    );
    this.catalog.remember(saved);
    this.ctx.logger.info(
      { candidacyId: candidacy.id, roomId, person, renewal: Boolean(lastYear) },
      'candidacy room opened',
    );
    const handler = this.ctx.services.candidacy;
    if (handler) await handler.sendStoredOutbox(saved);
  }
}

/** Renewal: the answers of this person's most recent candidacy in an earlier campaign. */
function previousAnswers(
  mine: readonly Candidacy[],
  campaignId: string,
): Record<string, AnswerValue> | undefined {
  const earlier = mine
    .filter((c) => c.campaignId !== campaignId && ['submitted', 'under_review', 'decided'].includes(c.status))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  if (!earlier) return undefined;
  const values: Record<string, AnswerValue> = {};
  for (const [questionId, answer] of Object.entries(earlier.answers))
    values[questionId] = answer.value as AnswerValue;
  return Object.keys(values).length > 0 ? values : undefined;
}
