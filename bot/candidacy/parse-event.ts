// Turns a Matrix event from a candidacy room into what the conversation understands,
// or says why it cannot (a file, a message too long, an edit of an unknown message).
import type { RawEvent } from '../types.ts';

export type ParsedRoomEvent =
  | { kind: 'text'; text: string }
  | { kind: 'edit'; originalEventId: string; text: string }
  | { kind: 'redaction'; redactedEventId: string }
  | { kind: 'reaction'; targetEventId: string; key: string }
  | { kind: 'pollResponse'; pollEventId: string; answerIds: string[] }
  | { kind: 'tooLong'; size: number }
  | { kind: 'notText'; msgtype: string }
  | { kind: 'ignore'; why: string };

/** Reaction keys the bot offers on its yes/no questions (and their thumbs), and what each one answers. */
export const YES_NO_KEYS: Record<string, 'yes' | 'no'> = { '✅': 'yes', '👍': 'yes', '❌': 'no', '👎': 'no' };

function relation(content: Record<string, unknown>): Record<string, unknown> | undefined {
  const relates = content['m.relates_to'];
  return relates && typeof relates === 'object' ? (relates as Record<string, unknown>) : undefined;
}

/** Removes the quoted fallback that clients put in front of a reply's body. */
export function stripReplyFallback(body: string): string {
  if (!body.startsWith('> ')) return body;
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]?.startsWith('> ')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

export function parseRoomEvent(event: RawEvent, maxLength: number): ParsedRoomEvent {
  const content = event.content ?? {};
  switch (event.type) {
    case 'm.room.redaction': {
      const redacts = event.redacts ?? (content.redacts as string | undefined);
      return typeof redacts === 'string'
        ? { kind: 'redaction', redactedEventId: redacts }
        : { kind: 'ignore', why: 'redaction without target' };
    }
    case 'm.reaction': {
      const rel = relation(content);
      if (
        rel?.rel_type !== 'm.annotation' ||
        typeof rel.event_id !== 'string' ||
        typeof rel.key !== 'string'
      ) {
        return { kind: 'ignore', why: 'malformed reaction' };
      }
      return { kind: 'reaction', targetEventId: rel.event_id, key: rel.key };
    }
    case 'org.matrix.msc3381.poll.response':
    case 'm.poll.response': {
      const rel = relation(content);
      const response = (content['org.matrix.msc3381.poll.response'] ??
        content['m.selections'] ??
        content['m.poll.response']) as { answers?: unknown } | unknown[] | undefined;
      const answers = Array.isArray(response)
        ? response
        : (response as { answers?: unknown } | undefined)?.answers;
      if (typeof rel?.event_id !== 'string' || !Array.isArray(answers))
        return { kind: 'ignore', why: 'malformed poll response' };
      return {
        kind: 'pollResponse',
        pollEventId: rel.event_id,
        answerIds: answers.filter((a): a is string => typeof a === 'string'),
      };
    }
    case 'm.room.message':
      break;
    default:
      return { kind: 'ignore', why: `event type ${event.type}` };
  }
  const msgtype = typeof content.msgtype === 'string' ? content.msgtype : '';
  const rel = relation(content);
  if (rel?.rel_type === 'm.replace') {
    const replacement = content['m.new_content'] as Record<string, unknown> | undefined;
    const body = typeof replacement?.body === 'string' ? replacement.body : undefined;
    if (typeof rel.event_id !== 'string' || body === undefined)
      return { kind: 'ignore', why: 'malformed edit' };
    if (body.length > maxLength) return { kind: 'tooLong', size: body.length };
    return { kind: 'edit', originalEventId: rel.event_id, text: body };
  }
  if (msgtype !== 'm.text' && msgtype !== 'm.emote')
    return { kind: 'notText', msgtype: msgtype || 'unknown' };
  const body = typeof content.body === 'string' ? content.body : '';
  if (body.length > maxLength) return { kind: 'tooLong', size: body.length };
  const text = rel && 'm.in_reply_to' in rel ? stripReplyFallback(body) : body;
  return { kind: 'text', text };
}
