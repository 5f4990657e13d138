// The campaign lifecycle: draft -> open -> closed -> published. Each transition checks
// its rules and returns the campaign as it must be stored, or a refusal code with
// parameters that the renderer turns into a sentence. Pure: time comes in as `now`.
import { type Campaign, type Level, DEFAULT_REMINDER_OFFSETS_MS, numericLevels } from './model.ts';

export type Refusal =
  | { code: 'campaignExists'; id: string }
  | { code: 'anotherOpen'; id: string }
  | { code: 'notDraft'; id: string; status: string }
  | { code: 'notOpen'; id: string; status: string }
  | { code: 'notClosed'; id: string; status: string }
  | { code: 'closesBeforeOpens' }
  | { code: 'closingPassed' }
  | { code: 'notLater'; closesAt: Date }
  | { code: 'juryBeforeClosing' }
  | { code: 'resultsBeforeClosing' }
  | { code: 'alreadyPublished'; id: string };

export type Transition = { ok: true; campaign: Campaign } | { ok: false; refusal: Refusal };

const refuse = (refusal: Refusal): Transition => ({ ok: false, refusal });

export interface CampaignDraft {
  id: string;
  year: number;
  name: string;
  questionnaireId: string;
  opensAt: Date;
  closesAt: Date;
  timeZone: string;
  juryDeadline?: Date | null;
  levels?: readonly Level[];
  reminderOffsetsMs?: readonly number[];
  earlyFinal?: boolean;
}

export function createCampaign(
  draft: CampaignDraft,
  existing: readonly Campaign[],
  by: string,
  now: Date,
): Transition {
  if (existing.some((c) => c.id === draft.id)) return refuse({ code: 'campaignExists', id: draft.id });
  if (draft.closesAt <= draft.opensAt) return refuse({ code: 'closesBeforeOpens' });
  if (draft.juryDeadline && draft.juryDeadline <= draft.closesAt)
    return refuse({ code: 'juryBeforeClosing' });
  return {
    ok: true,
    campaign: {
      id: draft.id,
      year: draft.year,
      name: draft.name,
      questionnaireId: draft.questionnaireId,
      levels: draft.levels ?? numericLevels(),
      timeZone: draft.timeZone,
      opensAt: draft.opensAt,
      closesAt: draft.closesAt,
      juryDeadline: draft.juryDeadline ?? null,
      reminderOffsetsMs: [...(draft.reminderOffsetsMs ?? DEFAULT_REMINDER_OFFSETS_MS)].sort((a, b) => b - a),
      ...(draft.earlyFinal ? { earlyFinal: true } : {}),
      status: 'draft',
      deadlineSetAt: now,
      resultsAt: null,
      createdAt: now,
      createdBy: by,
      openedAt: null,
      closedAt: null,
      publishedAt: null,
    },
  };
}

/** Opening makes the campaign accept candidacies from opensAt. Only one campaign may be open. */
export function openCampaign(campaign: Campaign, all: readonly Campaign[], now: Date): Transition {
  if (campaign.status !== 'draft')
    return refuse({ code: 'notDraft', id: campaign.id, status: campaign.status });
  const other = all.find((c) => c.status === 'open' && c.id !== campaign.id);
  if (other) return refuse({ code: 'anotherOpen', id: other.id });
  if (campaign.closesAt <= now) return refuse({ code: 'closingPassed' });
  return { ok: true, campaign: { ...campaign, status: 'open', openedAt: now } };
}

/** A later closing date, for a draft or an open campaign that has not closed yet. */
export function extendCampaign(campaign: Campaign, closesAt: Date, now: Date): Transition {
  if (campaign.status !== 'draft' && campaign.status !== 'open')
    return refuse({ code: 'notOpen', id: campaign.id, status: campaign.status });
  if (closesAt <= campaign.closesAt) return refuse({ code: 'notLater', closesAt: campaign.closesAt });
  if (closesAt <= now) return refuse({ code: 'closingPassed' });
  // The scheduler closes an open campaign whose closesAt passed; until it has, extending is still possible.
  const juryDeadline =
    campaign.juryDeadline && campaign.juryDeadline <= closesAt
      ? new Date(campaign.juryDeadline.getTime() + (closesAt.getTime() - campaign.closesAt.getTime()))
      : campaign.juryDeadline;
  return { ok: true, campaign: { ...campaign, closesAt, juryDeadline, deadlineSetAt: now } };
}

/**
 * Closing: at closesAt by the scheduler, or earlier by an organiser (closesAt is then
 * brought forward to now, so every date shown afterwards is the real one).
 */
export function closeCampaign(campaign: Campaign, now: Date): Transition {
  if (campaign.status !== 'open')
    return refuse({ code: 'notOpen', id: campaign.id, status: campaign.status });
  const closesAt = campaign.closesAt < now ? campaign.closesAt : now;
  return { ok: true, campaign: { ...campaign, status: 'closed', closesAt, closedAt: now } };
}

/** Sets when the results go out (now or later); the scheduler publishes at that time. */
export function scheduleResults(campaign: Campaign, at: Date): Transition {
  if (campaign.status === 'published') return refuse({ code: 'alreadyPublished', id: campaign.id });
  if (campaign.status !== 'closed' && campaign.status !== 'open')
    return refuse({ code: 'notClosed', id: campaign.id, status: campaign.status });
  if (at < campaign.closesAt) return refuse({ code: 'resultsBeforeClosing' });
  return { ok: true, campaign: { ...campaign, resultsAt: at } };
}

export function markPublished(campaign: Campaign, now: Date): Transition {
  if (campaign.status === 'published') return refuse({ code: 'alreadyPublished', id: campaign.id });
  if (campaign.status !== 'closed')
    return refuse({ code: 'notClosed', id: campaign.id, status: campaign.status });
  return {
    ok: true,
    campaign: { ...campaign, status: 'published', publishedAt: now, resultsAt: campaign.resultsAt ?? now },
  };
}
