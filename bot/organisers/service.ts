// The organisers' side of the bot that is not a command: the clock (closing, automatic
// reminders, scheduled results), campaign seeding from the config, and the broadcasts
// (what each delivery says, delivery reports). Every step is stored before anything
// is sent, and every send carries a stable idempotency key, so `reconcile()` after a
// crash or a clock jump simply does what is still missing.
//
// Why this file is long: the organisers' operations (campaign life cycle, closing,
// publication, reminders) share one store, broadcaster and scheduler; the parts that stand
// alone are in requests.ts, replies.ts, deliveries.ts, notices.ts and status.ts.
import { randomUUID } from 'node:crypto';
import type { Audience } from '../../flows/campaign/commands.ts';
import { selectTargets } from '../../flows/campaign/broadcast.ts';
import { draftFromFields } from '../../flows/campaign/create.ts';
import { type ClockAction, decide } from '../../flows/campaign/deadlines.ts';
import {
  closeCampaign,
  createCampaign,
  markPublished,
  openCampaign,
} from '../../flows/campaign/lifecycle.ts';
import type { Campaign } from '../../flows/campaign/model.ts';
import { type CampaignSeed, seedToFields } from '../../flows/campaign/seed.ts';
import { formatDuration } from '../../flows/campaign/time.ts';
import { type Questionnaire, resolveQuestionnaire } from '../../flows/questionnaire.ts';
import { isValidTimeZone } from '../../config/schema.ts';
import type { Broadcast, Candidacy, Delivery } from '../../storage/index.ts';
import type { BotContext, CandidacyPort, JuryPort } from '../context.ts';
import { sentence } from '../render/organisers.ts';
import { Broadcaster } from './broadcaster.ts';
import { renderDelivery } from './deliveries.ts';
import { postReport, postWelcome } from './notices.ts';
import { Scheduler } from './scheduler.ts';
import { OrganiserStore, stageOf } from './store.ts';

/** Who the clock acts as in audit trails. */
export const CLOCK_ACTOR = 'system:clock';
export const CONFIG_ACTOR = 'config';

/** The other sides the organisers act through (bot/handlers.ts builds them first). */
export interface OrganiserPorts {
  /** Closing: submitted dossiers go under review through their conversations. */
  candidacy: CandidacyPort;
  /** Closing: the jury finishes its posts and announces that voting is open. */
  jury: Pick<JuryPort, 'syncDossiers'>;
}

export interface OrganiserServiceOptions {
  /** How often the stored deadlines are checked (they are also checked on every clock jump). */
  intervalMs?: number;
  /** How a questionnaire reference is read (default: resolveQuestionnaire; tests give a fixture). */
  loadQuestionnaire?: (ref: string) => Questionnaire;
  /** Called after a campaign is created or changed (e.g. so cached campaigns are re-read). */
  onCampaignChanged?: () => void;
  /** Broadcast pacing: deliveries in flight at once, and a pause after each (tests). */
  broadcast?: { concurrency?: number; pauseMs?: number };
}

export interface PlannedBroadcast {
  id: string;
  rooms: number;
  unknownRefs: string[];
}

export class OrganiserService {
  readonly ctx: BotContext;
  readonly #ports: OrganiserPorts;
  readonly store: OrganiserStore;
  readonly broadcaster: Broadcaster;
  readonly scheduler: Scheduler;
  readonly #loadQuestionnaire: (id: string) => Questionnaire;
  readonly #onCampaignChanged: () => void;
  readonly #forced = new Set<string>();
  /** Closed campaigns already checked for a closing cut short, in this process. */
  readonly #repaired = new Set<string>();
  #seeded = false;

