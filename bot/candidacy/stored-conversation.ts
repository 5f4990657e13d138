// What the bot keeps in a candidacy's `conversation` field, in the same atomic write
// as the answers: the flows snapshot, plus two small things only the bot needs.
// - `outbox`: the replies to the last applied event. If the bot dies after saving but
//   before replying, the redelivered event finds itself already applied and re-sends
//   these replies with the same transaction ids, so the homeserver drops any copy that
//   had in fact gone out.
// - `answerEvents`: which question each recent answer message answered, so an edit
//   (m.replace) or a redaction of that message can be applied to the right question.
// - `languages`: the language each person chose in this room, saved with the event that
//   chose it (the person's settings elsewhere are a copy made just after).
import type { PersistedConversation } from '../../flows/conversation.ts';
import type { ReplyIntent } from '../../flows/intents.ts';
import type { Conversation } from '../../storage/candidacies.ts';

const MAX_ANSWER_EVENTS = 300;

export interface BotConversation {
  flow: PersistedConversation;
  outbox: { eventId: string; replies: ReplyIntent[]; lang: string } | null;
  answerEvents: Record<string, string>;
  /** Absent in conversations saved before languages were kept here. */
  languages?: Record<string, string>;
}

export function readConversation(stored: Conversation | null): BotConversation | null {
  if (!stored) return null;
  const state = stored.state as Partial<BotConversation> | null;
  if (!state || typeof state !== 'object' || !state.flow) return null;
  return {
    flow: state.flow,
    outbox: state.outbox ?? null,
    answerEvents: state.answerEvents ?? {},
    languages: state.languages ?? {},
  };
}

export function writeConversation(conversation: BotConversation): Conversation {
  const entries = Object.entries(conversation.answerEvents);
  const answerEvents =
    entries.length > MAX_ANSWER_EVENTS
      ? Object.fromEntries(entries.slice(-MAX_ANSWER_EVENTS))
      : conversation.answerEvents;
  // JSON round trip: storage receives exactly the plain data it will give back.
  const state = JSON.parse(JSON.stringify({ ...conversation, answerEvents })) as unknown;
  return { machineVersion: conversation.flow.machineVersion, state };
}
