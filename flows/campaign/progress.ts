// How far a candidacy is: required questions that apply given its answers, and how many
// of them have an answer. The dashboard and the reminders show it; the reminder also
// lists what is missing.
import type { AnswerRecord, AnswerValue } from '../answers.ts';
import { type Answers, isRelevant, missingRequired } from '../navigation.ts';
import type { Question, Questionnaire } from '../questionnaire.ts';

/** Answers as storage keeps them (dates as Date), in the shape the navigation rules read. */
export function answersView(
  answers: Readonly<Record<string, { value: unknown; by: string; at: Date | string }>>,
): Answers {
  const out: Record<string, AnswerRecord> = {};
  for (const [id, a] of Object.entries(answers)) {
    out[id] = {
      value: a.value as AnswerValue,
      by: a.by,
      at: a.at instanceof Date ? a.at.toISOString() : a.at,
    };
  }
  return out;
}

export interface RequiredProgress {
  answered: number;
  required: number;
  missing: Question[];
}

export function requiredProgress(questionnaire: Questionnaire, answers: Answers): RequiredProgress {
  const required = questionnaire.questions.filter((q) => q.required && isRelevant(q, answers));
  const missing = missingRequired(questionnaire, answers);
  return { answered: required.length - missing.length, required: required.length, missing };
}
