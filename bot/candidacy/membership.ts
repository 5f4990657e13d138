// People coming into and leaving a candidacy room. The room is invite-only: whoever leaves
// cannot come back alone, so they are told in their direct chat that nothing is lost and
// how to come back; whoever (re)joins is shown where the conversation is.
import { inspect } from '../../flows/conversation.ts';
import type { ReplyIntent } from '../../flows/intents.ts';
import { ONGOING, isReturn, returnReplies } from '../../flows/reach.ts';
import { translator } from '../../locales/i18n.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import type { BotContext } from '../context.ts';
import { escapeHtml } from '../html-guard.ts';
import type { RawEvent } from '../types.ts';
import type { CandidacyCatalog } from './catalog.ts';
import { readConversation } from './stored-conversation.ts';
import { flowCampaign } from './flow-campaign.ts';

export interface MembershipChange {
  roomId: string;
  event: RawEvent;
  candidacy: Candidacy;
  /** Whether the person whose membership changed is part of the candidacy. */
  member: boolean;
  /** That person's language. */
  lang: string;
}

/** `send`: the candidacy handler's way to send conversation replies (with quick replies). */
export async function onMembership(
  ctx: BotContext,
  catalog: CandidacyCatalog,
  change: MembershipChange,
  send: (replies: ReplyIntent[]) => Promise<void>,
): Promise<void> {
  if (change.event.content.membership === 'leave') await left(ctx, change);
  else await joined(catalog, change, send);
}

/** A member coming (back) in: everything is kept, and here is the question being asked. */
async function joined(
  catalog: CandidacyCatalog,
  { event, candidacy, member }: MembershipChange,
  send: (replies: ReplyIntent[]) => Promise<void>,
): Promise<void> {
  const stored = readConversation(candidacy.conversation);
  const returning = isReturn({
    membership: event.content.membership,
    previous: (event.unsigned?.prev_content as { membership?: unknown } | undefined)?.membership,
    isMember: member,
    // Judged by what was answered before this join: a join delivered again after a restart
    // (or handled after answers that followed it) is not a return.
    atOpening: !stored || !answeredBefore(candidacy, event.origin_server_ts),
  });
  if (!stored || !returning) return;
  const { questionnaire, campaign } = await catalog.settings(candidacy);
  const view = inspect({
    questionnaire,
    campaign: flowCampaign(campaign),
    snapshot: stored.flow,
  });
  const person = event.state_key ?? event.sender;
  const name = typeof event.content.displayname === 'string' ? event.content.displayname : person;
  await send(returnReplies(questionnaire, view, name));
}

function answeredBefore(candidacy: Candidacy, at: number): boolean {
  return Object.values(candidacy.answers).some((answer) => answer.at.getTime() < at);
}

/** A member who left (or declined the invitation) of their own accord, while the candidacy goes on. */
async function left(ctx: BotContext, { roomId, event, candidacy, member, lang }: MembershipChange) {
  const person = event.state_key ?? '';
  if (event.sender !== person || !member || !ONGOING.has(candidacy.status)) return;
  const dm = await ctx.storage.botState.directChatOf(person);
  if (!dm) return;
  const room = (await ctx.messenger.roomName(roomId)) ?? candidacy.collectivite?.name ?? '';
  const text = translator(lang, 'bot')('leftRoom', { room });
  await ctx.messenger.send(
    dm.roomId,
    { plain: text, html: escapeHtml(text) },
    { idempotencyKey: `left:${event.event_id}` },
  );
}
