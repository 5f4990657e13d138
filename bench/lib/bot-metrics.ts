// What the bot process used (CPU, memory, answers, extras left out), read from its Prometheus metrics.
import { metricTotal, type BotProcess } from '../../test/e2e/bot-process.ts';

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
  const m = await bot.metrics();
  return {
    cpuSeconds: m.get('tnl_process_cpu_seconds_total') ?? NaN,
    rssBytes: m.get('tnl_process_resident_memory_bytes') ?? NaN,
    heapUsedBytes: m.get('tnl_nodejs_heap_size_used_bytes') ?? NaN,
    answersSaved: m.get('tnl_answers_saved_total') ?? NaN,
    candidacyEvents: m.get('tnl_events_handled_total{kind="candidacy"}') ?? 0,
    extrasSkipped: metricTotal(m, 'tnl_extras_skipped_total'),
  };
}
