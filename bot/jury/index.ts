// The jury side of the bot, assembled: the room handler (jury room and ballot rooms),
// the poster that hands dossiers to the jury and relays questions and replies, the
// reminders, and the service the candidacy side and the organisers call.
import { LRUCache } from 'lru-cache';
import type { JurySettings } from '../../flows/jury/snapshot.ts';
import { ballotOverview } from '../../flows/jury/overview.ts';
import { matchReply, waitingQuestions } from '../../flows/jury/questions.ts';
import { jurorsOf, type Roster } from '../../flows/jury/rules.ts';
import { translator } from '../../locales/i18n.ts';
import type { Campaign } from '../../storage/index.ts';
import type { CandidacyCatalog } from '../candidacy/catalog.ts';
import type { BotContext } from '../context.ts';
import { ballotWelcome } from '../render/jury-tally.ts';
import { BallotRooms } from './ballot-rooms.ts';
import { JuryDossiers, scaleOf } from './dossiers.ts';
import { JuryHandler } from './handler.ts';
import { RoomReaderList } from './readers.ts';
import { DossierPoster } from './poster.ts';
import { JuryReminders, startSerialScheduler } from './reminders.ts';

/** What the candidacy side and the organisers ask of the jury. */
export interface JuryPort {
  /** Posts or updates the jury thread of this dossier (or of every dossier) as needed. */
  syncDossiers(candidacyId?: string): Promise<void>;
  /** A candidate's message that may answer a juror's question: relayed to the dossier's thread. */
  relayCandidateReply(candidacyId: string, sender: string, text: string, eventId: string): Promise<void>;
  /** Whether a juror's question to this candidacy still waits for the candidate's reply. */
  hasWaitingQuestion(candidacyId: string): Promise<boolean>;
}

const CAMPAIGNS_TTL_MS = 30_000;

export class JuryService implements JuryPort {
  readonly handler: JuryHandler;
  readonly reminders: JuryReminders;
  private readonly ctx: BotContext;
  private readonly dossiers: JuryDossiers;
  private readonly poster: DossierPoster;
  private readonly ballotRooms: BallotRooms;
  private readonly catalog: CandidacyCatalog;
  private readonly campaignCache = new LRUCache<'jury', Campaign[]>({ max: 1, ttl: CAMPAIGNS_TTL_MS });

  constructor(ctx: BotContext, catalog: CandidacyCatalog) {
    this.ctx = ctx;
    this.catalog = catalog;
    const lang = ctx.config.bot.defaultLanguage;
    const now = () => ctx.clock.now();
    this.dossiers = new JuryDossiers(ctx.storage, catalog, {
      lang,
      openVotes: ctx.config.jury.openVotes,
      now,
    });
    const languageOf = (userId: string) => this.languageOf(userId);
    this.ballotRooms = new BallotRooms(ctx.storage, ctx.messenger, {
      roomName: async (juror) =>
        translator(await languageOf(juror), 'jury')('ballot.roomName', {
          name: (await ctx.messenger.displayName(juror)) ?? juror,
        }),
      welcome: (juror) => this.welcome(juror),
    });
    const common = {
      storage: ctx.storage,
      messenger: ctx.messenger,
      dossiers: this.dossiers,
      ballotRooms: this.ballotRooms,
      juryRoom: ctx.rooms.jury,
      lang,
      timeZone: ctx.config.timeZone,
      languageOf,
    };
    const settings = () => this.settings();
    const readers = new RoomReaderList(ctx.messenger, () => this.roster);
    this.poster = new DossierPoster({
      ...common,
      readers,
      roster: this.roster,
      policy: this.policy,
      now,
      warn: (data, message) => ctx.logger.warn(data, message),
    });
    this.reminders = new JuryReminders({
      ...common,
      clock: ctx.clock,
      settings,
      campaigns: () => this.campaigns(),
    });
    this.handler = new JuryHandler({
      ...common,
      readers,
      poster: this.poster,
      reminders: this.reminders,
      organisersRoom: ctx.rooms.organisers,
      replyContext: { roster: this.roster, policy: this.policy, timeZone: ctx.config.timeZone },
      settings,
      campaigns: () => this.campaigns(),
      warn: (data, message) => ctx.logger.warn(data, message),
    });
  }

  private get roster(): Roster {
    const { jurors, organisers, juryPresident } = this.ctx.config.people;
    return { jurors, organisers, president: juryPresident };
  }

