// Where a dossier stands for the jury. A submitted dossier stays editable by the
// candidate until the campaign closes: the jury may read it from submission
// (provisional), votes open when it is final — at closing, or earlier when the
// candidate confirms it final and the campaign allows that — and a decision needs a
// final dossier.

export type Phase = 'provisional' | 'final' | 'decided' | 'withdrawn';

export interface PhaseFacts {
  /** The candidacy's status (draft, submitted, under_review, decided, withdrawn). */
  readonly candidacyStatus: string;
  /** The campaign's closing date (moved to the closing time when closed early). */
  readonly closesAt: Date;
  readonly now: Date;
  readonly decided: boolean;
}

export function phaseOf(facts: PhaseFacts): Phase {
  if (facts.candidacyStatus === 'withdrawn') return 'withdrawn';
  if (facts.decided) return 'decided';
  // under_review: closed, or confirmed final early by the candidate.
  if (facts.candidacyStatus !== 'submitted') return 'final';
  return facts.now.getTime() >= facts.closesAt.getTime() ? 'final' : 'provisional';
}

/** Votes, abstentions and decisions need a final dossier; recusals and discussion do not. */
export function votingOpen(phase: Phase): boolean {
  return phase === 'final';
}

/** The campaign setting that lets a candidate confirm a submitted dossier final before closing. */
export const EARLY_FINAL_SETTING = 'earlyFinal';

export function earlyFinalAllowed(settings: Readonly<Record<string, unknown>>): boolean {
  return settings[EARLY_FINAL_SETTING] === true;
}
