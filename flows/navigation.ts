// Where a candidacy stands in its questionnaire, computed from the answers alone:
// which questions apply (conditions), which are still open, what comes next or before,
// what is missing, and which answers no longer apply after a change. Conditions only
// look at earlier questions, so one pass in order settles everything.
import type { AnswerRecord, AnswerValue } from './answers.ts';
import { fold } from './text.ts';
import type { Condition, IdentityRole, Question, Questionnaire } from './questionnaire.ts';

export type Answers = Readonly<Record<string, AnswerRecord>>;

export function conditionHolds(c: Condition, answers: Answers): boolean {
  if ('all' in c) return c.all.every((x) => conditionHolds(x, answers));
  if ('any' in c) return c.any.some((x) => conditionHolds(x, answers));
  if ('not' in c) return !conditionHolds(c.not, answers);
  const value = answers[c.question]?.value;
  if ('answered' in c) return (value !== undefined) === c.answered;
  if (value === undefined) return false;
  if ('equals' in c) return value === c.equals;
  if ('in' in c) return (typeof value === 'string' || typeof value === 'number') && c.in.includes(value);
  if ('includes' in c) return Array.isArray(value) && value.some((v) => fold(v) === fold(c.includes));
  if ('atLeast' in c) return typeof value === 'number' && value >= c.atLeast;
  return typeof value === 'number' && value <= c.atMost;
}

export function isRelevant(q: Question, answers: Answers): boolean {
  return q.when === undefined || conditionHolds(q.when, answers);
}

/** Removes answers to questions that no longer apply; returns what was dropped, in order. */
export function prune(
  questionnaire: Questionnaire,
  answers: Answers,
): { answers: Record<string, AnswerRecord>; dropped: Array<{ question: Question; previous: AnswerRecord }> } {
  const kept: Record<string, AnswerRecord> = { ...answers };
  const dropped: Array<{ question: Question; previous: AnswerRecord }> = [];
  for (const q of questionnaire.questions) {
    const previous = kept[q.id];
    if (previous !== undefined && !isRelevant(q, kept)) {
      delete kept[q.id];
      dropped.push({ question: q, previous });
    }
  }
  return { answers: kept, dropped };
}

export interface Position {
  readonly answers: Answers;
  readonly skipped: readonly string[];
}

/** Applies, has no answer yet and was not skipped: still to be asked. */
export function isOpen(q: Question, pos: Position): boolean {
  return pos.answers[q.id] === undefined && !pos.skipped.includes(q.id) && isRelevant(q, pos.answers);
}

/** The first open question after `afterId` (or from the start when null). */
export function nextOpen(
  questionnaire: Questionnaire,
  pos: Position,
  afterId: string | null,
): Question | undefined {
  const start = afterId === null ? 0 : (questionnaire.byId.get(afterId)?.number ?? 0);
  return questionnaire.questions.slice(start).find((q) => isOpen(q, pos));
}

/** The question before `beforeId` (or the last one when null) that applies: where `back` goes. */
export function previousRelevant(
  questionnaire: Questionnaire,
  answers: Answers,
  beforeId: string | null,
): Question | undefined {
  const end =
    beforeId === null ? questionnaire.questions.length : (questionnaire.byId.get(beforeId)?.number ?? 1) - 1;
  return questionnaire.questions
    .slice(0, end)
    .reverse()
    .find((q) => isRelevant(q, answers));
}

export function missingRequired(questionnaire: Questionnaire, answers: Answers): Question[] {
  return questionnaire.questions.filter(
    (q) => q.required && answers[q.id] === undefined && isRelevant(q, answers),
  );
}

/** The questions a condition looks at. */
function conditionQuestions(c: Condition): string[] {
  if ('all' in c) return c.all.flatMap(conditionQuestions);
  if ('any' in c) return c.any.flatMap(conditionQuestions);
  if ('not' in c) return conditionQuestions(c.not);
  return [c.question];
}

/**
 * Does not apply, for good: its condition is false and every question the condition looks
 * at is answered or skipped (one still to come could make it apply).
 */
export function isSettledNotApplicable(q: Question, pos: Position): boolean {
  if (q.when === undefined || isRelevant(q, pos.answers)) return false;
  return conditionQuestions(q.when).every((id) => pos.answers[id] !== undefined || pos.skipped.includes(id));
}

export interface SectionProgress {
  readonly sectionId: string;
  /** Answered, skipped on purpose, or not applying given the answers. */
  readonly done: number;
  readonly total: number;
}

/**
 * Counts over every question of the questionnaire, the same N as "Q8/11": answered ones,
 * those that do not apply given the answers, and those settled (answered, skipped or not
 * applying), in all and by section.
 */
export function progressOf(
  questionnaire: Questionnaire,
  answers: Answers,
  skipped: readonly string[] = [],
): { answered: number; notApplicable: number; done: number; total: number; sections: SectionProgress[] } {
  let answered = 0;
  let notApplicable = 0;
  const sections = questionnaire.sections.map((section) => {
    const questions = section.questionIds
      .map((id) => questionnaire.byId.get(id))
      .filter((q): q is Question => q !== undefined);
    let done = 0;
    for (const q of questions) {
      if (isSettledNotApplicable(q, { answers, skipped })) notApplicable++;
      else if (!isRelevant(q, answers))
        continue; // may apply once the question it depends on is answered
      else if (answers[q.id] !== undefined) answered++;
      else if (!skipped.includes(q.id)) continue;
      done++;
    }
    return { sectionId: section.id, done, total: questions.length };
  });
  return {
    answered,
    notApplicable,
    done: sections.reduce((n, s) => n + s.done, 0),
    total: questionnaire.questions.length,
    sections,
  };
}

/** `!edit 12`, `!edit Q12`, `!edit #12` or `!edit question_id`. */
export function findQuestion(questionnaire: Questionnaire, target: string): Question | undefined {
  const t = fold(target).replace(/^(q|#|n°)\s*/, '');
  if (/^\d+$/.test(t)) return questionnaire.questions[Number(t) - 1];
  return questionnaire.byId.get(fold(target));
}

export type Identity = Partial<Record<IdentityRole, AnswerValue>>;

/** The identification answers by role (collectivité name, kind, code...), for storage and room names. */
export function identityOf(questionnaire: Questionnaire, answers: Answers): Identity {
  const identity: Identity = {};
  for (const q of questionnaire.questions) {
    const answer = answers[q.id];
    if (q.role && answer !== undefined) identity[q.role] = answer.value;
  }
  return identity;
}
