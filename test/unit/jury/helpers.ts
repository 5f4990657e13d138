// Shared steps of the jury service tests: a posted dossier, the campaign closed (the
// dossiers final), a command in a juror's ballot room, and the HTML check.
import { expect } from 'vitest';
import { guardHtml } from '../../../bot/html-guard.ts';
import type { Harness } from './fixture.ts';

/** After the campaign's closing (2026-11-01): submitted dossiers are final. */
export const AFTER_CLOSING = '2026-11-02T08:00:00Z';

/** The HTML guard keeps it as it is (only allowed tags and attributes), up to how it writes quotes and <br>. */
export function expectSafe(html: string): void {
  const norm = (s: string) =>
    s
      .replace(/<br \/>/g, '<br>')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"');
  expect(norm(guardHtml(html))).toBe(norm(html));
}

/** A submitted candidacy handed to the jury, as the candidate's room does. */
export async function posted(h: Harness, name = 'Plouguerneau') {
  const candidacy = await h.submit(name);
  await h.service.syncDossiers(candidacy.id);
  return { candidacy, root: await h.rootOf(candidacy.id) };
}

/** The campaign closes: every submitted dossier becomes final and voting opens. */
export async function closeCampaign(h: Harness): Promise<void> {
  h.clock.set(AFTER_CLOSING);
  await h.service.syncDossiers();
}

/** `text` typed by `juror` in their own ballot room; returns the room. */
export async function inBallot(h: Harness, juror: string, text: string): Promise<string> {
  const room = await h.ballotRoomOf(juror);
  await h.say(juror, room, text);
  return room;
}

/** The plain text of the last message in a room. */
export function lastText(h: Harness, roomId: string): string {
  return h.messenger.last(roomId).message.plain;
}
