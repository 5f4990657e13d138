// The organisers' room: the bot is their console. Only configured organisers may use
// the commands; every action is logged with who did it. Anything irreversible waits
// for `!confirmer` (the pending action is stored, so a restart does not lose it), and
// every reply is sent with a key derived from the command's event id, so handling the
// same event twice after a crash never answers twice.
import type { Audience, ExportFormat, OrganiserCommand } from '../../flows/campaign/commands.ts';
import { isCommand, parseCommand } from '../../flows/campaign/commands.ts';
import { draftFromFields, type FieldProblem } from '../../flows/campaign/create.ts';
import {
  closeCampaign,
  createCampaign,
  extendCampaign,
  markPublished,
  openCampaign,
  type Refusal,
  scheduleResults,
} from '../../flows/campaign/lifecycle.ts';
import { type Campaign, campaignToPublish, currentCampaign } from '../../flows/campaign/model.ts';
import { parseDateTime } from '../../flows/campaign/time.ts';
import { isValidTimeZone } from '../../config/schema.ts';
import { isSupportedLanguage, supportedLanguages, translator } from '../../locales/i18n.ts';
import type { PendingAction } from '../../storage/index.ts';
import type { BotContext } from '../context.ts';
import { buildExport } from '../exports/build.ts';
import { blocks, list, paragraph, text } from '../render/html.ts';
import {
  type Rich,
  type RichMessage,
  counted,
  date,
  renderAnnouncement,
  renderBroadcastList,
  renderCampaign,
  renderCampaignList,
  renderDashboard,
  renderHelp,
  sentence,
} from '../render/organisers.ts';
import type { RoomHandler, RoutedEvent } from '../types.ts';
import type { OrganiserService } from './service.ts';
import { gatherDashboard } from './status.ts';
import { stageOf } from './store.ts';

/** How long a pending action waits for `!confirmer`. */
export const CONFIRM_MINUTES = 15;

interface Reply {
  message?: RichMessage;
  files?: Array<{ name: string; mimetype: string; data: Buffer }>;
}

const say = (message: RichMessage): Reply[] => [{ message }];

export class OrganisersHandler implements RoomHandler {
  readonly #ctx: BotContext;
  readonly #service: OrganiserService;

  constructor(ctx: BotContext, service: OrganiserService) {
    this.#ctx = ctx;
    this.#service = service;
  }

