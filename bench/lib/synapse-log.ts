// Where the homeserver spends its time, from Synapse's access log (.stack/logs/synapse.log
// of the local stack): each "Processed request" line gives the request's CPU time (ru=)
// and database time (db=). The benchmark notes the log's size before a phase and reads
// what was appended after it.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './stack.ts';

export const SYNAPSE_LOG = join(ROOT, '.stack', 'logs', 'synapse.log');

export interface RequestCost {
  who: string;
  request: string;
  count: number;
  cpuSeconds: number;
  dbSeconds: number;
  /** Waiting for a database connection (SQLite has one). */
  dbWaitSeconds: number;
  wallSeconds: number;
}

export function logOffset(): number {
  return existsSync(SYNAPSE_LOG) ? statSync(SYNAPSE_LOG).size : 0;
}

function readFrom(offset: number): string {
  if (!existsSync(SYNAPSE_LOG)) return '';
  const size = statSync(SYNAPSE_LOG).size;
  if (size <= offset) return ''; // rotated or nothing new
  const fd = openSync(SYNAPSE_LOG, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const LINE =
  /\{([^}]*)\} Processed request: ([\d.]+)sec\/[-\d.]+sec ru=\(([\d.]+)sec, ([\d.]+)sec\) db=\(([\d.]+)sec\/([\d.]+)sec\/\d+\) \S+ \S+ "(\w+) (\S+)/;

function requestKind(method: string, path: string): string {
  let p = path.split('?')[0] ?? path;
  p = p
    .replace(/^\/_matrix\/client\/(v3|r0)/, '')
    .replace(/\/rooms\/[^/]+/, '/rooms/…')
    .replace(/\/send\/([^/]+)\/.*/, '/send/$1')
    .replace(/\/(typing|receipt)\/.*/, '/$1');
  return `${method} ${p}`;
}

/**
 * Requests logged since `offset`, grouped by who made them (`classify` names a user id,
 * or returns undefined to leave the request out) and by kind of request.
 */
export function requestCosts(
  offset: number,
  classify: (userId: string) => string | undefined,
): RequestCost[] {
  const groups = new Map<string, RequestCost>();
  for (const line of readFrom(offset).split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    // "{@admin|@user}" when an admin acts as a user: the user is the second.
    const userId = (m[1] ?? '').split('|').at(-1) ?? '';
    const who = classify(userId);
    if (!who) continue;
    const request = requestKind(m[7] ?? '', m[8] ?? '');
    const key = `${who} ${request}`;
    const cost = groups.get(key) ?? {
      who,
      request,
      count: 0,
      cpuSeconds: 0,
      dbSeconds: 0,
      dbWaitSeconds: 0,
      wallSeconds: 0,
    };
    cost.count += 1;
    cost.cpuSeconds += Number(m[3]) + Number(m[4]);
    cost.dbSeconds += Number(m[6]);
    cost.dbWaitSeconds += Number(m[5]);
    cost.wallSeconds += Number(m[2]);
    groups.set(key, cost);
  }
  return [...groups.values()].sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}
