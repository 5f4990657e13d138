// Questions of the jury to a candidate, and the candidate's replies: which question a
// reply answers, and what of the reply to relay. Pure.
import type { JuryQuestion, JuryRecord } from './record.ts';

/** "Q2 ...", "q 2: ...", "#2 ..." at the start of a candidate's reply. */
const QUESTION_REF = /^\s*(?:q|#)\s*(\d{1,4})\b\s*[:.)-]?\s*/i;

/** Questions relayed to the candidate and not answered yet, oldest first. */
export function waitingQuestions(record: JuryRecord): JuryQuestion[] {
  return record.questions.filter((q) => q.relayedAt !== null && q.reply === null);
}

/**
 * The question a candidate's message answers: the waiting one it names ("Q2 ..."), else
 * the oldest waiting; null when none waits (the message is not for the jury). Returns
 * the text to relay, without the "Q2" it starts with.
 */
export function matchReply(
  record: JuryRecord,
  body: string,
): { question: JuryQuestion; text: string } | null {
  const text = body.trim();
  if (!text) return null;
  const waiting = waitingQuestions(record);
  const named = QUESTION_REF.exec(text);
  const byNumber = named ? waiting.find((q) => q.number === Number(named[1])) : undefined;
  const question = byNumber ?? waiting[0];
  if (!question) return null;
  const relayed = byNumber && named ? text.slice(named[0].length).trim() || text : text;
  return { question, text: relayed };
}

/** The question a stored reply (by its Matrix event) answered, if any. */
export function questionOfReply(record: JuryRecord, eventId: string): JuryQuestion | null {
  return record.questions.find((q) => q.reply?.eventId === eventId) ?? null;
}
