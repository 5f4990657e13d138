// The organisers' room: the bot is their console. Only configured organisers may use
// the commands; every action is logged with who did it. Anything irreversible waits
// for `!confirmer` (the pending action is stored, so a restart does not lose it), and
// every reply is sent with a key derived from the command's event id, so handling the
// same event twice after a crash never answers twice.
import type { ExportFormat, OrganiserCommand } from '../../flows/campaign/commands.ts';
import { isCommand, parseCommand } from '../../flows/campaign/commands.ts';
import { draftFromFields } from '../../flows/campaign/create.ts';
import { createCampaign, extendCampaign } from '../../flows/campaign/lifecycle.ts';
import type { Campaign } from '../../flows/campaign/model.ts';
import { parseDateTime } from '../../flows/campaign/time.ts';
import { isValidTimeZone } from '../../config/schema.ts';
import { isSupportedLanguage, supportedLanguages } from '../../locales/i18n.ts';
import type { BotContext } from '../context.ts';
import { buildExport } from '../exports/build.ts';
import { blocks } from '../render/html.ts';
import {
  date,
  renderBroadcastList,
  renderCampaign,
  renderCampaignList,
  renderDashboard,
  renderHelp,
  sentence,
} from '../render/organisers.ts';
import type { RoomHandler, RoutedEvent } from '../types.ts';
import { type Reply, campaignOrReply, fieldProblems, refusalReply, say } from './replies.ts';
import { Requests } from './requests.ts';
import type { OrganiserService } from './service.ts';
import { gatherDashboard } from './status.ts';

export class OrganisersHandler implements RoomHandler {
  readonly #ctx: BotContext;
  readonly #service: OrganiserService;
  readonly #requests: Requests;

  constructor(ctx: BotContext, service: OrganiserService) {
    this.#ctx = ctx;
    this.#service = service;
    this.#requests = new Requests(ctx, service);
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

  #campaign(id: string | undefined, lang: string): Promise<Campaign | Reply[]> {
    return campaignOrReply(this.#service, id, lang);
  }

  async #run(command: OrganiserCommand, sender: string, lang: string): Promise<Reply[]> {
    switch (command.kind) {
      case 'help':
        return say(renderHelp(lang, command.all));
      case 'confirm':
        return this.#requests.confirm(sender, lang);
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
      case 'cancel':
        return this.#requests.cancel(sender, lang);
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
        return this.#requests.askOpen(command.campaignId, sender, lang);
      case 'campaignExtend':
        return this.#extend(command.campaignId, command.date, sender, lang);
      case 'campaignClose':
        return this.#requests.askClose(command.campaignId, sender, lang);
      case 'status': {
        const c = await this.#campaign(command.campaignId, lang);
        if (Array.isArray(c)) return c;
        return say(renderDashboard(await gatherDashboard(this.#service, c), lang));
      }
      case 'remind':
        return this.#requests.askRemind(command.campaignId, command.audience, sender, lang);
      case 'announce':
        return this.#requests.askAnnounce(command, sender, lang);
      case 'export':
        return this.#export(command.campaignId, command.format, sender, lang);
      case 'publish':
        return this.#requests.askPublish(command.campaignId, command.at, sender, lang);
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
    if (!draft.ok) return say(fieldProblems(draft.problems, lang));
    const created = createCampaign(draft.draft, existing, sender, now);
    if (!created.ok) return refusalReply(created.refusal, lang);
    if (!(await store.createCampaign(created.campaign, this.#service.juryDefaults)))
      return refusalReply({ code: 'campaignExists', id: created.campaign.id }, lang);
    this.#ctx.logger.info({ by: sender, campaignId: created.campaign.id }, 'campaign created');
    return say(
      blocks([
        sentence(lang, 'campaign.created', { id: created.campaign.id }),
        renderCampaign(created.campaign, now, lang),
      ]),
    );
  }

  async #extend(id: string | undefined, dateText: string, sender: string, lang: string): Promise<Reply[]> {
    const c = await this.#campaign(id, lang);
    if (Array.isArray(c)) return c;
    const closesAt = parseDateTime(dateText, c.timeZone, { endOfDay: true });
    if (!closesAt) return say(fieldProblems([{ code: 'badDate', field: 'closes', value: dateText }], lang));
    const now = this.#ctx.clock.now();
    const outcome = await this.#service.store.transition(c.id, sender, now, (current) =>
      extendCampaign(current, closesAt, now),
    );
    if (!outcome) return say(sentence(lang, 'unknownCampaign', { id: c.id }));
    if (!outcome.ok) return refusalReply(outcome.refusal, lang, c);
    this.#ctx.logger.info({ by: sender, campaignId: c.id, closesAt }, 'campaign closing date extended');
    void this.#service.scheduler.trigger();
    return say(sentence(lang, 'campaign.extended', { id: c.id, date: date(closesAt, c, lang) }));
  }

  // ---- broadcasts ----------------------------------------------------------------------

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
}
