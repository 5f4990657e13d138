// What the conversation says (reply intents) and what it changes (effects): plain,
// JSON-serialisable data. The bot renders intents with bot/render/candidacy.ts and hands
// effects to storage; neither needs to look inside the machine.
import type { AnswerValue, Problem } from './answers.ts';
import type { CommandName } from './commands.ts';

export type CandidacyStatus = 'draft' | 'submitted' | 'under_review' | 'decided' | 'withdrawn';

export interface QuestionRef {
  readonly questionId: string;
  readonly number: number;
}

export interface Deadline {
  /** ISO 8601 instant. */
  readonly closesAt: string;
  /** IANA time zone in which to show it, e.g. Europe/Paris. */
  readonly timeZone: string;
}

export interface SummaryItem extends QuestionRef {
  readonly value?: AnswerValue;
  readonly by?: string;
  readonly required: boolean;
  readonly skipped: boolean;
}

export interface SummarySection {
  readonly sectionId: string;
  readonly items: readonly SummaryItem[];
}

export type ConfirmationAbout = 'submit' | 'withdraw' | 'clear' | 'final';

export type ReplyIntent =
  | ({ kind: 'welcome'; total: number; sections: number; now: string } & Deadline)
  | { kind: 'renewalOffer'; reusable: number }
  | { kind: 'renewalAccepted'; reusable: number }
  | { kind: 'renewalDeclined' }
  | {
      kind: 'ask';
      questionId: string;
      number: number;
      total: number;
      /** First question of a section: show the section's title and intro. */
      newSection: boolean;
      /** The current answer, when coming back to an answered question. */
      current?: AnswerValue;
      /** Last year's answer, offered for reuse (renewal). */
      lastYear?: AnswerValue;
      /** Entries collected so far for a list question. */
      items?: readonly string[];
    }
  | { kind: 'invalid'; questionId: string; number: number; problem: Problem }
  /** The question being asked, in one line, at the end of a side reply. */
  | { kind: 'current'; questionId: string; number: number }
  /** A poll vote or reaction on a question no longer asked; `value` is its answer, if any. */
  | { kind: 'lateQuickReply'; questionId: string; number: number; value?: AnswerValue }
  | { kind: 'listItemsAdded'; questionId: string; number: number; added: readonly string[]; count: number }
  | { kind: 'listItemRemoved'; questionId: string; number: number; item: string; count: number }
  | { kind: 'listCleared'; questionId: string; number: number }
  | { kind: 'kept'; questionId: string; number: number }
  | { kind: 'skipped'; questionId: string; number: number }
  | { kind: 'cannotSkip'; questionId: string; number: number }
  | { kind: 'cannotGoBack' }
  | { kind: 'confirmClear'; questionId: string; number: number; value: AnswerValue }
  | { kind: 'cleared'; questionId: string; number: number }
  | { kind: 'clearCancelled' }
  | { kind: 'dropped'; questions: readonly QuestionRef[] }
  | { kind: 'replaced'; questionId: string; number: number; value: AnswerValue }
  | {
      kind: 'help';
      /** Question the help is about (the current one, or `!help 12`). */
      questionId?: string;
      number?: number;
      commands: readonly CommandName[];
    }
  | {
      kind: 'summary';
      sections: readonly SummarySection[];
      missing: readonly QuestionRef[];
      /** Questions that do not apply given the answers (not listed in `sections`). */
      notApplicable: number;
    }
  | ({
      kind: 'progress';
      /** Over every question of the questionnaire (the N of "Q8/11"). */
      answered: number;
      notApplicable: number;
      /** Answered, skipped or not applying. */
      done: number;
      total: number;
      missing: number;
      sections: ReadonlyArray<{ sectionId: string; done: number; total: number }>;
      currentSectionId?: string;
      status: CandidacyStatus;
      now: string;
    } & Deadline)
  | { kind: 'review' }
  | ({ kind: 'submittedState' } & Deadline)
  | { kind: 'submitBlocked'; missing: readonly QuestionRef[] }
  | ({ kind: 'confirmSubmit' } & Deadline)
  /** `earlyFinal`: the campaign lets the candidate make the dossier final before closing. */
  | ({ kind: 'submitted'; earlyFinal: boolean } & Deadline)
  | ({ kind: 'confirmFinal' } & Deadline)
  | { kind: 'finalConfirmed' }
  | ({ kind: 'finalCancelled' } & Deadline)
  | ({ kind: 'finalNotAllowed' } & Deadline)
  | { kind: 'finalNeedsSubmit' }
  | { kind: 'submitCancelled' }
  | ({ kind: 'alreadySubmitted' } & Deadline)
  | { kind: 'confirmWithdraw'; status: CandidacyStatus }
  | { kind: 'withdrawn' }
  | { kind: 'withdrawCancelled' }
  | { kind: 'confirmationPending'; about: ConfirmationAbout | 'renewal' }
  | { kind: 'paused' }
  | { kind: 'resumed' }
  | { kind: 'isPaused' }
  | { kind: 'notPaused' }
  | { kind: 'languageChanged'; lang: string }
  | { kind: 'languageUnknown'; requested?: string; available: readonly string[] }
  | ({ kind: 'closed'; submitted: boolean } & Deadline)
  | { kind: 'frozen'; status: CandidacyStatus }
  | { kind: 'decided'; level: string }
  | { kind: 'unknownQuestion'; target: string; total: number }
  | { kind: 'notApplicable'; questionId: string; number: number }
  | { kind: 'notAvailable'; command: CommandName }
  | { kind: 'unknownCommand'; command: string }
  | { kind: 'missingArgument'; command: CommandName }
  | { kind: 'notAQuestionNow'; status: CandidacyStatus }
  /** A member (back) in the candidacy room: their answers are kept. */
  | { kind: 'welcomeBack'; user: string; answered: number; total: number };

export type ReplyKind = ReplyIntent['kind'];

export type Effect =
  | {
      type: 'answerSet';
      questionId: string;
      value: AnswerValue;
      previous?: AnswerValue;
      by: string;
      at: string;
      /** typed answer, last year's answer kept, or a Matrix message edit */
      source: 'answer' | 'renewal' | 'replace';
      /** List answers: who typed each entry, in the order of the entries. */
      itemsBy?: readonly string[];
    }
  | {
      type: 'answerCleared';
      questionId: string;
      previous: AnswerValue;
      by: string;
      at: string;
      /** cleared on request, or no longer applies after another answer changed */
      reason: 'cleared' | 'notApplicable';
    }
  | { type: 'status'; status: CandidacyStatus; previous: CandidacyStatus; by: string; at: string }
  | { type: 'language'; person: string; lang: string; at: string }
  | { type: 'paused'; by: string; at: string }
  | { type: 'resumed'; by: string; at: string };
