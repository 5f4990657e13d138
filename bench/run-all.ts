// Runs every benchmark in turn and ends with one table of the headline figures, each
// with the command that reproduces it. Each benchmark starts and stops what it needs
// (bot, echo participant, people, databases) on the local stack, within its own budget.
//
// Usage: node bench/run-all.ts [--only latency,throughput,throughput-extras,scale,profile,send-cost,storage,jury] [--quick]
//   --quick: smaller runs (fewer samples, clients and candidacies), to check that all works.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStackEnv, NODE, ROOT } from './lib/stack.ts';
import { table, type Figure } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

interface Bench {
  name: string;
  script: string;
  args: string[];
  quickArgs: string[];
  /** For scripts that print no BENCH_FIGURES line: figures read from their text. */
  figuresFrom?: (output: string, command: string) => Figure[];
}

const BENCHES: Bench[] = [
  { name: 'latency', script: 'latency.ts', args: [], quickArgs: ['--samples', '60'] },
  {
    name: 'throughput',
    script: 'throughput.ts',
    args: [],
    quickArgs: ['--clients', '20', '--phase-s', '15', '--warmup-s', '4', '--rounds', '1'],
  },
  {
    // What the extras cost when they are never paused (the product's trade-off, measured).
    name: 'throughput-extras',
    script: 'throughput.ts',
    args: ['--extras', 'always'],
    quickArgs: [
      '--clients',
      '20',
      '--phase-s',
      '15',
      '--warmup-s',
      '4',
      '--rounds',
      '1',
      '--extras',
      'always',
    ],
  },
  {
    name: 'scale',
    script: 'scale.ts',
    args: [],
    quickArgs: ['--drafts', '2000', '--submitted', '200', '--active', '30'],
  },
  { name: 'profile', script: 'profile.ts', args: [], quickArgs: ['--samples', '20'] },
  { name: 'send-cost', script: 'send-cost.ts', args: [], quickArgs: ['--sends', '30'] },
  {
    name: 'storage',
    script: 'storage.ts',
    args: [],
    quickArgs: ['--candidacies', '30', '--answers', '10'],
    figuresFrom: (output, command) => {
      const alone = /one answer alone: (.*)/.exec(output)?.[1] ?? '?';
      const concurrent = /round trips per answer, concurrent: ([\d.]+)/.exec(output)?.[1] ?? '?';
      const times = /time per answer saved: (.*)/.exec(output)?.[1] ?? '?';
      return [
        {
          metric: 'Database round trips per answer saved (storage layer, driver count)',
          value: `${concurrent} concurrent; alone: ${alone}`,
          target: '<= 2',
          command,
        },
        {
          metric: 'Storage: time per answer saved, candidacies answering at once',
          value: times,
          target: '-',
          command,
        },
      ];
    },
  },
  {
    name: 'jury',
    script: 'jury.ts',
    args: [],
    quickArgs: ['--dossiers', '5'],
    figuresFrom: (output, command) => {
      const per = (name: string) =>
        new RegExp(`database commands per ${name}: ([\\d.]+)`).exec(output)?.[1] ?? '?';
      return [
        {
          metric: 'Jury: database commands per vote / abstention / recusal / note / question / tally',
          value: ['vote', 'abstention', 'recusal', 'note', 'question', 'tally'].map(per).join(' / '),
          target: 'vote <= 4, none > 6',
          command,
        },
      ];
    },
  },
];

function run(bench: Bench): Promise<{ code: number | null; output: string; seconds: number }> {
  const args = values.quick ? bench.quickArgs : bench.args;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(NODE, [join(ROOT, 'bench', bench.script), ...args], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      process.stdout.write(
        text
          .split('\n')
          .filter((line) => !line.startsWith('BENCH_FIGURES '))
          .join('\n'),
      );
    });
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    child.on('exit', (code) => {
      process.off('SIGINT', stop);
      resolve({ code, output, seconds: (performance.now() - started) / 1000 });
    });
  });
}

loadStackEnv();
const wanted = values.only?.split(',').map((s) => s.trim());
const selected = BENCHES.filter((b) => !wanted || wanted.includes(b.name));
const figures: Figure[] = [];
const durations: string[][] = [];
const loadBefore = loadavg();
for (const bench of selected) {
  console.log(`\n=== ${bench.name} ${'='.repeat(60)}`);
  const result = await run(bench);
  const args = values.quick ? bench.quickArgs : bench.args;
  const command = `node bench/${bench.script}${args.length ? ` ${args.join(' ')}` : ''}`;
  durations.push([
    bench.name,
    `${result.seconds.toFixed(0)} s`,
    result.code === 0 ? 'ok' : `exit ${result.code}`,
  ]);
  const line = result.output.split('\n').find((l) => l.startsWith('BENCH_FIGURES '));
  if (line) {
    // The scripts name their npm script; in a --quick run, the exact command is the one run here.
    const parsed = JSON.parse(line.slice('BENCH_FIGURES '.length)) as Figure[];
    figures.push(...parsed.map((f) => (values.quick ? { ...f, command } : f)));
  } else if (bench.figuresFrom && result.code === 0) {
    figures.push(...bench.figuresFrom(result.output, values.quick ? command : `npm run bench:${bench.name}`));
  } else {
    figures.push({ metric: `${bench.name}: no figures`, value: `exit ${result.code}`, target: '', command });
  }
}
const loadAfter = loadavg();
console.log(`\n=== summary ${'='.repeat(60)}`);
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadBefore[0]?.toFixed(1)} before, ` +
    `${loadAfter[0]?.toFixed(1)} after; node ${process.version}; ${new Date().toISOString()}`,
);
console.log(table(['benchmark', 'took', 'status'], durations));
console.log('');
console.log(
  table(
    ['figure', 'value', 'target', 'reproduce with'],
    figures.map((f) => [f.metric, f.value, f.target, f.command]),
  ),
);