  private get policy() {
    return { quorum: this.ctx.config.jury.quorum, spreadAlert: this.ctx.config.jury.spreadAlert };
  }

  private settings(): JurySettings {
    const roster = this.roster;
    return {
      roster,
      policy: this.policy,
      now: this.ctx.clock.now(),
    };
  }

  private async languageOf(userId: string): Promise<string> {
    return (await this.catalog.language(userId)) ?? this.ctx.config.bot.defaultLanguage;
  }

  /** Campaigns whose dossiers are with the jury (results not published yet), newest first. */
  async campaigns(): Promise<Campaign[]> {
    const cached = this.campaignCache.get('jury');
    if (cached) return cached;
    const all = await this.ctx.storage.campaigns.list();
    const campaigns = all.filter((c) => c.publishedAt === null).reverse();
    this.campaignCache.set('jury', campaigns);
    return campaigns;
  }

  /** An organiser changed a campaign (closed, extended, published): read campaigns again. */
  campaignChanged(): void {
    this.campaignCache.clear();
  }

  private async welcome(juror: string) {
    const lang = await this.languageOf(juror);
    const campaign = (await this.campaigns())[0];
    const dossiers = campaign ? await this.dossiers.ofCampaign(campaign.id) : [];
    return ballotWelcome(
      {
        name: (await this.ctx.messenger.displayName(juror)) ?? juror,
        overview: ballotOverview(juror, dossiers, this.settings()),
        scale: scaleOf(campaign ?? { levels: [] }),
        closing: campaign ? this.reminders.closing(campaign, lang) : '',
      },
      lang,
    );
  }

  async syncDossiers(candidacyId?: string): Promise<void> {
    if (candidacyId !== undefined) {
      // Called from the candidate's room: a jury-side failure must not fail their change.
      // What is missing is posted at the next sync or at start-up (everything is keyed).
      try {
        await this.poster.sync(candidacyId);
      } catch (error) {
        this.ctx.logger.error({ candidacyId, err: error }, 'jury: dossier sync failed');
      }
      return;
    }
    this.campaignChanged();
    for (const campaign of await this.campaigns()) {
      for (const id of await this.poster.dueIn(campaign)) {
        try {
          await this.poster.sync(id);
        } catch (error) {
          this.ctx.logger.error({ candidacyId: id, err: error }, 'jury: dossier sync failed');
        }
      }
      await this.reminders.announceVotingOpen(campaign);
    }
  }

  /** Start-up catch-up: every dossier's missing posts and relays, then any reminder due meanwhile. */
  async reconcile(): Promise<void> {
    await this.ballotRooms.prepare(jurorsOf(this.roster), (juror, err) =>
      this.ctx.logger.warn({ juror, err }, 'could not prepare a ballot room'),
    );
    await this.syncDossiers();
    await this.reminders.remindBeforeDeadline();
  }

  /** Checks deadlines and closings now and then and after every clock jump. */
  startScheduler(intervalMs = 10 * 60_000): () => void {
    return startSerialScheduler(
      async () => {
        for (const campaign of await this.campaigns()) await this.reminders.announceVotingOpen(campaign);
        await this.reminders.remindBeforeDeadline();
      },
      this.ctx.clock,
      (error) => this.ctx.logger.error({ err: error }, 'jury: scheduled check failed'),
      intervalMs,
    );
  }

  async relayCandidateReply(
    candidacyId: string,
    sender: string,
    text: string,
    eventId: string,
  ): Promise<void> {
    const stored = await this.dossiers.lock.run(candidacyId, async () => {
      const record = await this.ctx.storage.jury.get(candidacyId);
      if (!record) return false;
      if (record.questions.some((q) => q.reply?.eventId === eventId)) return true; // delivered again
      const match = matchReply(record, text);
      if (!match) return false;
      await this.dossiers.write(
        record,
        { kind: 'reply', questionId: match.question.id, author: sender, text: match.text, eventId },
        { eventId },
      );
      return true;
    });
    // The reply reaches the thread, and the candidate its acknowledgement, from the stored record.
    if (stored) await this.syncDossiers(candidacyId);
  }

  async hasWaitingQuestion(candidacyId: string): Promise<boolean> {
    const record = await this.ctx.storage.jury.get(candidacyId);
    return record ? waitingQuestions(record).length > 0 : false;
  }
}
