// Public entry of the storage module: what bot/ and scripts import.
export { createMemoryStorage, openStorage } from './storage.ts';
export type { MemoryStorage, OpenStorageOptions, Storage, StorageOptions } from './storage.ts';
export type { StorageLogger, WriteConcernChoice } from './mongo-engine.ts';
export * from './errors.ts';
export type { JsonValue } from './documents.ts';
export { jsonValueSchema } from './documents.ts';
export {
  CANDIDACY_STATUSES,
  collectiviteKey,
  hasApplied,
  normaliseName,
  RECENT_EVENT_IDS,
} from './candidacies.ts';
export type {
  Answer,
  AnswerEffect,
  AuditEntry,
  Candidacy,
  CandidacyChange,
  CandidacyRepository,
  CandidacyStatus,
  CandidacyUpdate,
  CandidacyVersion,
  Collectivite,
  Conversation,
  NewCandidacy,
  People,
  Person,
  UpdateWithRetryOptions,
} from './candidacies.ts';
export { CAMPAIGN_STATUSES } from './campaigns.ts';
export type {
  Campaign,
  CampaignHistoryEntry,
  CampaignPatch,
  CampaignRepository,
  CampaignStatus,
  Level,
  NewCampaign,
} from './campaigns.ts';
export type { Decision, JuryRecord, JuryRepository } from './jury.ts';
export type { BallotRoom, BallotRoomRepository } from './jury-ballot-rooms.ts';
export type { JuryReminder, JuryReminderRepository } from './jury-reminders.ts';
export { BROADCAST_STATUSES, DELIVERY_STATES, deliveryTxnId } from './broadcasts.ts';
export type {
  Broadcast,
  BroadcastRepository,
  BroadcastStatus,
  Delivery,
  DeliveryReport,
  DeliveryState,
  NewBroadcast,
} from './broadcasts.ts';
export type { ProcessedEventRepository } from './events.ts';
export { NOTICE_KINDS, pendingActionSchema } from './organisers.ts';
export type { NoticeKind, OrganiserRepository, PendingAction, PendingConfirmation } from './organisers.ts';
export { ROOM_KINDS } from './bot-state.ts';
export type { BotStateRepository, RoomEntry, RoomKind } from './bot-state.ts';
export type { RetryOptions, MigrationReport } from './util.ts';
