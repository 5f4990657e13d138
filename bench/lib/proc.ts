// CPU time and resident memory of processes, read from /proc (Linux).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function sampleProcess(pid: number): ProcSample | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // After the name: state(3) ppid(4) ... utime(14) stime(15) ... rss pages(24); index = field - 3.
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks();
  const rssBytes = Number(fields[21]) * 4096;
  return { cpuSeconds, rssBytes };
}

/** A process and its direct children (PostgreSQL's backends), summed. */
export function sampleTree(pid: number): ProcSample | undefined {
  const own = sampleProcess(pid);
  if (!own) return undefined;
  let { cpuSeconds, rssBytes } = own;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) {
      const child = sampleProcess(Number(entry));
      if (child) {
        cpuSeconds += child.cpuSeconds;
        rssBytes += child.rssBytes;
      }
    }
  }
  return { cpuSeconds, rssBytes };
}

/** Share of the machine's cores busy over an interval, from the first line of /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
