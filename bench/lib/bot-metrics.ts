// Reads the bot's Prometheus metrics (/metrics on its health port).
import type { BotProcess } from '../../test/e2e/bot-process.ts';

export type MetricValues = Map<string, number>;

/** Every sample line, keyed by name plus labels as written (`tnl_events_handled_total{kind="candidacy"}`). */
export function parseMetrics(text: string): MetricValues {
  const values: MetricValues = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

export async function botMetrics(bot: BotProcess): Promise<MetricValues> {
  const { status, body } = await bot.health('/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  return parseMetrics(body);
}

export interface BotUsage {
  cpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  answersSaved: number;
  candidacyEvents: number;
  /** Quick-reply reactions, polls, typing and receipts left out while the homeserver was slow. */
  extrasSkipped: number;
}

export async function botUsage(bot: BotProcess): Promise<BotUsage> {
  const m = await botMetrics(bot);
  return {
    cpuSeconds: m.get('tnl_process_cpu_seconds_total') ?? NaN,
    rssBytes: m.get('tnl_process_resident_memory_bytes') ?? NaN,
    heapUsedBytes: m.get('tnl_nodejs_heap_size_used_bytes') ?? NaN,
    answersSaved: m.get('tnl_answers_saved_total') ?? NaN,
    candidacyEvents: m.get('tnl_events_handled_total{kind="candidacy"}') ?? 0,
    extrasSkipped: [...m].reduce((a, [k, v]) => (k.startsWith('tnl_extras_skipped_total') ? a + v : a), 0),
  };
}