  constructor(ctx: BotContext, ports: OrganiserPorts, options: OrganiserServiceOptions = {}) {
    this.ctx = ctx;
    this.#ports = ports;
    this.#onCampaignChanged = options.onCampaignChanged ?? (() => {});
    this.store = new OrganiserStore(ctx.storage, () => this.#onCampaignChanged());
    this.#loadQuestionnaire = options.loadQuestionnaire ?? resolveQuestionnaire;
    this.broadcaster = new Broadcaster({
      storage: ctx.storage,
      messenger: ctx.messenger,
      clock: ctx.clock,
      logger: ctx.logger,
      render: (b, d) => renderDelivery(this, b, d),
      report: (input) => postReport(this, input),
      onSent: (b, d) => this.#onSent(b, d),
      ...options.broadcast,
    });
    this.scheduler = new Scheduler(() => this.tick(), ctx.clock, ctx.logger, options.intervalMs ?? 30_000);
  }

  get defaultLanguage(): string {
    return this.ctx.config.bot.defaultLanguage;
  }

  questionnaire(ref: string): Questionnaire {
    return this.#loadQuestionnaire(ref);
  }

  /** The questionnaire, or null when its file cannot be read (logged by the caller's outcome). */
  questionnaireOrNull(id: string): Questionnaire | null {
    try {
      return this.questionnaire(id);
    } catch {
      return null;
    }
  }

  questionnaireExists(id: string): boolean {
    try {
      this.questionnaire(id);
      return true;
    } catch {
      return false;
    }
  }

  /** Start-up and clock jumps: welcome (new room), seed campaigns (first time), catch up everything stored. */
  async reconcile(): Promise<void> {
    await postWelcome(this);
    if (!this.#seeded) {
      await this.seedFromConfig();
      this.#seeded = true;
    }
    this.scheduler.start();
    await this.scheduler.trigger();
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** Creates the config file's campaigns that do not exist yet; never changes existing ones. */
  async seedFromConfig(): Promise<void> {
    const seeds: readonly CampaignSeed[] = this.ctx.config.campaigns;
    for (const seed of seeds) {
      const now = this.ctx.clock.now();
      const existing = await this.store.campaigns();
      const { fields, levels } = seedToFields(seed);
      const draft = draftFromFields(
        fields,
        {
          defaultTimeZone: this.ctx.config.timeZone,
          takenIds: existing.map((c) => c.id),
          isValidTimeZone,
          questionnaireExists: (id) => this.questionnaireExists(id),
        },
        levels,
      );
      if (!draft.ok) {
        this.ctx.logger.error(
          { seed, problems: draft.problems },
          'campaign in the config file is invalid: skipped',
        );
        continue;
      }
      if (existing.some((c) => c.id === draft.draft.id)) continue;
      // Without an explicit id, a campaign of the same year created earlier counts as this one.
      if (!seed.id && existing.some((c) => c.year === seed.year)) continue;
      const created = createCampaign(draft.draft, existing, CONFIG_ACTOR, now);
      if (!created.ok) {
        this.ctx.logger.error(
          { seed, refusal: created.refusal },
          'campaign in the config file refused: skipped',
        );
        continue;
      }
      let campaign = created.campaign;
      if (seed.status === 'open') {
        const opened = openCampaign(campaign, existing, now);
        if (opened.ok) campaign = opened.campaign;
        else
          this.ctx.logger.warn(
            { id: campaign.id, refusal: opened.refusal },
            'seeded campaign left as a draft',
          );
      }
      const stored = await this.store.createCampaign(campaign, this.#juryDefaults());
      if (stored)
        this.ctx.logger.info(
          { id: campaign.id, status: campaign.status, by: CONFIG_ACTOR },
          'campaign seeded',
        );
    }
  }

  #juryDefaults() {
    return { quorum: this.ctx.config.jury.quorum, votesOpen: this.ctx.config.jury.openVotes };
  }

  get juryDefaults(): { quorum: number; votesOpen: boolean } {
    return this.#juryDefaults();
  }

  /** One pass of the clock: what the stored deadlines call for, then every due delivery. */
  async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    for (const campaign of await this.store.campaigns()) {
      if (campaign.status === 'draft' || campaign.status === 'published') continue;
      const broadcasts = await this.ctx.storage.broadcasts.list({ campaignId: campaign.id });
      const remindersDone = new Set(broadcasts.filter((b) => b.kind === 'reminder').map((b) => b.id));
      // Reading every candidacy costs as much as the campaign is large: only when the time
      // alone calls for an action, or once per process for a closed campaign (to repair a
      // closing a crash cut short).
      const dueByTime = decide({ now, campaign, candidacies: [], remindersDone }).length > 0;
      const repair = campaign.status === 'closed' && !this.#repaired.has(campaign.id);
      if (!dueByTime && !repair) continue;
      const candidacies = await this.store.candidacies(campaign.id);
      const views = candidacies.map((c) => ({
        id: c.id,
        stage: stageOf(c, campaign),
        createdAt: c.createdAt,
      }));
      for (const action of decide({ now, campaign, candidacies: views, remindersDone })) {
        await this.#execute(action, candidacies);
      }
      if (campaign.status === 'closed') this.#repaired.add(campaign.id);
    }
    const forced = new Set(this.#forced);
    this.#forced.clear();
    await this.broadcaster.run(forced);
  }

  async #execute(action: ClockAction, candidacies: readonly Candidacy[]): Promise<void> {
    const byId = new Map(candidacies.map((c) => [c.id, c]));
    const pick = (ids: readonly string[]) => ids.map((id) => byId.get(id)).filter((c): c is Candidacy => !!c);
    switch (action.kind) {
      case 'close':
        await this.closeNow(action.campaignId, CLOCK_ACTOR, {
          freeze: pick(action.freeze),
          review: pick(action.review),
          notifyOrganisers: action.markClosed,
        });
        return;
      case 'remind':
        await this.planBroadcast({
          id: action.key,
          campaignId: action.campaignId,
          kind: 'reminder',
          content: { campaignId: action.campaignId, offset: formatDuration(action.offsetMs) },
          target: { automatic: formatDuration(action.offsetMs) },
          by: CLOCK_ACTOR,
          rooms: pick(action.targets).map((c) => ({ roomId: c.roomId, language: c.language })),
        });
        this.ctx.logger.info(
          {
            campaignId: action.campaignId,
            offset: formatDuration(action.offsetMs),
            count: action.targets.length,
          },
          'automatic reminder planned',
        );
        return;
      case 'publish':
        await this.publishNow(action.campaignId, CLOCK_ACTOR);
        return;
    }
  }

  /**
   * Stores one delivery per room, then the broadcast itself (in that order: a broadcast
   * that exists always has all its deliveries, even after a crash in between).
   */
  async planBroadcast(input: {
    id: string;
    campaignId: string | null;
    kind: Broadcast['kind'];
    content: Record<string, unknown>;
    target: Record<string, unknown>;
    by: string;
    rooms: ReadonlyArray<{ roomId: string | null; language: string | null }>;
  }): Promise<{ added: number }> {
    const now = this.ctx.clock.now();
    const rooms = input.rooms.filter((r): r is { roomId: string; language: string | null } => !!r.roomId);
    const unique = [...new Map(rooms.map((r) => [r.roomId, r])).values()];
    const { added } = await this.ctx.storage.broadcasts.planDeliveries(input.id, unique, now);
    const { created, broadcast } = await this.ctx.storage.broadcasts.create({
      id: input.id,
      campaignId: input.campaignId,
      kind: input.kind,
      content: input.content as never,
      target: input.target as never,
      createdBy: input.by,
      at: now,
    });
    if (!created && added > 0 && broadcast.status === 'done') {
      await this.ctx.storage.broadcasts.setStatus(broadcast.id, 'sending', now);
    }
    return { added };
  }

  /**
   * Closes a campaign: rooms to tell are stored first, then submitted dossiers move to
   * review, then the campaign is marked closed. Safe to run again at any point.
   */
  async closeNow(
    campaignId: string,
    by: string,
    what: { freeze: readonly Candidacy[]; review: readonly Candidacy[]; notifyOrganisers: boolean },
  ): Promise<Campaign | null> {
    const now = this.ctx.clock.now();
    const rooms: Array<{ roomId: string | null; language: string | null }> = [
      ...what.freeze,
      ...what.review,
    ].map((c) => ({ roomId: c.roomId, language: c.language }));
    if (what.notifyOrganisers) rooms.push({ roomId: this.ctx.rooms.organisers, language: null });
    await this.planBroadcast({
      id: `closing:${campaignId}`,
      campaignId,
      kind: 'closing',
      content: { campaignId, frozen: what.freeze.length, review: what.review.length },
      target: { frozen: what.freeze.length, review: what.review.length },
      by,
      rooms,
    });
    // Through each conversation, so its snapshot and its status change together (drafts are
    // frozen, submitted dossiers go under review); once per campaign closing.
    for (const c of [...what.review, ...what.freeze]) {
      const closed = await this.#ports.candidacy.applySystemEvent(
        c.id,
        { type: 'close' },
        `close:${campaignId}`,
        by,
      );
      // A candidacy without a conversation (imported, or from an older release) moves by itself.
      if (what.review.includes(c) && (!closed || closed.status === 'submitted')) {
        await this.ctx.storage.candidacies.updateWithRetry(c.id, (current) =>
          current.status === 'submitted' ? { by, at: now, status: 'under_review' } : null,
        );
      }
    }
    const outcome = await this.store.transition(campaignId, by, now, (current) =>
      current.status === 'open' ? closeCampaign(current, now) : { ok: true, campaign: current },
    );
    this.ctx.logger.info(
      { campaignId, by, frozen: what.freeze.length, review: what.review.length },
      'campaign closing carried out',
    );
    try {
      await this.#ports.jury.syncDossiers();
    } catch (error) {
      this.ctx.logger.error(
        { err: error, campaignId },
        'jury sync after closing failed (retried at next start)',
      );
    }
    return outcome?.ok ? outcome.campaign : null;
  }

