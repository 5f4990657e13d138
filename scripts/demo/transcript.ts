// A room's conversation as readable text: sender display names and plain bodies, threads
// shown under their first message, files by name. Read from the homeserver (the room's
// whole history), through the account of someone who is in the room.
import type { MatrixEvent, Person } from '../../test/e2e/people.ts';

export interface RoomTranscript {
  title: string;
  roomId: string;
  lines: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole history of a room, oldest first. */
export async function roomHistory(reader: Person, roomId: string): Promise<MatrixEvent[]> {
  const events: MatrixEvent[] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ dir: 'b', limit: '200' });
    if (from) query.set('from', from);
    const reply = await reader.request('GET', `/rooms/${encodeURIComponent(roomId)}/messages?${query}`);
    const chunk = isRecord(reply) && Array.isArray(reply.chunk) ? (reply.chunk as MatrixEvent[]) : [];
    events.push(...chunk);
    const end = isRecord(reply) && typeof reply.end === 'string' ? reply.end : undefined;
    if (!end || chunk.length === 0) break;
    from = end;
  }
  return events.reverse();
}

/** Display names of everyone who has been in the room (user id -> name). */
export async function roomNames(reader: Person, roomId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const reply = await reader.request('GET', `/rooms/${encodeURIComponent(roomId)}/members`);
  const chunk = isRecord(reply) && Array.isArray(reply.chunk) ? (reply.chunk as MatrixEvent[]) : [];
  for (const event of chunk) {
    const name = event.content.displayname;
    if (event.state_key && typeof name === 'string' && name) names.set(event.state_key, name);
  }
  return names;
}

function relation(event: MatrixEvent): { type?: string; eventId?: string } {
  const relates = event.content['m.relates_to'];
  if (!isRecord(relates)) return {};
  return {
    ...(typeof relates.rel_type === 'string' ? { type: relates.rel_type } : {}),
    ...(typeof relates.event_id === 'string' ? { eventId: relates.event_id } : {}),
  };
}

/** One message as text lines; undefined for what a reader would not see as a message. */
function messageText(event: MatrixEvent): string | undefined {
  if (event.type !== 'm.room.message') return undefined;
  const content = event.content;
  if (content.msgtype === 'm.file') return `[file: ${String(content.filename ?? content.body ?? '?')}]`;
  const rel = relation(event);
  if (rel.type === 'm.replace') {
    const replaced = isRecord(content['m.new_content']) ? content['m.new_content'].body : content.body;
    return `(edits an earlier message) ${String(replaced ?? '')}`;
  }
  return typeof content.body === 'string' ? content.body : undefined;
}

function indent(text: string, first: string, rest: string): string[] {
  const lines = text.split('\n');
  return lines.map((line, i) => `${i === 0 ? first : rest}${line}`.trimEnd());
}

/**
 * The room's messages as text. Thread replies are printed right under their thread's
 * first message, marked with "│". Reactions, polls and membership changes are left out.
 */
export async function transcribe(
  reader: Person,
  roomId: string,
  title: string,
  extraNames: Map<string, string> = new Map(),
): Promise<RoomTranscript> {
  const [events, names] = await Promise.all([roomHistory(reader, roomId), roomNames(reader, roomId)]);
  const nameOf = (userId: string) => names.get(userId) ?? extraNames.get(userId) ?? userId;
  const threads = new Map<string, MatrixEvent[]>();
  const main: MatrixEvent[] = [];
  for (const event of events) {
    if (messageText(event) === undefined) continue;
    const rel = relation(event);
    if (rel.type === 'm.thread' && rel.eventId) {
      const list = threads.get(rel.eventId) ?? [];
      list.push(event);
      threads.set(rel.eventId, list);
    } else main.push(event);
  }
  const lines: string[] = [];
  for (const event of main) {
    const who = `${nameOf(event.sender)}: `;
    lines.push(...indent(messageText(event) ?? '', who, '    '));
    const thread = threads.get(event.event_id);
    if (!thread) continue;
    lines.push(`  │ thread (${thread.length} message${thread.length === 1 ? '' : 's'}):`);
    for (const reply of thread) {
      lines.push(...indent(messageText(reply) ?? '', `  │ ${nameOf(reply.sender)}: `, '  │     '));
    }
  }
  return { title, roomId, lines };
}

export function formatTranscript(room: RoomTranscript): string {
  const bar = '═'.repeat(Math.max(8, 78 - room.title.length));
  return [`══ ${room.title} ${bar}`, ...room.lines, ''].join('\n');
}
