// Finding one's way to a candidacy, as pure decisions: what a message in the lobby or a
// direct chat asks for, what the bot does about it given the person's candidacies, how a
// candidacy room is named, and what a member who (re)joins a candidacy room is told.
import type { CandidacyStatus, ReplyIntent } from './intents.ts';
import type { ConversationView } from './conversation.ts';
import type { Questionnaire } from './questionnaire.ts';

/** Statuses of a candidacy still in progress (its room is where the person works). */
export const ONGOING: ReadonlySet<CandidacyStatus> = new Set(['draft', 'submitted', 'under_review']);

/** What a message in the lobby or a direct chat asks for. */
export type DirectRequest =
  /** `!candidater`: start, or find one's candidacy. */
  | 'start'
  /** `!continuer`: back to the candidacy in progress. */
  | 'continue'
  /** `!nouvelle`: one more candidacy, for another collectivité (the answer to the confirmation). */
  | 'new'
  | 'help'
  /** Any other command. */
  | 'command'
  /** Plain text. */
  | 'text';

const START = /^!\s*(candidater|candidature|apply|start|commencer)\b/i;
const CONTINUE = /^!\s*(continuer|continue|reprendre|resume)\s*$/i;
const NEW = /^!\s*(nouvelle|new)\b/i;
const HELP = /^!\s*(aide|help|\?)\s*$/i;

export function directRequest(body: string): DirectRequest {
  const text = body.trim();
  if (START.test(text)) return 'start';
  if (CONTINUE.test(text)) return 'continue';
  if (NEW.test(text)) return 'new';
  if (HELP.test(text)) return 'help';
  return text.startsWith('!') ? 'command' : 'text';
}

export type DirectDecision =
  /** Open a new candidacy (its room, its first question). */
  | { kind: 'create' }
  /** Say where the person's candidacies are, inviting them back where they are not. */
  | { kind: 'where' }
  /** A candidacy exists: ask whether to continue it or start one for another collectivité. */
  | { kind: 'choose' }
  /** The commands of the lobby and direct chats. */
  | { kind: 'help' }
  /** Nothing to say (chat between people in the public lobby). */
  | { kind: 'silent' };

/**
 * What to do about a request. `greeting`: the person has just opened a direct chat.
 * `ongoing`: how many candidacies in progress the person has in the open campaign (not
 * counting one created from this very event: a redelivered start must do the same again).
 * `createdHere`: a candidacy was already created from this event.
 */
export function decideDirect(input: {
  request: DirectRequest | 'greeting';
  room: 'dm' | 'lobby';
  ongoing: number;
  createdHere: boolean;
}): DirectDecision {
  const { request, room, ongoing } = input;
  if (input.createdHere) return { kind: 'create' };
  switch (request) {
    case 'greeting':
    case 'start':
      if (ongoing === 0) return { kind: 'create' };
      return request === 'greeting' ? { kind: 'where' } : { kind: 'choose' };
    case 'new':
      return { kind: 'create' };
    case 'continue':
      return ongoing > 0 ? { kind: 'where' } : { kind: 'help' };
    case 'help':
      return ongoing > 0 && room === 'dm' ? { kind: 'where' } : { kind: 'help' };
    case 'command':
      return ongoing > 0 && room === 'dm' ? { kind: 'where' } : { kind: 'help' };
    case 'text':
      // In the public lobby people may chat: only commands get an answer. A direct chat always does.
      if (room === 'lobby') return { kind: 'silent' };
      return ongoing > 0 ? { kind: 'where' } : { kind: 'help' };
  }
}

/**
 * Whether the answer depends on the person's candidacies (so that they must be looked up):
 * always in a direct chat; in the lobby only for the start, continue and new commands.
 */
export function dependsOnCandidacies(request: DirectRequest | 'greeting', room: 'dm' | 'lobby'): boolean {
  return room === 'dm' || request === 'start' || request === 'continue' || request === 'new';
}

/** Where a person stands in a candidacy room (their Matrix membership there). */
export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock' | null;

/**
 * `inside`: joined; `invited`: an invitation waits; `reinvite`: left, declined or never
 * there, so the bot (room admin) invites them again; `banned`: someone banned them.
 */
export type Place = 'inside' | 'invited' | 'reinvite' | 'banned';

export function placeOf(membership: Membership): Place {
  if (membership === 'join') return 'inside';
  if (membership === 'invite') return 'invited';
  if (membership === 'ban') return 'banned';
  return 'reinvite';
}

/** A room name: one of the bot's message keys and its parameters. */
export interface RoomName {
  key: 'roomNameKnown' | 'roomNamePerson' | 'roomNamePersonNth';
  params: Record<string, string | number>;
}

/**
 * The name of a candidacy room: the collectivité once known; before, the lead's name, with
 * a number from their second candidacy in the campaign on, so that invitations differ.
 */
export function roomNameFor(input: {
  collectivite: string | null;
  campaign: string;
  lead: string;
  /** 1 for the lead's first candidacy of the campaign, 2 for the next... */
  ordinal: number;
}): RoomName {
  const { collectivite, campaign, lead, ordinal } = input;
  if (collectivite) return { key: 'roomNameKnown', params: { collectivite, campaign } };
  if (ordinal <= 1) return { key: 'roomNamePerson', params: { person: lead, campaign } };
  return { key: 'roomNamePersonNth', params: { person: lead, campaign, ordinal } };
}

/** The rank of a candidacy among those its lead started in the same campaign (1-based). */
export function ordinalOf(
  candidacy: { id: string; campaignId: string; leadId: string; createdAt: Date },
  all: ReadonlyArray<{ id: string; campaignId: string; leadId: string; createdAt: Date }>,
): number {
  const same = all
    .filter((c) => c.campaignId === candidacy.campaignId && c.leadId === candidacy.leadId)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  const index = same.findIndex((c) => c.id === candidacy.id);
  return index < 0 ? same.length + 1 : index + 1;
}

/**
 * Whether a membership change is a member coming (back) into the room: a join that was not
 * one before (a name or avatar change is also a "join"), of someone of the candidacy, once
 * the conversation has moved on from its opening (which the room shows last anyway).
 */
export function isReturn(input: {
  membership: unknown;
  previous: unknown;
  isMember: boolean;
  atOpening: boolean;
}): boolean {
  return input.membership === 'join' && input.previous !== 'join' && input.isMember && !input.atOpening;
}

/** What a member (back) in the room is told: welcome, answers kept, and where the conversation is. */
export function returnReplies(
  questionnaire: Questionnaire,
  view: ConversationView,
  user: string,
): ReplyIntent[] {
  const answered = Object.keys(view.answers).length;
  const total = questionnaire.questions.length;
  const welcome: ReplyIntent = { kind: 'welcomeBack', user, answered, total };
  const question = view.questionId ? questionnaire.byId.get(view.questionId) : undefined;
  if (view.state === 'filling' && question) {
    const current = view.answers[question.id];
    return [
      welcome,
      {
        kind: 'ask',
        questionId: question.id,
        number: question.number,
        total,
        newSection: true,
        ...(current !== undefined ? { current: current.value } : {}),
      },
    ];
  }
  if (view.state === 'paused') return [welcome, { kind: 'isPaused' }];
  if (view.state === 'review') return [welcome, { kind: 'review' }];
  return [welcome];
}
