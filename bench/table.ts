import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** One measured figure; a ratio and a target when the issue sets one. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  p99Ms?: number;
  /** CPU time (user + system) the server process spent per counted answer. */
  cpuUs?: number;
  ratio?: { against: string; value: number };
  target?: { text: string; met: boolean };
}

export interface Machine {
  cpus: number;
  model: string;
  node: string;
  os: string;
}

export interface BenchResults {
  startedAt: string;
  wallSeconds: number;
  /** A profiled run's figures carry the profiler's overhead. */
  options: {
    seconds: number;
    smoke: boolean;
    profile: boolean;
    connections: number;
    only?: string[];
    /** The rows `--seed` put in the seeded database. */
    seed?: { users: number; sessions: number; audit: number };
  };
  machine: Machine;
  rows: BenchRow[];
}

export const RESULTS_DIR = path.resolve(import.meta.dirname, 'results');

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism(),
    model: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The row's ratio against another, `undefined` when either is missing or zero. */
export function ratio(value: number, against: BenchRow | undefined) {
  if (!against || against.value <= 0) return undefined;
  return { against: against.name, value: value / against.value };
}

/** A target "at least `minimum` times" a ratio, met or not. */
export function atLeast(ratioValue: number | undefined, minimum: number) {
  return {
    text: `>= ${minimum}x`,
    met: ratioValue !== undefined && ratioValue >= minimum,
  };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const HEADERS = [
  'scenario',
  'value',
  'unit',
  'p99 ms',
  'CPU µs',
  'ratio',
  'against',
  'target',
  'met',
];
/** The columns of figures, right-aligned. */
const NUMERIC = new Set([1, 3, 4, 5]);

function cells(row: BenchRow): string[] {
  return [
    row.name,
    formatNumber(row.value),
    row.unit,
    row.p99Ms === undefined ? '' : formatNumber(row.p99Ms),
    row.cpuUs === undefined ? '' : Math.round(row.cpuUs).toLocaleString('en-US'),
    row.ratio ? `${row.ratio.value.toFixed(2)}x` : '',
    row.ratio?.against ?? '',
    row.target?.text ?? '',
    row.target === undefined ? '' : row.target.met ? 'met' : 'NOT MET',
  ];
}

/** One aligned plain-text table: numbers right-aligned, text left-aligned. */
export function formatTable(rows: BenchRow[]): string {
  const table = [HEADERS, ...rows.map(cells)];
  const widths = HEADERS.map((_, column) =>
    Math.max(...table.map((line) => (line[column] ?? '').length)),
  );
  const lines = table.map((line) =>
    line
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return NUMERIC.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return lines.join('\n');
}

/** The same table in Markdown, for BENCHMARKS.md. */
export function formatMarkdown(rows: BenchRow[]): string {
  const escapePipes = (cell: string) => cell.replaceAll('|', '\\|');
  const lines = [
    `| ${HEADERS.join(' | ')} |`,
    `| ${HEADERS.map((_, column) => (NUMERIC.has(column) ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${cells(row).map(escapePipes).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/**
 * Writes bench/results/<ISO timestamp>.json and bench/results/latest.json; a smoke or profiled
 * run writes <timestamp>-smoke.json and latest-smoke.json (-profile, -partial for `--only`,
 * -seeded for `--seed`, which is also a full run and writes latest.json too), so that only a
 * full run replaces the latest table.
 */
export async function writeResults(results: BenchResults): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const { smoke, profile, only, seed } = results.options;
  const suffix = smoke
    ? '-smoke'
    : profile
      ? '-profile'
      : only
        ? '-partial'
        : seed
          ? '-seeded'
          : '';
  const stamp = results.startedAt.replaceAll(':', '-');
  // A seeded run is a full run too: its table is also the latest.
  const names = [`${stamp}${suffix}.json`, `latest${suffix}.json`];
  if (suffix === '-seeded') names.push('latest.json');
  const files = names.map((name) => path.join(RESULTS_DIR, name));
  for (const file of files) await writeFile(file, text);
  return files;
}
