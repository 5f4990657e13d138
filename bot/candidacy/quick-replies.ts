// The one quick widget a question may carry, besides the typed answer that always works:
// a poll (MSC3381) for a choice question, ✅ / ❌ reactions for a yes/no one. nheko shows
// no polls and reorders reactions, Element reorders reactions by count: so a poll, whose
// order is fixed, for choices (the numbered list stays in the message for nheko), and for
// yes/no two reactions whose meaning does not depend on their order.
//
// A poll's answer ids carry the question ("collectivity_kind/epci"), so a vote says which
// question it answers even after a restart. Polls of questions no longer asked are ended;
// a vote or reaction that comes late goes to the conversation as such (it is refused there).
// What is kept here is per-room memory that need not survive a restart.
import { LRUCache } from 'lru-cache';
import type { ConversationEvent } from '../../flows/conversation.ts';
import type { Question } from '../../flows/questionnaire.ts';
import type { OutgoingMessage } from '../types.ts';
import { YES_NO_KEYS, type ParsedRoomEvent } from './parse-event.ts';

/** Element shows at most 20 answers in a poll. */
export const MAX_POLL_ANSWERS = 20;
const MAX_ROOMS = 5_000;
/** Recent question messages per room whose reactions still mean something. */
const MAX_TARGETS = 20;

interface RoomWidgets {
  /** The question being asked in the room, as the bot's last reply left it. */
  current: string | null;
  /** Open polls: poll event id -> question id. */
  polls: Map<string, string>;
  /** Yes/no question messages: message event id -> question id. */
  reactionTargets: Map<string, string>;
}

export function pollAnswerId(questionId: string, choiceId: string): string {
  return `${questionId}/${choiceId}`;
}

/** The question and choices a poll vote names, or undefined if it is not one of the bot's. */
export function readPollAnswers(
  answerIds: readonly string[],
): { questionId: string; choiceIds: string[] } | undefined {
  const parts = answerIds.map((id) => /^([^/]+)\/([^/]+)$/.exec(id));
  const questionId = parts[0]?.[1];
  if (!questionId || parts.some((p) => p?.[1] !== questionId)) return undefined;
  return { questionId, choiceIds: parts.map((p) => p?.[2] ?? '') };
}

export class QuickReplies {
  private readonly rooms = new LRUCache<string, RoomWidgets>({ max: MAX_ROOMS });

  private room(roomId: string): RoomWidgets {
    let room = this.rooms.get(roomId);
    if (!room)
      this.rooms.set(roomId, (room = { current: null, polls: new Map(), reactionTargets: new Map() }));
    return room;
  }

  /**
   * The widget to add to a reply that asks `asked` (if any), given the question `current`
   * asked once the reply is out; and the polls to end because their question is no longer asked.
   */
  plan(
    roomId: string,
    asked: Question | undefined,
    current: string | null,
    pollTitle: (q: Question) => string,
    lang: string,
  ): {
    widget: Pick<OutgoingMessage, 'poll' | 'quickReplies'>;
    ending: Array<{ pollId: string; questionId: string }>;
  } {
    const room = this.room(roomId);
    room.current = current;
    const ending = [...room.polls]
      .filter(([, questionId]) => questionId !== current)
      .map(([pollId, questionId]) => ({ pollId, questionId }));
    for (const { pollId } of ending) room.polls.delete(pollId);
    if (!asked) return { widget: {}, ending };
    if (asked.type === 'yes_no') return { widget: { quickReplies: ['✅', '❌'] }, ending };
    const choice = asked.type === 'single_choice' || asked.type === 'multiple_choice';
    // One poll per question: asked again (after a refusal, say), its open poll still works.
    const open = [...room.polls.values()].includes(asked.id);
    if (!choice || open || asked.choices.length > MAX_POLL_ANSWERS) return { widget: {}, ending };
    return {
      widget: {
        poll: {
          question: pollTitle(asked),
          answers: asked.choices.map((c) => ({
            id: pollAnswerId(asked.id, c.id),
            text: c.label[lang] ?? c.label.fr ?? c.id,
          })),
          maxSelections: asked.type === 'single_choice' ? 1 : asked.choices.length,
        },
      },
      ending,
    };
  }

  /** The question message went out: reactions on it answer its question. */
  sent(roomId: string, asked: Question | undefined, messageId: string | undefined): void {
    if (asked?.type !== 'yes_no' || !messageId) return;
    const targets = this.room(roomId).reactionTargets;
    targets.set(messageId, asked.id);
    if (targets.size > MAX_TARGETS) targets.delete(targets.keys().next().value as string);
  }

  /** A poll went out (in the background): true if it is still wanted, false if it is to be ended. */
  pollSent(roomId: string, pollId: string, questionId: string): boolean {
    const room = this.room(roomId);
    if (room.current !== questionId) return false;
    room.polls.set(pollId, questionId);
    return true;
  }

  /** A reaction or a poll vote as the conversation reads it, or null when it answers nothing. */
  toEvent(
    roomId: string,
    parsed: ParsedRoomEvent,
    base: { sender: string; at: Date },
  ): Extract<ConversationEvent, { type: 'quick' }> | null {
    if (parsed.kind === 'pollResponse') {
      const vote = readPollAnswers(parsed.answerIds);
      if (!vote) return null;
      return { type: 'quick', questionId: vote.questionId, text: vote.choiceIds.join(', '), ...base };
    }
    if (parsed.kind !== 'reaction') return null;
    const yesNo = YES_NO_KEYS[parsed.key];
    const questionId = this.rooms.get(roomId)?.reactionTargets.get(parsed.targetEventId);
    if (!yesNo || !questionId) return null;
    return { type: 'quick', questionId, text: yesNo === 'yes' ? 'oui' : 'non', ...base };
  }
}