  async handle(routed: RoutedEvent): Promise<void> {
    const { event, roomId } = routed;
    if (event.type !== 'm.room.message') return;
    const body = event.content.body;
    if (typeof body !== 'string' || event.content.msgtype !== 'm.text' || !isCommand(body)) return;
    // An edit ("* !statut") is not a new command.
    if ((event.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type === 'm.replace')
      return;
    const parsed = parseCommand(body, supportedLanguages());
    if (!parsed) return;
    const sender = event.sender;
    const lang =
      (await this.#ctx.storage.botState.getLanguage(sender)) ?? this.#ctx.config.bot.defaultLanguage;
    let replies: Reply[];
    if (!this.#ctx.config.people.organisers.includes(sender)) {
      this.#ctx.logger.warn({ sender, roomId }, 'organisers command from someone who is not an organiser');
      replies = say(sentence(lang, 'notAllowed'));
    } else if (!parsed.ok) {
      replies = say(sentence(lang, `problem.${parsed.problem.code}`, parsed.problem));
    } else {
      this.#ctx.logger.info(
        { by: sender, command: parsed.command.kind, eventId: event.event_id },
        'organiser command',
      );
      replies = await this.#run(parsed.command, sender, lang);
    }
    await this.#send(roomId, event.event_id, replies);
  }

  async #send(roomId: string, eventId: string, replies: readonly Reply[]): Promise<void> {
    let n = 0;
    for (const reply of replies) {
      if (reply.message) {
        await this.#ctx.messenger.send(
          roomId,
          { ...reply.message, mentions: [] },
          { idempotencyKey: `organisers:${eventId}:${n++}` },
        );
      }
      for (const file of reply.files ?? []) {
        await this.#ctx.messenger.sendFile(roomId, file, { idempotencyKey: `organisers:${eventId}:${n++}` });
      }
    }
  }

  #t(lang: string) {
    return translator(lang, 'organisers');
  }

  async #campaign(id: string | undefined, lang: string): Promise<Campaign | Reply[]> {
    const all = await this.#service.store.campaigns();
    if (all.length === 0) return say(sentence(lang, 'noCampaign'));
    const found = id ? all.find((c) => c.id === id) : currentCampaign(all);
    return found ?? say(sentence(lang, 'unknownCampaign', { id }));
  }

  #refusal(refusal: Refusal, lang: string, campaign?: Campaign): Reply[] {
    const params: Record<string, unknown> = { ...refusal };
    if ('status' in refusal) params.status = this.#t(lang)(`status.${refusal.status as 'open'}`);
    if ('closesAt' in refusal && campaign) params.closesAt = date(refusal.closesAt, campaign, lang);
    return say(sentence(lang, `refusal.${refusal.code}`, params));
  }

  async #run(command: OrganiserCommand, sender: string, lang: string): Promise<Reply[]> {
    switch (command.kind) {
      case 'help':
        return say(renderHelp(lang, command.all));
      case 'confirm':
        return this.#confirm(sender, lang);
      case 'language': {
        if (!isSupportedLanguage(command.language))
          return say(
            sentence(lang, 'languageUnknown', {
              language: command.language,
              languages: supportedLanguages().join(', '),
            }),
          );
        await this.#ctx.storage.botState.setLanguage(sender, command.language);
        return say(sentence(command.language, 'languageSet'));
      }
      case 'cancel': {
        const pending = await this.#ctx.storage.organisers.getPending(sender);
        if (!pending) return say(sentence(lang, 'confirm.nothingPending'));
        await this.#ctx.storage.organisers.clearPending(sender, pending.version);
        this.#ctx.logger.info({ by: sender, action: pending.action.kind }, 'organiser cancelled an action');
        return say(sentence(lang, 'confirm.cancelled'));
      }
      case 'campaignCreate':
        return this.#create(command.fields, sender, lang);
      case 'campaignList': {
        const all = await this.#service.store.campaigns();
        return say(all.length ? renderCampaignList(all, lang) : sentence(lang, 'noCampaign'));
      }
      case 'campaignShow': {
        const c = await this.#campaign(command.campaignId, lang);
        return Array.isArray(c) ? c : say(renderCampaign(c, this.#ctx.clock.now(), lang));
      }
      case 'campaignOpen':
        return this.#askOpen(command.campaignId, sender, lang);
      case 'campaignExtend':
        return this.#extend(command.campaignId, command.date, sender, lang);
      case 'campaignClose':
        return this.#askClose(command.campaignId, sender, lang);
      case 'status': {
        const c = await this.#campaign(command.campaignId, lang);
        if (Array.isArray(c)) return c;
        return say(renderDashboard(await gatherDashboard(this.#service, c), lang));
      }
      case 'remind':
        return this.#askRemind(command.campaignId, command.audience, sender, lang);
      case 'announce':
        return this.#askAnnounce(command, sender, lang);
      case 'export':
        return this.#export(command.campaignId, command.format, sender, lang);
      case 'publish':
        return this.#askPublish(command.campaignId, command.at, sender, lang);
      case 'broadcasts':
        return this.#broadcasts(command.campaignId, lang);
      case 'retry':
        return this.#retry(command.broadcastId, sender, lang);
    }
  }

  // ---- campaign commands -------------------------------------------------------------

  async #create(
    fields: Parameters<typeof draftFromFields>[0],
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    const store = this.#service.store;
    const existing = await store.campaigns();
    const now = this.#ctx.clock.now();
    const draft = draftFromFields(fields, {
      defaultTimeZone: this.#ctx.config.timeZone,
      takenIds: existing.map((c) => c.id),
      isValidTimeZone,
      // From the chat, only questionnaires shipped under questionnaires/ (an id, never a file path).
      questionnaireExists: (id) => /^[a-z0-9][a-z0-9-]*$/.test(id) && this.#service.questionnaireExists(id),
    });
    if (!draft.ok) return say(this.#fieldProblems(draft.problems, lang));
    const created = createCampaign(draft.draft, existing, sender, now);
    if (!created.ok) return this.#refusal(created.refusal, lang);
    if (!(await store.createCampaign(created.campaign, this.#service.juryDefaults)))
      return this.#refusal({ code: 'campaignExists', id: created.campaign.id }, lang);
    this.#ctx.logger.info({ by: sender, campaignId: created.campaign.id }, 'campaign created');
    return say(
      blocks([
        sentence(lang, 'campaign.created', { id: created.campaign.id }),
        renderCampaign(created.campaign, now, lang),
      ]),
    );
  }

  #fieldProblems(problems: readonly FieldProblem[], lang: string): Rich {
    const t = this.#t(lang);
    return list(
      problems.map((p) =>
        text(
          t(`field.${p.code}`, {
            ...p,
            ...('field' in p ? { field: t(`fieldName.${p.field}`) } : {}),
          }),
        ),
      ),
    );
  }

  async #askOpen(id: string | undefined, sender: string, lang: string): Promise<Reply[]> {
    const all = await this.#service.store.campaigns();
    // Without an id, the campaign to open is the latest draft.
    const target = id
      ? all.find((c) => c.id === id)
      : ([...all].reverse().find((c) => c.status === 'draft') ?? currentCampaign(all));
    if (!target) return say(sentence(lang, all.length ? 'unknownCampaign' : 'noCampaign', { id }));
    const check = openCampaign(target, all, this.#ctx.clock.now());
    if (!check.ok) return this.#refusal(check.refusal, lang, target);
    const question = sentence(lang, 'confirm.open', {
      id: target.id,
      opens: date(target.opensAt, target, lang),
      closes: date(target.closesAt, target, lang),
    });
    return this.#ask(sender, { kind: 'open', campaignId: target.id }, question, lang);
  }

  async #extend(id: string | undefined, dateText: string, sender: string, lang: string): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    const closesAt = parseDateTime(dateText, c.timeZone, { endOfDay: true });
    if (!closesAt)
      return say(this.#fieldProblems([{ code: 'badDate', field: 'closes', value: dateText }], lang));
    const now = this.#ctx.clock.now();
    const outcome = await this.#service.store.transition(c.id, sender, now, (current) =>
      extendCampaign(current, closesAt, now),
    );
    if (!outcome) return say(sentence(lang, 'unknownCampaign', { id: c.id }));
    if (!outcome.ok) return this.#refusal(outcome.refusal, lang, c);
    this.#ctx.logger.info({ by: sender, campaignId: c.id, closesAt }, 'campaign closing date extended');
    void this.#service.scheduler.trigger();
    return say(sentence(lang, 'campaign.extended', { id: c.id, date: date(closesAt, c, lang) }));
  }

  async #askClose(id: string | undefined, sender: string, lang: string): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    const check = closeCampaign(c, this.#ctx.clock.now());
    if (!check.ok) return this.#refusal(check.refusal, lang, c);
    const question = sentence(lang, 'confirm.close', { id: c.id, closesAt: date(c.closesAt, c, lang) });
    return this.#ask(sender, { kind: 'close', campaignId: c.id }, question, lang);
  }

  // ---- broadcasts ----------------------------------------------------------------------

  async #askRemind(
    id: string | undefined,
    audience: Audience,
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    if (c.status !== 'open') return this.#refusal({ code: 'notOpen', id: c.id, status: c.status }, lang);
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

  async #askAnnounce(
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

  async #askPublish(
    id: string | undefined,
    at: string | undefined,
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    // Without a public room the palmarès would go nowhere: refuse rather than half-publish.
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
      if (!when) return say(this.#fieldProblems([{ code: 'badDate', field: 'closes', value: at }], lang));
      const check = scheduleResults(c, when);
      if (!check.ok) return this.#refusal(check.refusal, lang, c);
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
    if (!check.ok) return this.#refusal(check.refusal, lang, c);
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

  async #broadcasts(id: string | undefined, lang: string): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    const storage = this.#ctx.storage;
    const lines = [];
    for (const b of (await storage.broadcasts.list({ campaignId: c.id })).slice(0, 20)) {
      const report = await storage.broadcasts.report(b.id);
      lines.push({
        id: b.id,
        kind: b.kind,
        createdAt: b.createdAt,
        createdBy: b.createdBy,
        sent: report.sent,
        total: report.total,
        failed: report.failed,
      });
    }
    return say(renderBroadcastList(lines, c.timeZone, lang));
  }

  async #retry(id: string | undefined, sender: string, lang: string): Promise<Reply[]> {
    let broadcastId = id;
    if (!broadcastId) {
      // The latest broadcast with failed deliveries.
      for (const b of await this.#ctx.storage.broadcasts.list()) {
        if ((await this.#ctx.storage.broadcasts.report(b.id)).failed > 0) {
          broadcastId = b.id;
          break;
        }
      }
      if (!broadcastId) return say(sentence(lang, 'broadcast.nothingToRetry', { id: '—' }));
    }
    if (!(await this.#ctx.storage.broadcasts.get(broadcastId)))
      return say(sentence(lang, 'broadcast.unknown', { id: broadcastId }));
    const count = await this.#service.retry(broadcastId);
    if (count === 0) return say(sentence(lang, 'broadcast.nothingToRetry', { id: broadcastId }));
    this.#ctx.logger.info({ by: sender, broadcastId, count }, 'organiser retried failed deliveries');
    void this.#service.scheduler.trigger();
    return say(sentence(lang, 'broadcast.retrying', { id: broadcastId, count }));
  }

  // ---- exports ---------------------------------------------------------------------------

  async #export(
    id: string | undefined,
    format: ExportFormat,
    sender: string,
    lang: string,
  ): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    const outcome = await buildExport(this.#ctx.storage, c.id, format, {
      lang,
      now: this.#ctx.clock.now(),
      loadQuestionnaire: (q) => this.#service.questionnaire(q),
    });
    this.#ctx.logger.info({ by: sender, campaignId: c.id, format, ok: outcome.ok }, 'organiser export');
    if (!outcome.ok) {
      if (outcome.reason === 'notPublished') return say(sentence(lang, 'export.noResults', { id: c.id }));
      return say(sentence(lang, 'export.unavailable', { reason: outcome.detail ?? outcome.reason }));
    }
    const key =
      format === 'dossiers' ? 'export.dossiers' : format === 'results' ? 'export.results' : 'export.sent';
    return [
      {
        message: sentence(lang, key, { id: c.id, format: format.toUpperCase(), count: outcome.count }),
        files: outcome.files,
      },
    ];
  }

  // ---- confirmation ------------------------------------------------------------------------

  async #ask(sender: string, action: PendingAction, question: Rich, lang: string): Promise<Reply[]> {
    const expiresAt = new Date(this.#ctx.clock.now().getTime() + CONFIRM_MINUTES * 60_000);
    await this.#ctx.storage.organisers.setPending(sender, action, expiresAt);
    return say(blocks([question, sentence(lang, 'confirm.ask', { minutes: CONFIRM_MINUTES })]));
  }

  async #confirm(sender: string, lang: string): Promise<Reply[]> {
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
        if (!outcome.ok) return this.#refusal(outcome.refusal, lang, campaign ?? undefined);
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
        if (!check.ok) return this.#refusal(check.refusal, lang, c);
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
        if (!result) return this.#refusal({ code: 'alreadyPublished', id: action.campaignId }, lang);
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
        if (!outcome.ok) return this.#refusal(outcome.refusal, lang, campaign ?? undefined);
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
