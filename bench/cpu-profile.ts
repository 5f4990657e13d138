// Summarises a V8 CPU profile (.cpuprofile, from node --cpu-prof): self time by
// module (our folders, each npm package, Node internals) and the busiest functions.
// Usage: node bench/cpu-profile.ts FILE.cpuprofile [--top 25] [--skip-s 15]
//   --skip-s: leave out the first seconds (start-up: module loading, type stripping).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { table } from './lib/stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, 'skip-s': { type: 'string', default: '0' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node bench/cpu-profile.ts FILE.cpuprofile [--top 25] [--skip-s 15]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
const skipUs = Number(values['skip-s']) * 1e6;
let elapsedUs = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  elapsedUs += delta;
  if (elapsedUs >= skipUs) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
});

export function moduleOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const ours = /\/(bot|flows|storage|locales|config)\//.exec(url);
  return ours ? `${ours[1]}/` : url;
}

const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const modules = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const mod = moduleOf(url, functionName);
  modules.set(mod, (modules.get(mod) ?? 0) + us);
  const where = url ? `${url.replace(/^.*\/(node_modules\/|main\/)/, '')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  functions.set(key, (functions.get(key) ?? 0) + us);
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1)} %`;
const busy = total - (modules.get('(idle)') ?? 0);
console.log(
  `${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled` +
    `${skipUs ? ` (first ${skipUs / 1e6} s left out)` : ''}, ${(busy / 1e6).toFixed(2)} s busy`,
);
console.log(
  table(
    ['module (self time)', 'ms', 'share'],
    [...modules.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, v]) => [k, (v / 1000).toFixed(0), pct(v)]),
  ),
);
console.log('');
console.log(
  table(
    ['function (self time)', 'ms', 'share'],
    [...functions.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(values.top))
      .map(([k, v]) => [k.slice(0, 110), (v / 1000).toFixed(0), pct(v)]),
  ),
);
