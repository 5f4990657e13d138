// What the organisers' room keeps between events: the action each organiser was asked to
// confirm (one per person, replaced by a newer request), and the notices already posted
// there (delivery-report rounds, the welcome), so that none is posted twice. Typed and
// validated like every other record, instead of untyped values in the bot's key/value store.
import { z } from 'zod';
import { checkInput, dateSchema, type DocumentKind, nonEmpty, readDocument } from './documents.ts';
import { DuplicateError } from './errors.ts';
import type { DocCollection, Filter, IndexSpec, RawDoc } from './port.ts';
import type { MigrationReport } from './util.ts';

const CONFIRMATIONS = 'organiser_confirmations';
const NOTICES = 'organiser_notices';

const audienceSchema = z.object({
  candidacies: z.union([
    z.enum(['all', 'drafts', 'submitted', 'none']),
    z.object({ refs: z.array(nonEmpty) }),
  ]),
  inactiveForMs: z.number().int().nonnegative().optional(),
  public: z.boolean(),
});

/** What an organiser asked for and must still confirm. */
export const pendingActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('open'), campaignId: nonEmpty }),
  z.object({ kind: z.literal('close'), campaignId: nonEmpty }),
  z.object({
    kind: z.literal('remind'),
    campaignId: nonEmpty,
    audience: audienceSchema,
    broadcastId: nonEmpty,
  }),
  z.object({
    kind: z.literal('announce'),
    campaignId: nonEmpty.nullable(),
    audience: audienceSchema,
    /** By language code, "*" for every language. */
    texts: z.record(z.string().regex(/^(\*|[a-z]{2,3})$/), z.string()),
    broadcastId: nonEmpty,
  }),
  z.object({ kind: z.literal('publishNow'), campaignId: nonEmpty }),
  z.object({ kind: z.literal('publishAt'), campaignId: nonEmpty, at: dateSchema }),
]);
export type PendingAction = z.infer<typeof pendingActionSchema>;

const confirmationDocSchema = z.object({
  /** The organiser's Matrix user id. */
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  action: pendingActionSchema,
  expiresAt: dateSchema,
  createdAt: dateSchema,
  /** Grows with each new request: forgetting a request never forgets a newer one. */
  version: z.number().int().positive(),
});

