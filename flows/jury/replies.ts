// What the jury's decisions ask the bot to say, and where: intents rendered by
// bot/jury/replies.ts from the dossier as stored after the change. Stored with the change
// (the record's outbox), so their shape is checked when read back.
import { z } from 'zod';

/** Where a reply goes: where the command was typed, the dossier's thread, the actor's ballot room, the organisers' room. */
export type Destination = 'here' | 'thread' | 'ownBallot' | 'organisers';

type Params = Record<string, string | number>;

/** A message to render (bot/render/jury.ts), from the dossier as stored after the change. */
export type JuryMessage =
  | { readonly kind: 'say'; readonly key: string; readonly params: Params }
  | { readonly kind: 'voteRecorded'; readonly level: number | null; readonly before: number | null }
  | { readonly kind: 'tally'; readonly complete: boolean; readonly ballots: boolean }
  | { readonly kind: 'notes' }
  /** `proposed`: whether the room's readers may see the level the jury proposed. */
  | { readonly kind: 'decision'; readonly proposed: boolean }
  | { readonly kind: 'help' };

export interface JuryReply {
  readonly to: Destination;
  readonly message: JuryMessage;
  /** Unique among one command's replies: part of the send's idempotency key. */
  readonly key: string;
}

const paramsSchema = z.record(z.string(), z.union([z.string(), z.number()]));

/** The stored shape of a reply (a record's outbox), checked when read back. */
export const juryReplySchema: z.ZodType<JuryReply> = z.object({
  to: z.enum(['here', 'thread', 'ownBallot', 'organisers']),
  key: z.string(),
  message: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('say'), key: z.string(), params: paramsSchema }),
    z.object({
      kind: z.literal('voteRecorded'),
      level: z.number().nullable(),
      before: z.number().nullable(),
    }),
    z.object({ kind: z.literal('tally'), complete: z.boolean(), ballots: z.boolean() }),
    z.object({ kind: z.literal('notes') }),
    z.object({ kind: z.literal('decision'), proposed: z.boolean() }),
    z.object({ kind: z.literal('help') }),
  ]),
});
