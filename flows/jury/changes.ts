// What changed in a dossier since the jury's thread last showed it: each answer's
// value then and now, from the candidacy's audit trail. Pure.

export interface AuditedAnswer {
  readonly kind: string;
  readonly questionId?: string;
  /** The candidacy version the entry belongs to. */
  readonly version: number;
  readonly previous?: { readonly value: unknown } | null;
}

export interface AnswerChange {
  readonly questionId: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Answers whose value differs from the one the thread showed at `shownVersion`, in order of first change. */
export function answerChanges(
  audit: readonly AuditedAnswer[],
  shownVersion: number,
  current: Readonly<Record<string, { readonly value: unknown } | undefined>>,
): AnswerChange[] {
  const firstBefore = new Map<string, unknown>();
  for (const entry of audit) {
    if (entry.kind !== 'answer' || entry.version <= shownVersion || entry.questionId === undefined) continue;
    if (!firstBefore.has(entry.questionId)) firstBefore.set(entry.questionId, entry.previous?.value);
  }
  const changes: AnswerChange[] = [];
  for (const [questionId, before] of firstBefore) {
    const after = current[questionId]?.value;
    if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ questionId, before, after });
  }
  return changes;
}
