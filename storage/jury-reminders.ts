// Jury reminders and announcements that must go out at most once (a scheduled reminder
// before the jury deadline, a manual one, "voting is open" at closing), by stable key.
import { z } from 'zod';
import { checkInput, dateSchema, type DocumentKind, nonEmpty, readDocument } from './documents.ts';
import { CONSTRAINTS, DuplicateError } from './errors.ts';
import type { DocCollection } from './port.ts';

const REMINDERS = 'jury_reminders';

const reminderDocSchema = z.object({
  /** e.g. "deadline:tnl-2026:72h", "manual:$event", "voting-open:tnl-2026". */
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  at: dateSchema,
  /** Jurors it reached (pinged or written to). */
  jurors: z.array(z.string()),
});
type ReminderDoc = z.infer<typeof reminderDocSchema>;

export const juryReminderKind: DocumentKind<ReminderDoc> = {
  collection: REMINDERS,
  current: 1,
  migrations: [],
  schema: reminderDocSchema,
};

export interface JuryReminder {
  key: string;
  at: Date;
  jurors: string[];
}

export interface JuryReminderRepository {
  get(key: string): Promise<JuryReminder | null>;
  /** Records that the reminder went out; false if it was already recorded. */
  record(key: string, jurors: readonly string[], at?: Date): Promise<boolean>;
}

const recordInput = z.object({ key: nonEmpty, jurors: z.array(nonEmpty), at: dateSchema.optional() });

export class JuryReminderStore implements JuryReminderRepository {
  readonly #reminders: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#reminders = collection(REMINDERS);
    this.#now = now;
  }

  async get(key: string): Promise<JuryReminder | null> {
    const raw = await this.#reminders.findOne({ _id: key });
    if (!raw) return null;
    const doc = readDocument(juryReminderKind, raw).value;
    return { key: doc._id, at: doc.at, jurors: doc.jurors };
  }

  async record(key: string, jurors: readonly string[], at?: Date): Promise<boolean> {
    const v = checkInput(recordInput, { key, jurors: [...jurors], at }, 'jury reminder');
    try {
      await this.#reminders.insertOne({
        _id: v.key,
        schemaVersion: 1,
        at: v.at ?? this.#now(),
        jurors: v.jurors,
      });
      return true;
    } catch (error) {
      if (error instanceof DuplicateError && error.constraint === CONSTRAINTS.id) return false;
      throw error;
    }
  }
}
