// The jury as people meet it in the e2e tests: each juror's ballot room (found where the
// bot records it), and reading what a person was shown in a room.
import type { Storage } from '../../storage/storage.ts';
import { answerAll, nextFromBot, openCandidacy } from './candidate.ts';
import { pollUntil } from './patience.ts';
import type { BotProcess } from './bot-process.ts';
import type { Person, ReceivedMessage } from './people.ts';

/** The juror's ballot room as the bot recorded it, once it exists. */
export async function ballotRoomOf(storage: Storage, juror: string, timeoutMs = 30_000): Promise<string> {
  const room = await pollUntil(
    () => storage.ballotRooms.get(juror),
    (value) => value !== null,
    { idleMs: timeoutMs, what: `the bot to record a ballot room for ${juror}` },
  );
  return room?.roomId ?? '';
}

/** A juror joins their ballot room and reads its welcome. */
export async function enterBallotRoom(
  storage: Storage,
  bot: BotProcess,
  person: Person,
): Promise<{ roomId: string; welcome: ReceivedMessage }> {
  const roomId = await ballotRoomOf(storage, person.userId);
  await person.acceptInvite({ roomId, timeoutMs: 30_000 });
  const welcome = await person.nextMessage(roomId, { from: bot.userId, timeoutMs: 30_000 });
  return { roomId, welcome };
}

/**
 * A candidate opens a candidacy, answers every question, submits and confirms; returns
 * the candidacy room and the bot's confirmation of the submission.
 */
export async function submitDossier(
  person: Person,
  bot: BotProcess,
): Promise<{ roomId: string; confirmation: ReceivedMessage }> {
  const conversation = await openCandidacy(person, bot);
  await answerAll(person, bot, conversation);
  await person.sendText(conversation.roomId, '!soumettre');
  await nextFromBot(person, bot, conversation.roomId);
  await person.sendText(conversation.roomId, '!oui');
  return { roomId: conversation.roomId, confirmation: await nextFromBot(person, bot, conversation.roomId) };
}

export const inThread = (rootId: string) => (m: ReceivedMessage) => {
  const rel = m.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
  return rel?.rel_type === 'm.thread' && rel.event_id === rootId;
};

/** What reveals how the jury voted on a dossier: a tally, a ranking line, a decision's proposed level. */
export const REVEALS =
  /Décompte de #|Tally of #|Niveau proposé|Proposed level|Classement au jugement|Majority-judgment ranking/;