export const NOTICE_KINDS = ['report', 'welcome'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

const noticeDocSchema = z.object({
  /** `<kind>:<subject>` */
  _id: nonEmpty,
  schemaVersion: z.literal(1),
  kind: z.enum(NOTICE_KINDS),
  /** The broadcast id (reports) or the organisers' room id (welcome). */
  subject: nonEmpty,
  /** The last round posted (a delivery report is posted once per round; a welcome has one). */
  round: z.number().int().positive(),
  at: dateSchema,
});

export const organiserKinds = {
  confirmations: { collection: CONFIRMATIONS, current: 1, migrations: [], schema: confirmationDocSchema },
  notices: { collection: NOTICES, current: 1, migrations: [], schema: noticeDocSchema },
} satisfies Record<string, DocumentKind<unknown>>;

export const organiserIndexes: Record<string, IndexSpec[]> = {
  [CONFIRMATIONS]: [{ name: 'by_expiry', keys: { expiresAt: 1 } }],
};

export interface PendingConfirmation {
  userId: string;
  action: PendingAction;
  expiresAt: Date;
  createdAt: Date;
  version: number;
}

export interface OrganiserRepository {
  /** Stores what `userId` is asked to confirm, replacing any earlier request of theirs. */
  setPending(userId: string, action: PendingAction, expiresAt: Date): Promise<PendingConfirmation>;
  getPending(userId: string): Promise<PendingConfirmation | null>;
  /** Forgets the request (only that version, when given); true if one was forgotten. */
  clearPending(userId: string, version?: number): Promise<boolean>;
  /** The last round of notices of this kind posted about `subject` (0: none yet). */
  noticeRound(kind: NoticeKind, subject: string): Promise<number>;
  /** Records that a round was posted; a lower or equal round changes nothing. */
  recordNotice(kind: NoticeKind, subject: string, round: number): Promise<void>;
}

function confirmationFrom(raw: RawDoc): PendingConfirmation {
  const { _id, schemaVersion: _v, ...rest } = readDocument(organiserKinds.confirmations, raw).value;
  return { ...rest, userId: _id };
}

export class OrganiserStore implements OrganiserRepository {
  readonly #confirmations: DocCollection;
  readonly #notices: DocCollection;
  readonly #now: () => Date;

  constructor(collection: (name: string) => DocCollection, now: () => Date) {
    this.#confirmations = collection(CONFIRMATIONS);
    this.#notices = collection(NOTICES);
    this.#now = now;
  }

  async setPending(userId: string, action: PendingAction, expiresAt: Date): Promise<PendingConfirmation> {
    const raw = await this.#confirmations.findOneAndUpdate(
      { _id: checkInput(nonEmpty, userId, 'user id') },
      {
        $set: {
          schemaVersion: 1,
          action: checkInput(pendingActionSchema, action, 'pending action'),
          expiresAt: checkInput(dateSchema, expiresAt, 'expiry'),
          createdAt: this.#now(),
        },
        $inc: { version: 1 },
      },
      { upsert: true },
    );
    if (!raw) throw new Error('upsert returned nothing');
    return confirmationFrom(raw);
  }

  async getPending(userId: string): Promise<PendingConfirmation | null> {
    const raw = await this.#confirmations.findOne({ _id: userId });
    return raw ? confirmationFrom(raw) : null;
  }

  async clearPending(userId: string, version?: number): Promise<boolean> {
    const filter: Filter = version === undefined ? { _id: userId } : { _id: userId, version };
    return (await this.#confirmations.deleteMany(filter)) > 0;
  }

  async noticeRound(kind: NoticeKind, subject: string): Promise<number> {
    const raw = await this.#notices.findOne({ _id: `${kind}:${subject}` });
    return raw ? readDocument(organiserKinds.notices, raw).value.round : 0;
  }

  async recordNotice(kind: NoticeKind, subject: string, round: number): Promise<void> {
    checkInput(z.enum(NOTICE_KINDS), kind, 'notice kind');
    checkInput(nonEmpty, subject, 'notice subject');
    checkInput(z.number().int().positive(), round, 'notice round');
    try {
      // Only ever raises the round: a higher one stored meanwhile makes this upsert collide.
      await this.#notices.updateOne(
        { _id: `${kind}:${subject}`, round: { $lt: round } },
        { $set: { schemaVersion: 1, kind, subject, round, at: this.#now() } },
        { upsert: true },
      );
    } catch (error) {
      if (!(error instanceof DuplicateError)) throw error;
    }
  }
}

/**
 * Earlier releases kept these in the bot's generic key/value store (`bot_state`), as
 * `organisers:reported:<broadcast id>` (a round number) and `organisers:pending:<user id>`
 * (untyped, at most 15 minutes old). The rounds move here, so no report is posted twice;
 * the pending confirmations are dropped (their organiser types the command again). Safe
 * to run at every start: afterwards there is nothing left to move.
 */
export async function moveLegacyValues(
  values: DocCollection,
  repository: OrganiserRepository,
): Promise<MigrationReport> {
  const legacy: Filter = { _id: { $gte: 'organisers:', $lt: 'organisers;' } };
  let moved = 0;
  for await (const raw of values.find(legacy)) {
    const broadcastId = raw._id.startsWith('organisers:reported:')
      ? raw._id.slice('organisers:reported:'.length)
      : null;
    if (broadcastId && typeof raw.value === 'number' && Number.isInteger(raw.value) && raw.value > 0) {
      await repository.recordNotice('report', broadcastId, raw.value);
    }
    moved += 1;
  }
  if (moved > 0) await values.deleteMany(legacy);
  return { collection: values.name, upgraded: moved };
}
