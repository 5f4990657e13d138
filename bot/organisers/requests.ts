// What waits for `!confirmer`: the question for each irreversible command (open, close,
// remind, announce, publish), the pending action stored in the organisers' own record (so
// a restart does not lose it), and carrying it out once confirmed.
import type { Audience, OrganiserCommand } from '../../flows/campaign/commands.ts';
import {
  closeCampaign,
  markPublished,
  openCampaign,
  scheduleResults,
} from '../../flows/campaign/lifecycle.ts';
import { type Campaign, campaignToPublish, currentCampaign } from '../../flows/campaign/model.ts';
import { parseDateTime } from '../../flows/campaign/time.ts';
import type { PendingAction } from '../../storage/index.ts';
import type { BotContext } from '../context.ts';
import { blocks, paragraph } from '../render/html.ts';
import { type Rich, counted, date, renderAnnouncement, sentence } from '../render/organisers.ts';
import { type Reply, campaignOrReply, fieldProblems, refusalReply, say } from './replies.ts';
import type { OrganiserService } from './service.ts';
import { stageOf } from './store.ts';

/** How long a pending action waits for `!confirmer`. */
export const CONFIRM_MINUTES = 15;

export class Requests {
  readonly #ctx: BotContext;
  readonly #service: OrganiserService;

  constructor(ctx: BotContext, service: OrganiserService) {
    this.#ctx = ctx;
    this.#service = service;
  }

  #campaign(id: string | undefined, lang: string): Promise<Campaign | Reply[]> {
    return campaignOrReply(this.#service, id, lang);
  }

  async cancel(sender: string, lang: string): Promise<Reply[]> {
    const pending = await this.#ctx.storage.organisers.getPending(sender);
    if (!pending) return say(sentence(lang, 'confirm.nothingPending'));
    await this.#ctx.storage.organisers.clearPending(sender, pending.version);
    this.#ctx.logger.info({ by: sender, action: pending.action.kind }, 'organiser cancelled an action');
    return say(sentence(lang, 'confirm.cancelled'));
  }

  async askOpen(id: string | undefined, sender: string, lang: string): Promise<Reply[]> {
    const all = await this.#service.store.campaigns();
    // Without an id, the campaign to open is the latest draft.
    const target = id
      ? all.find((c) => c.id === id)
      : ([...all].reverse().find((c) => c.status === 'draft') ?? currentCampaign(all));
    if (!target) return say(sentence(lang, all.length ? 'unknownCampaign' : 'noCampaign', { id }));
    const check = openCampaign(target, all, this.#ctx.clock.now());
    if (!check.ok) return refusalReply(check.refusal, lang, target);
    const question = sentence(lang, 'confirm.open', {
      id: target.id,
      opens: date(target.opensAt, target, lang),
      closes: date(target.closesAt, target, lang),
    });
    return this.#ask(sender, { kind: 'open', campaignId: target.id }, question, lang);
  }

  async askClose(id: string | undefined, sender: string, lang: string): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    const check = closeCampaign(c, this.#ctx.clock.now());
    if (!check.ok) return refusalReply(check.refusal, lang, c);
    const question = sentence(lang, 'confirm.close', { id: c.id, closesAt: date(c.closesAt, c, lang) });
    return this.#ask(sender, { kind: 'close', campaignId: c.id }, question, lang);
  }

  async askRemind(
    id: string | undefined,
    audience: Audience,
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    if (c.status !== 'open') return refusalReply({ code: 'notOpen', id: c.id, status: c.status }, lang);
    // Reminders are for unfinished candidacies only, whatever list is given.
    const { targets, unknownRefs } = await this.#service.audienceRooms(c, audience);
    const unfinished = targets.filter((t) => stageOf(t, c) === 'draft');
    if (unfinished.length === 0)
      return say(this.#withUnknown(sentence(lang, 'confirm.noTargets'), unknownRefs, lang));
    const question = this.#withUnknown(
      sentence(lang, 'confirm.remind', { count: unfinished.length }),
      unknownRefs,
      lang,
    );
    const broadcastId = this.#service.newBroadcastId('remind');
    return this.#ask(sender, { kind: 'remind', campaignId: c.id, audience, broadcastId }, question, lang);
  }

  #withUnknown(message: Rich, unknownRefs: readonly string[], lang: string): Rich {
    if (unknownRefs.length === 0) return message;
    return blocks([
      message,
      sentence(lang, 'confirm.unknownRefs', { refs: unknownRefs.join(', '), count: unknownRefs.length }),
    ]);
  }