  /** Decisions reach their rooms and the palmarès the public room; the campaign is marked published. */
  async publishNow(campaignId: string, by: string): Promise<{ rooms: number } | null> {
    const now = this.ctx.clock.now();
    const campaign = await this.store.campaign(campaignId);
    if (!campaign || campaign.status === 'published' || campaign.status === 'draft') return null;
    const candidacies = await this.store.candidacies(campaignId);
    const decided = new Set(
      (await this.ctx.storage.jury.listDecisions(campaignId)).map((d) => d.candidacyId),
    );
    const rooms: Array<{ roomId: string | null; language: string | null }> = candidacies
      .filter((c) => decided.has(c.id) && c.status !== 'withdrawn')
      .map((c) => ({ roomId: c.roomId, language: c.language }));
    const candidacyRooms = rooms.length;
    // Each decided candidacy's conversation learns its level (status "decided"), once.
    for (const decision of await this.ctx.storage.jury.listDecisions(campaignId)) {
      await this.#ports.candidacy.applySystemEvent(
        decision.candidacyId,
        { type: 'decide', level: decision.level },
        `decide:${decision.candidacyId}:${decision.version}`,
        by,
      );
    }
    if (this.ctx.rooms.announcements) rooms.push({ roomId: this.ctx.rooms.announcements, language: null });
    await this.planBroadcast({
      id: `results:${campaignId}`,
      campaignId,
      kind: 'results',
      content: { campaignId },
      target: { decided: candidacyRooms, public: !!this.ctx.rooms.announcements },
      by,
      rooms,
    });
    await this.store.transition(campaignId, by, now, (current) =>
      current.status === 'published' ? { ok: true, campaign: current } : markPublished(current, now),
    );
    this.ctx.logger.info({ campaignId, by, rooms: candidacyRooms }, 'results published');
    // Only the clock gets here without a public room (it was removed from the config after the
    // publication was scheduled; `!publier` refuses): say what did not happen.
    if (!this.ctx.rooms.announcements) {
      await this.ctx.messenger.send(
        this.ctx.rooms.organisers,
        {
          ...sentence(this.defaultLanguage, 'publish.noPublicRoomAtClock', { id: campaignId }),
          mentions: [],
        },
        { idempotencyKey: `organisers:results-without-public-room:${campaignId}` },
      );
    }
    return { rooms: candidacyRooms };
  }

  /** The candidacies an audience designates (for announcements and manual reminders). */
  async audienceRooms(
    campaign: Campaign,
    audience: Audience,
  ): Promise<{ targets: Candidacy[]; unknownRefs: string[] }> {
    const candidacies = await this.store.candidacies(campaign.id);
    const byId = new Map(candidacies.map((c) => [c.id, c]));
    const { targets, unknownRefs } = selectTargets(
      audience,
      candidacies
        .filter((c) => c.roomId)
        .map((c) => ({
          id: c.id,
          roomId: c.roomId as string,
          stage: stageOf(c, campaign),
          lastActivityAt: c.updatedAt,
          aliases: [...(c.collectivite ? [c.collectivite.name] : []), c.people.lead.userId],
        })),
      this.ctx.clock.now(),
    );
    return { targets: targets.map((t) => byId.get(t.id)).filter((c): c is Candidacy => !!c), unknownRefs };
  }

  /** A fresh broadcast id for an organiser's announcement or reminder. */
  newBroadcastId(kind: string): string {
    return `${kind}:${randomUUID().slice(0, 8)}`;
  }

  /** Retries a broadcast's failed deliveries now. */
  async retry(broadcastId: string): Promise<number> {
    const failed = await this.ctx.storage.broadcasts.listDeliveries(broadcastId, { states: ['failed'] });
    if (failed.length === 0) return 0;
    await this.ctx.storage.broadcasts.setStatus(broadcastId, 'sending', this.ctx.clock.now());
    this.#forced.add(broadcastId);
    return failed.length;
  }

  async #onSent(broadcast: Broadcast, delivery: Delivery): Promise<void> {
    if (broadcast.kind !== 'results') return;
    const candidacy = await this.ctx.storage.candidacies.findByRoom(delivery.roomId);
    if (candidacy) await this.ctx.storage.jury.markPublished(candidacy.id, this.ctx.clock.now());
  }
}
