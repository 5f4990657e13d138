// Caches for the candidacy side. Only candidacies that receive events are loaded
// (idle ones cost no memory); the cache is bounded and always refreshed from what a
// write returned, so it never serves a version older than the bot's own last write.
import { LRUCache } from 'lru-cache';
import { type Questionnaire, resolveQuestionnaire } from '../../flows/questionnaire.ts';
import type { Campaign } from '../../storage/campaigns.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import type { Storage } from '../../storage/storage.ts';

const MAX_CANDIDACIES = 5_000;
const MAX_CAMPAIGNS = 100;
/**
 * Campaign settings change rarely. A change made through the bot (organisers' commands)
 * clears this cache at once; the TTL bounds how long a change made elsewhere (the
 * command-line tools, another process) takes to be seen.
 */
const CAMPAIGN_TTL_MS = 60_000;

export class CandidacyCatalog {
  private readonly storage: Storage;
  private readonly byRoomId = new LRUCache<string, Candidacy>({ max: MAX_CANDIDACIES });
  private readonly campaigns = new LRUCache<string, Campaign>({ max: MAX_CAMPAIGNS, ttl: CAMPAIGN_TTL_MS });
  /** People's chosen languages (null: never chose one): read once, then kept (the bot is the only writer). */
  private readonly languages = new LRUCache<string, { chosen: string | null }>({ max: MAX_CANDIDACIES });
  /** The open campaign as last read, and until when to trust it. */
  private open: { campaign: Campaign; until: number } | undefined;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  async byRoom(roomId: string): Promise<Candidacy | null> {
    const cached = this.byRoomId.get(roomId);
    if (cached) return cached;
    const candidacy = await this.storage.candidacies.findByRoom(roomId);
    if (candidacy) this.remember(candidacy);
    return candidacy;
  }

  /** The cached candidacy of a room, without asking the database. */
  cached(roomId: string): Candidacy | undefined {
    return this.byRoomId.peek(roomId);
  }

  remember(candidacy: Candidacy): void {
    if (!candidacy.roomId) return;
    const known = this.byRoomId.peek(candidacy.roomId);
    if (known && known.version > candidacy.version) return;
    this.byRoomId.set(candidacy.roomId, candidacy);
  }

  async reload(id: string): Promise<Candidacy | null> {
    const candidacy = await this.storage.candidacies.get(id);
    if (candidacy) this.remember(candidacy);
    return candidacy;
  }

  /** A person's chosen language, or null if they never chose one. */
  async language(userId: string): Promise<string | null> {
    const cached = this.languages.get(userId);
    if (cached) return cached.chosen;
    const chosen = await this.storage.botState.getLanguage(userId);
    this.languages.set(userId, { chosen });
    return chosen;
  }

  async setLanguage(userId: string, language: string): Promise<void> {
    await this.storage.botState.setLanguage(userId, language);
    this.languages.set(userId, { chosen: language });
  }

  /** Forgets cached campaigns (after an organiser changed one). */
  campaignChanged(): void {
    this.campaigns.clear();
    this.open = undefined;
  }

  /**
   * The campaign with status open, if any: kept for CAMPAIGN_TTL_MS. "None open" is not kept:
   * a campaign opened by another process must be seen at once.
   */
  async openCampaign(): Promise<Campaign | null> {
    const now = Date.now();
    if (this.open && this.open.until > now) return this.open.campaign;
    const campaign = await this.storage.campaigns.getOpen();
    this.open = campaign ? { campaign, until: now + CAMPAIGN_TTL_MS } : undefined;
    return campaign;
  }

  async campaign(id: string): Promise<Campaign> {
    const cached = this.campaigns.get(id);
    if (cached) return cached;
    const campaign = await this.storage.campaigns.require(id);
    this.campaigns.set(id, campaign);
    return campaign;
  }

  /** The campaign's questionnaire: an id under questionnaires/ or a file path (loaded once). */
  questionnaire(ref: string): Questionnaire {
    return resolveQuestionnaire(ref);
  }

  /** The settings when its campaign is in the cache, without asking the database. */
  cachedSettings(candidacy: Candidacy): { campaign: Campaign; questionnaire: Questionnaire } | undefined {
    const campaign = this.campaigns.peek(candidacy.campaignId);
    return campaign ? { campaign, questionnaire: this.questionnaire(campaign.questionnaire) } : undefined;
  }

  async settings(candidacy: Candidacy): Promise<{ campaign: Campaign; questionnaire: Questionnaire }> {
    const campaign = await this.campaign(candidacy.campaignId);
    return { campaign, questionnaire: this.questionnaire(campaign.questionnaire) };
  }
}
