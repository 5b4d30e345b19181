import { describe, expect, it } from 'vitest';
import { summarisePlans } from '../../bench/plans.ts';
import { parseSeed } from '../../bench/seed.ts';
import { seededRows, seedLabel } from '../../bench/seeded-rows.ts';

/** A notice as auto_explain sends it with log_format=json. */
const notice = (ms: number, query: string, plan: object) =>
  `duration: ${ms} ms  plan:\n${JSON.stringify({ 'Query Text': query, Plan: plan }, null, 2)}`;

describe('--seed sizes', () => {
  it('reads 1m, 100k and plain numbers, ten sessions per user', () => {
    expect(parseSeed('1m')).toEqual({
      users: 1_000_000,
      sessions: 10_000_000,
      audit: 11_000_000,
      usedRefreshHashes: 2_000_000,
      publishedEvents: 1_000_000,
    });
    expect(parseSeed('100K').users).toBe(100_000);
    expect(parseSeed('2500').users).toBe(2_500);
    expect(seedLabel(1_000_000)).toBe('1m users');
    expect(seedLabel(100_000)).toBe('100k users');
  });

  it('refuses what it cannot seed', () => {
    for (const text of ['', 'lots', '999', '11m', '1g', '-1m']) {
      expect(() => parseSeed(text), text).toThrow(/--seed takes/);
    }
  });
});

describe('plans of the seeded database', () => {
  it('groups runs of one statement and names each access path', () => {
    const byIndex = {
      'Node Type': 'Index Scan',
      'Relation Name': 'sessions',
      'Index Name': 'sessions_pkey',
      'Shared Hit Blocks': 4,
      'Shared Read Blocks': 1,
    };
    const plans = summarisePlans([
      notice(0.2, 'select * from sessions\n  where id = $1', byIndex),
      notice(0.4, 'select * from sessions where id = $1', { ...byIndex, 'Shared Read Blocks': 3 }),
      notice(0.1, 'select 1 from users where email = $1', {
        'Node Type': 'Bitmap Heap Scan',
        'Relation Name': 'users',
        Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'users_email_lower_idx' }],
      }),
      'some other notice',
    ]);
    expect(plans).toEqual([
      {
        query: 'select * from sessions where id = $1',
        calls: 2,
        meanMs: expect.closeTo(0.3, 6),
        maxMs: 0.4,
        hitBlocks: 4,
        readBlocks: 2,
        access: ['Index Scan using sessions_pkey on sessions'],
        seqScans: [],
      },
      expect.objectContaining({
        access: ['Bitmap Heap Scan on users', 'Bitmap Index Scan using users_email_lower_idx'],
        seqScans: [],
      }),
    ]);
  });

  it('finds a sequential scan of a seeded table, however deep, and not of a small one', () => {
    const [plan] = summarisePlans([
      notice(9, 'select … from audit_log join kysely_lock …', {
        'Node Type': 'Hash Join',
        Plans: [
          { 'Node Type': 'Seq Scan', 'Relation Name': 'audit_log' },
          {
            'Node Type': 'Hash',
            Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'pg_class' }],
          },
        ],
      }),
    ]);
    expect(plan?.seqScans).toEqual(['audit_log']);
  });
});

describe('seeded against fresh', () => {
  const fresh = { value: 1_000, p99Ms: 10 };
  it('holds each scenario to 0.9x of its rate and 2x of its p99 on the fresh database', () => {
    const rows = seededRows(
      '1m users',
      {
        login: fresh,
        'seeded:login': { value: 950, p99Ms: 25 },
        read: fresh,
        'seeded:read': { value: 850, p99Ms: 12 },
      },
      'seeded:',
      { fresh: [], seeded: [] },
    );
    const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(byName['1m users: bound-user login']).toMatchObject({
      value: 950,
      ratio: { value: 0.95 },
      target: { text: '>= 0.9x', met: true },
    });
    expect(byName['1m users: bound-user login, p99']).toMatchObject({
      ratio: { value: 2.5 },
      target: { text: '<= 2x', met: false },
    });
    expect(byName['1m users: signed-in read (users/me)']?.target?.met).toBe(false);
    expect(byName['1m users: signed-in read (users/me), p99']?.target?.met).toBe(true);
    // A scenario missing from either pass has no row, so no verdict.
    expect(rows).toHaveLength(4);
  });

  it('holds the seeded outbox drain to 10,000 events/s and its latencies to 2x', () => {
    const drain = 'Outbox: drain a backlog of 100,000 rows to one queue';
    const p99 = 'Outbox: commit-to-enqueue at a steady 500 binds/s, p99';
    const rows = seededRows('1m users', {}, 'seeded:', {
      fresh: [
        { name: drain, value: 16_000, unit: 'events/s' },
        { name: p99, value: 8, unit: 'ms' },
      ],
      seeded: [
        { name: drain, value: 9_000, unit: 'events/s' },
        { name: p99, value: 12, unit: 'ms' },
      ],
    });
    expect(rows[0]).toMatchObject({
      name: `1m users: ${drain}`,
      target: { text: '>= 10,000/s', met: false },
    });
    expect(rows[1]).toMatchObject({ ratio: { value: 1.5 }, target: { met: true } });
  });
});
