// What the bot posts in the organisers' room on its own: the welcome (once per room) and
// the delivery report of each broadcast round (once per round). Each is recorded in the
// organisers' own records after it is sent, with a stable idempotency key, so a crash in
// between never posts it twice.
import type { ReportInput } from './broadcaster.ts';
import { renderReport, renderWelcome } from '../render/organisers.ts';
import type { OrganiserService } from './service.ts';
import { candidacyName } from './store.ts';

/** The organisers' room gets the guide once, when the bot first uses it (created or configured). */
export async function postWelcome(service: OrganiserService): Promise<void> {
  const room = service.ctx.rooms.organisers;
  try {
    if ((await service.ctx.storage.organisers.noticeRound('welcome', room)) > 0) return;
    await service.ctx.messenger.send(
      room,
      { ...renderWelcome(service.defaultLanguage), mentions: [] },
      { idempotencyKey: `organisers:welcome:${room}` },
    );
    await service.ctx.storage.organisers.recordNotice('welcome', room, 1);
  } catch (error) {
    // Not worth stopping the bot: the next start or clock jump tries again.
    service.ctx.logger.warn({ err: error, roomId: room }, 'welcome to the organisers room not posted');
  }
}

export async function postReport(
  service: OrganiserService,
  { broadcast, summary, failures }: ReportInput,
): Promise<void> {
  // A closing without failures is already told by its notice in this room.
  if (broadcast.kind === 'closing' && failures.length === 0) return;
  const reported = await service.ctx.storage.organisers.noticeRound('report', broadcast.id);
  if (summary.round <= reported) return;
  const named = await Promise.all(
    failures.map(async (f) => {
      const c = await service.ctx.storage.candidacies.findByRoom(f.roomId);
      return {
        room: c ? `${candidacyName(c)} (${f.roomId})` : f.roomId,
        error: f.error,
        attempts: f.attempts,
      };
    }),
  );
  const lang = service.defaultLanguage;
  const message = renderReport({ id: broadcast.id, kind: broadcast.kind }, summary, named, lang);
  await service.ctx.messenger.send(
    service.ctx.rooms.organisers,
    { ...message, mentions: [] },
    { idempotencyKey: `organisers:report:${broadcast.id}:${summary.round}` },
  );
  await service.ctx.storage.organisers.recordNotice('report', broadcast.id, summary.round);
}
