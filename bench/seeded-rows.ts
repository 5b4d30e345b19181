import { atLeast, type BenchRow } from './table.ts';

interface Figure {
  value: number;
  p99Ms?: number;
  cpuUs?: number;
}

/** The service's scenarios run again on the seeded database: key, name, unit. */
const SCENARIOS = [
  ['authorize', 'authorize, limits off', 'req/s'],
  ['authorizeLimited', 'authorize, limits on', 'req/s'],
  ['bind', 'bind', 'binds/s'],
  ['login', 'bound-user login', 'logins/s'],
  ['applogin', 'app login (endpoint 12)', 'logins/s'],
  ['read', 'signed-in read (users/me)', 'req/s'],
] as const;

const RATE_TARGET = 0.9;
const P99_TARGET = 2;
const DRAIN_TARGET_PER_SECOND = 10_000;

/** `1,000,000` users as `1m`, `100,000` as `100k`. */
export function seedLabel(users: number): string {
  if (users % 1_000_000 === 0) return `${users / 1_000_000}m users`;
  if (users % 1_000 === 0) return `${users / 1_000}k users`;
  return `${users} users`;
}

/** A latency on the seeded database, at most 2x the same on the fresh one. */
function latencyRow(name: string, seeded: number, fresh: number | undefined): BenchRow {
  const value = fresh ? seeded / fresh : undefined;
  return {
    name,
    value: seeded,
    unit: 'ms',
    ...(value !== undefined && { ratio: { against: 'the same on a fresh database', value } }),
    target: { text: `<= ${P99_TARGET}x`, met: value !== undefined && value <= P99_TARGET },
  };
}

/**
 * Each scenario on the seeded database against itself on the fresh one, in the same run: the
 * rate at least 0.9x and the p99 at most 2x; the outbox drain at least 10,000 events/s.
 */
export function seededRows(
  label: string,
  measured: Record<string, Figure | undefined>,
  prefix: string,
  outbox: { fresh: BenchRow[]; seeded: BenchRow[] },
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const [key, name, unit] of SCENARIOS) {
    const seeded = measured[`${prefix}${key}`];
    const fresh = measured[key];
    if (!seeded || !fresh) continue;
    const value = fresh.value > 0 ? seeded.value / fresh.value : undefined;
    rows.push({
      name: `${label}: ${name}`,
      value: seeded.value,
      unit,
      p99Ms: seeded.p99Ms,
      cpuUs: seeded.cpuUs,
      ...(value !== undefined && { ratio: { against: 'the same on a fresh database', value } }),
      target: atLeast(value, RATE_TARGET),
    });
    if (seeded.p99Ms !== undefined) {
      rows.push(latencyRow(`${label}: ${name}, p99`, seeded.p99Ms, fresh.p99Ms));
    }
  }
  for (const seeded of outbox.seeded) {
    const fresh = outbox.fresh.find((row) => row.name === seeded.name);
    const name = `${label}: ${seeded.name}`;
    if (seeded.unit === 'ms') {
      rows.push(latencyRow(name, seeded.value, fresh?.value));
      continue;
    }
    const value = fresh && fresh.value > 0 ? seeded.value / fresh.value : undefined;
    rows.push({
      name,
      value: seeded.value,
      unit: seeded.unit,
      ...(value !== undefined && { ratio: { against: 'the same on a fresh database', value } }),
      target: {
        text: `>= ${DRAIN_TARGET_PER_SECOND.toLocaleString('en-US')}/s`,
        met: seeded.value >= DRAIN_TARGET_PER_SECOND,
      },
    });
  }
  return rows;
}