  async askAnnounce(
    command: Extract<OrganiserCommand, { kind: 'announce' }>,
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    const { audience } = command;
    if (audience.public && this.#ctx.rooms.announcements === null)
      return say(sentence(lang, 'publish.noPublicRoom'));
    let campaign: Campaign | null = null;
    let targets: unknown[] = [];
    let unknownRefs: string[] = [];
    if (audience.candidacies !== 'none') {
      const c = await this.#campaign(command.campaignId, lang);
      if (Array.isArray(c)) return c;
      campaign = c;
      ({ targets, unknownRefs } = await this.#service.audienceRooms(c, audience));
    }
    const toPublic = audience.public && this.#ctx.rooms.announcements !== null;
    const rooms = targets.length + (toPublic ? 1 : 0);
    if (rooms === 0) return say(this.#withUnknown(sentence(lang, 'confirm.noTargets'), unknownRefs, lang));
    const previews = Object.entries(command.texts).map(([l, body]) =>
      renderAnnouncement(body, l === '*' ? lang : l),
    );
    const question = blocks([
      ...previews,
      this.#withUnknown(sentence(lang, 'confirm.announce', { count: rooms }), unknownRefs, lang),
      toPublic ? sentence(lang, 'confirm.announcePublic') : paragraph(''),
    ]);
    const broadcastId = this.#service.newBroadcastId('announce');
    return this.#ask(
      sender,
      { kind: 'announce', campaignId: campaign?.id ?? null, audience, texts: command.texts, broadcastId },
      question,
      lang,
    );
  }

  async askPublish(
    id: string | undefined,
    at: string | undefined,
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    // The bot makes the announcements room at start when the config names none; without one
    // (rooms not settled) the palmarès would go nowhere: refuse rather than half-publish.
    if (this.#ctx.rooms.announcements === null) return say(sentence(lang, 'publish.noAnnouncementsRoom'));
    const all = await this.#service.store.campaigns();
    const c = id ? all.find((x) => x.id === id) : campaignToPublish(all);
    if (!c) return say(sentence(lang, id ? 'unknownCampaign' : 'publish.noClosedCampaign', { id }));
    const now = this.#ctx.clock.now();
    const decisions = await this.#ctx.storage.jury.listDecisions(c.id);
    const candidacies = await this.#service.store.candidacies(c.id);
    const decided = new Set(decisions.map((d) => d.candidacyId));
    const undecided = candidacies.filter((x) => {
      const stage = stageOf(x, c);
      return (stage === 'submitted' || stage === 'review') && !decided.has(x.id);
    }).length;
    const warning = undecided > 0 ? sentence(lang, 'confirm.undecided', { count: undecided }) : paragraph('');
    if (at !== undefined) {
      const when = parseDateTime(at, c.timeZone);
      if (!when) return say(fieldProblems([{ code: 'badDate', field: 'closes', value: at }], lang));
      const check = scheduleResults(c, when);
      if (!check.ok) return refusalReply(check.refusal, lang, c);
      const question = blocks([
        sentence(lang, 'confirm.publishAt', {
          id: c.id,
          name: c.name,
          date: date(when, c, lang),
          count: decided.size,
        }),
        warning,
      ]);
      return this.#ask(sender, { kind: 'publishAt', campaignId: c.id, at: when }, question, lang);
    }
    const check = markPublished(c, now);
    if (!check.ok) return refusalReply(check.refusal, lang, c);
    const question = blocks([
      sentence(lang, 'confirm.publishNow', {
        id: c.id,
        name: c.name,
        closed: date(c.closedAt ?? c.closesAt, c, lang),
        count: decided.size,
      }),
      warning,
    ]);
    return this.#ask(sender, { kind: 'publishNow', campaignId: c.id }, question, lang);
  }

  async #ask(sender: string, action: PendingAction, question: Rich, lang: string): Promise<Reply[]> {
    const expiresAt = new Date(this.#ctx.clock.now().getTime() + CONFIRM_MINUTES * 60_000);
    await this.#ctx.storage.organisers.setPending(sender, action, expiresAt);
    return say(blocks([question, sentence(lang, 'confirm.ask', { minutes: CONFIRM_MINUTES })]));
  }

  async confirm(sender: string, lang: string): Promise<Reply[]> {
    const pendings = this.#ctx.storage.organisers;
    const pending = await pendings.getPending(sender);
    if (!pending) return say(sentence(lang, 'confirm.nothingPending'));
    if (pending.expiresAt < this.#ctx.clock.now()) {
      await pendings.clearPending(sender, pending.version);
      return say(sentence(lang, 'confirm.expired'));
    }
    // Carried out first, forgotten after: confirming again after a crash repeats an idempotent action.
    const replies = await this.#carryOut(pending.action, sender, lang);
    await pendings.clearPending(sender, pending.version);
    this.#ctx.logger.info({ by: sender, action: pending.action }, 'organiser confirmed an action');
    void this.#service.scheduler.trigger();
    return replies;
  }

  async #carryOut(action: PendingAction, sender: string, lang: string): Promise<Reply[]> {
    const service = this.#service;
    const now = this.#ctx.clock.now();
    const campaign = action.campaignId ? await service.store.campaign(action.campaignId) : null;
    if (action.campaignId && !campaign)
      return say(sentence(lang, 'unknownCampaign', { id: action.campaignId }));
    switch (action.kind) {
      case 'open': {
        const outcome = await service.store.transition(action.campaignId, sender, now, (c, all) =>
          openCampaign(c, all, now),
        );
        if (!outcome) return say(sentence(lang, 'unknownCampaign', { id: action.campaignId }));
        if (!outcome.ok) return refusalReply(outcome.refusal, lang, campaign ?? undefined);
        const c = outcome.campaign;
        return say(
          sentence(lang, 'campaign.opened', {
            id: c.id,
            opens: date(c.opensAt, c, lang),
            closes: date(c.closesAt, c, lang),
          }),
        );
      }
      case 'close': {
        const c = campaign as Campaign;
        const check = closeCampaign(c, now);
        if (!check.ok) return refusalReply(check.refusal, lang, c);
        const candidacies = await service.store.candidacies(c.id);
        const freeze = candidacies.filter((x) => x.status === 'draft');
        const review = candidacies.filter((x) => x.status === 'submitted');
        await service.closeNow(c.id, sender, { freeze, review, notifyOrganisers: false });
        return say(
          sentence(lang, 'campaign.closed', {
            id: c.id,
            frozen: counted(lang, 'frozenDrafts', freeze.length),
            review: counted(lang, 'toJury', review.length),
          }),
        );
      }
      case 'remind': {
        const c = campaign as Campaign;
        const { targets } = await service.audienceRooms(c, action.audience);
        const unfinished = targets.filter((t) => stageOf(t, c) === 'draft');
        await service.planBroadcast({
          id: action.broadcastId,
          campaignId: c.id,
          kind: 'reminder',
          content: { campaignId: c.id, manual: true },
          target: { ...action.audience } as Record<string, unknown>,
          by: sender,
          rooms: unfinished.map((t) => ({ roomId: t.roomId, language: t.language })),
        });
        return say(sentence(lang, 'broadcast.started', { id: action.broadcastId, count: unfinished.length }));
      }
      case 'announce': {
        const rooms: Array<{ roomId: string | null; language: string | null }> = [];
        if (campaign && action.audience.candidacies !== 'none') {
          const { targets } = await service.audienceRooms(campaign, action.audience);
          rooms.push(...targets.map((t) => ({ roomId: t.roomId, language: t.language })));
        }
        if (action.audience.public && this.#ctx.rooms.announcements)
          rooms.push({ roomId: this.#ctx.rooms.announcements, language: null });
        await service.planBroadcast({
          id: action.broadcastId,
          campaignId: action.campaignId,
          kind: 'announcement',
          content: { texts: action.texts },
          target: { ...action.audience } as Record<string, unknown>,
          by: sender,
          rooms,
        });
        return say(sentence(lang, 'broadcast.started', { id: action.broadcastId, count: rooms.length }));
      }
      case 'publishNow': {
        const result = await service.publishNow(action.campaignId, sender);
        if (!result) return refusalReply({ code: 'alreadyPublished', id: action.campaignId }, lang);
        return say(
          sentence(lang, 'campaign.publishing', {
            id: action.campaignId,
            name: campaign?.name ?? action.campaignId,
            count: result.rooms,
          }),
        );
      }
      case 'publishAt': {
        const at = action.at;
        const outcome = await service.store.transition(action.campaignId, sender, now, (c) =>
          scheduleResults(c, at),
        );
        if (!outcome) return say(sentence(lang, 'unknownCampaign', { id: action.campaignId }));
        if (!outcome.ok) return refusalReply(outcome.refusal, lang, campaign ?? undefined);
        return say(
          sentence(lang, 'campaign.resultsScheduled', {
            id: action.campaignId,
            date: date(at, outcome.campaign, lang),
          }),
        );
      }
    }
  }
}
