// Starting a candidacy, and finding it again: from a direct chat with the bot, an
// invitation (also an encrypted one, which the bot cannot read and so leaves for a new
// room), or a command in the lobby. The person's candidacies are always looked up first:
// a direct chat says where they are (inviting the person back where they left), and a
// second start asks whether to continue or to apply for another collectivité.
import { start } from '../../flows/conversation.ts';
import type { AnswerValue } from '../../flows/answers.ts';
import {
  type DirectRequest,
  ONGOING,
  decideDirect,
  dependsOnCandidacies,
  directRequest,
  ordinalOf,
  roomNameFor,
} from '../../flows/reach.ts';
import { isSupportedLanguage, translator } from '../../locales/i18n.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import { escapeHtml } from '../html-guard.ts';
import type { BotContext, CandidacyPort } from '../context.ts';
import type { StoredRoomDirectory } from '../rooms.ts';
import type { InviteHandler } from '../router.ts';
import type { OutgoingMessage, RawEvent, RoomHandler, RoutedEvent } from '../types.ts';
import type { CandidacyCatalog } from './catalog.ts';
import { Whereabouts } from './whereabouts.ts';
import { writeConversation } from './stored-conversation.ts';
import { flowCampaign } from './flow-campaign.ts';

const LANGUAGE = /^!\s*(langue|language|lang)\s+(\S+)/i;

function notice(text: string) {
  return { plain: text, html: escapeHtml(text) };
}

/** What started a candidacy or asks about one: a greeting (new direct chat) or a message. */
type Trigger = {
  request: DirectRequest | 'greeting';
  room: 'dm' | 'lobby';
  eventId: string;
  replyRoom: string;
};

export class CandidacyStarter implements InviteHandler, RoomHandler {
  private readonly ctx: BotContext;
  private readonly catalog: CandidacyCatalog;
  /** The candidacy room's side: a new room gets the opening replies saved with it. */
  private readonly candidacy: CandidacyPort;
  private readonly directory: StoredRoomDirectory;
  private readonly whereabouts: Whereabouts;

