// The candidate's side of a jury question: in the candidacy room, a message starting
// with !reply / !répondre (any case or accents) is an answer to the jury. The
// candidacy handler checks with `parseCandidateReply` and, when it returns text, calls
// `services.jury.relayCandidateReply(candidacyId, sender, text, eventId)` instead of
// treating the message as a questionnaire answer.
import { fold } from '../../flows/text.ts';

const REPLY_WORDS = new Set(['reply', 'answer', 'repondre', 'reponse', 'jury']);
const REPLY = /^\s*!\s*(\S+)\s*([\s\S]*)$/;

/** The reply text of a `!reply ...` message, or null when the message is not one. */
export function parseCandidateReply(body: string): string | null {
  const match = REPLY.exec(body);
  if (!match || !REPLY_WORDS.has(fold(match[1] ?? ''))) return null;
  const text = (match[2] ?? '').trim();
  return text ? text : null;
}

/** The text without its `!reply` word, whether or not the caller already removed it. */
export function stripReplyCommand(text: string): string {
  return parseCandidateReply(text) ?? text.trim();
}
