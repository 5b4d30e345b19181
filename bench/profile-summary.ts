/**
 * Where a CPU profile's time went: `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`.
 * Prints self time by module (a package, a file of src/, node's internals, the garbage collector
 * and idle time) and by function, the busiest first. Profiles come from `npm run bench --
 * --profile` (bench/results/profiles/<timestamp>/<scenario>.cpuprofile).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

/** Self time of each node in microseconds, from the samples and their time deltas. */
const selfTime = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number;
  const delta = profile.timeDeltas[i + 1] ?? 0;
  selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
}
const total = [...selfTime.values()].reduce((sum, value) => sum + value, 0);

function moduleOf({ url, functionName }: ProfileNode['callFrame']): string {
  if (!url) return `(${functionName || 'native'})`;
  const packaged = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packaged) return packaged[1] as string;
  if (url.startsWith('node:')) return url;
  const dist = /\/dist\/(src\/.*)$/.exec(url);
  if (dist) return dist[1] as string;
  return path.basename(url);
}

function tally(key: (node: ProfileNode) => string): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const [id, micros] of selfTime) {
    const node = byId.get(id);
    if (!node) continue;
    const name = key(node);
    sums.set(name, (sums.get(name) ?? 0) + micros);
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
}

function print(title: string, rows: Array<[string, number]>) {
  console.log(`\n${title}`);
  for (const [name, micros] of rows) {
    const share = ((micros / total) * 100).toFixed(1).padStart(5);
    console.log(`${share} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
}

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print(
  'self time by module',
  tally((node) => moduleOf(node.callFrame)),
);
print(
  'self time by function',
  tally((node) => {
    const { functionName, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}  ${moduleOf(node.callFrame)}:${lineNumber + 1}`;
  }),
);