  constructor(
    ctx: BotContext,
    catalog: CandidacyCatalog,
    directory: StoredRoomDirectory,
    candidacy: CandidacyPort,
  ) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.candidacy = candidacy;
    this.directory = directory;
    this.whereabouts = new Whereabouts(ctx, catalog);
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
    await this.respond(person, {
      request: 'greeting',
      room: 'dm',
      eventId: invite.event_id,
      replyRoom: roomId,
    });
  }

  /** Messages in the lobby and in direct chats. */
  async handle({ roomId, kind, event }: RoutedEvent): Promise<void> {
    if (event.type !== 'm.room.message') return;
    const body = typeof event.content.body === 'string' ? event.content.body.trim() : '';
    const request = directRequest(body);
    const language = request === 'command' ? LANGUAGE.exec(body) : null;
    const wanted = (language?.[2] ?? '').toLowerCase();
    if (language && isSupportedLanguage(wanted)) {
      await this.catalog.setLanguage(event.sender, wanted);
      await this.ctx.messenger.send(roomId, notice(translator(wanted, 'bot')('languageSet')), {
        idempotencyKey: `lobby:${event.event_id}`,
      });
      return;
    }
    await this.respond(event.sender, {
      request,
      room: kind === 'lobby' ? 'lobby' : 'dm',
      eventId: event.event_id,
      replyRoom: roomId,
    });
  }

  /**
   * Starts a candidacy for `person` from the event `originEventId` (a second start from
   * the same event returns the first one), as a direct chat's greeting (`welcome`) or a
   * start command. Tests and tools call it directly.
   */
  async startFor(person: string, originEventId: string, replyRoom: string, welcome: boolean): Promise<void> {
    await this.respond(person, {
      request: welcome ? 'greeting' : 'start',
      room: 'dm',
      eventId: originEventId,
      replyRoom,
    });
  }

  /** Looks up the person's candidacies, decides (flows/reach.ts) and acts. */
  private async respond(person: string, trigger: Trigger): Promise<void> {
    const lang = await this.languageOf(person);
    const t = translator(lang, 'bot');
    const reply = (message: OutgoingMessage, tag: string) =>
      this.ctx.messenger.send(trigger.replyRoom, message, { idempotencyKey: `${tag}:${trigger.eventId}` });
    if (!dependsOnCandidacies(trigger.request, trigger.room)) {
      // Lobby chat and lobby help: no look-up (the public room may be busy).
      const { kind } = decideDirect({ ...trigger, ongoing: 0, createdHere: false });
      if (kind === 'help') await reply(notice(t('lobbyHelp')), 'lobby');
      return;
    }
    const mine = await this.ctx.storage.candidacies.listByMember(person);
    const campaign = await this.openCampaign();
    const ongoing = mine.filter((c) => ONGOING.has(c.status) && c.originEventId !== trigger.eventId);
    const thisYear = campaign ? ongoing.filter((c) => c.campaignId === campaign.id) : [];
    const starting = ['greeting', 'start', 'new'].includes(trigger.request) && campaign !== null;
    const decision = decideDirect({
      request: trigger.request,
      room: trigger.room,
      ongoing: starting ? thisYear.length : ongoing.length,
      createdHere: mine.some((c) => c.originEventId === trigger.eventId),
    });
    this.ctx.logger.debug(
      { person, request: trigger.request, decision: decision.kind },
      'lobby or direct chat',
    );
    switch (decision.kind) {
      case 'silent':
        return;
      case 'help':
        await reply(notice(t('lobbyHelp')), 'lobby');
        return;
      case 'choose': {
        if (trigger.room === 'lobby') {
          const user = await this.whereabouts.nameOf(person);
          await reply(notice(t('chooseLobby', { count: thisYear.length, user })), 'choose');
          return;
        }
        const names = await Promise.all(thisYear.map((c) => this.whereabouts.roomName(c, lang)));
        const rooms = names.map((name) => (thisYear.length > 1 ? `« ${name} »` : name)).join(', ');
        await reply(notice(t('choose', { count: thisYear.length, rooms })), 'choose');
        return;
      }
      case 'where': {
        const found = await this.whereabouts.reach(person, await this.withRooms(ongoing, lang), lang);
        if (trigger.room === 'lobby') {
          const user = await this.whereabouts.nameOf(person);
          await reply(notice(t('whereLobby', { count: found.length, user })), 'where');
          return;
        }
        const hello = trigger.request === 'greeting';
        await reply(await this.whereabouts.describe(found, lang, { hello }), 'where');
        return;
      }
      case 'create':
        break;
    }
    if (!campaign) {
      await reply(notice(t('noOpenCampaign')), 'no-campaign');
      return;
    }
    const { candidacy } = await this.ctx.storage.candidacies.create({
      campaignId: campaign.id,
      people: { lead: { userId: person }, coEditors: [] },
      language: lang,
      originEventId: trigger.eventId,
      at: this.ctx.clock.now(),
    });
    const known = mine.some((c) => c.id === candidacy.id) ? mine : [...mine, candidacy];
    const name = roomNameFor({
      collectivite: null,
      campaign: campaign.name,
      lead: await this.whereabouts.nameOf(person),
      ordinal: ordinalOf(leadView(candidacy), known.map(leadView)),
    });
    const roomName = t(name.key, name.params);
    if (!candidacy.roomId)
      await this.openRoom(candidacy, person, roomName, lang, previousAnswers(mine, campaign.id));
    const key =
      trigger.request === 'greeting'
        ? 'welcomeDirect'
        : thisYear.length > 0
          ? 'anotherStarted'
          : 'candidacyStarted';
    await reply(notice(t(key, { room: roomName })), 'started');
  }

  /** The campaign accepting candidacies now, if any. */
  private async openCampaign(): Promise<Campaign | null> {
    const campaign = await this.catalog.openCampaign();
    const now = this.ctx.clock.now().getTime();
    if (!campaign || campaign.closesAt.getTime() <= now || campaign.opensAt.getTime() > now) return null;
    return campaign;
  }

  /** A candidacy whose room was never opened (a crash in between) gets one now: no draft is left behind. */
  private async withRooms(candidacies: readonly Candidacy[], lang: string): Promise<Candidacy[]> {
    const out: Candidacy[] = [];
    for (const candidacy of candidacies) {
      if (candidacy.roomId) {
        out.push(candidacy);
        continue;
      }
      const lead = candidacy.people.lead.userId;
      const name = await this.whereabouts.roomName(candidacy, lang);
      await this.openRoom(candidacy, lead, name, lang, undefined);
      out.push((await this.catalog.reload(candidacy.id)) ?? candidacy);
    }
    return out;
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
      campaign: flowCampaign(campaign),
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
    await this.candidacy.sendStoredOutbox(saved);
  }
}

function leadView(c: Candidacy) {
  return { id: c.id, campaignId: c.campaignId, leadId: c.people.lead.userId, createdAt: c.createdAt };
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
