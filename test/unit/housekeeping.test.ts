import { describe, expect, it } from 'vitest';
import { Housekeeping } from '../../src/application/housekeeping.ts';
import type { HousekeepingStore } from '../../src/application/ports.ts';
import { FakeClock } from '../support/fakes.ts';

/** A store holding `sessions` and `audit` rows to purge, recording each batch it was asked for. */
class CountingStore implements HousekeepingStore {
  readonly calls: Array<{ table: string; limit: number; dates: Date[] }> = [];
  constructor(
    private sessions: number,
    private audit: number,
  ) {}
  async purgeSessions(now: Date, endedBefore: Date, limit: number): Promise<number> {
    this.calls.push({ table: 'sessions', limit, dates: [now, endedBefore] });
    const purged = Math.min(limit, this.sessions);
    this.sessions -= purged;
    return purged;
  }
  async purgeAudit(before: Date, limit: number): Promise<number> {
    this.calls.push({ table: 'audit', limit, dates: [before] });
    const purged = Math.min(limit, this.audit);
    this.audit -= purged;
    return purged;
  }
}

describe('Housekeeping', () => {
  it('purges batch after batch until one comes back short, and reports each', async () => {
    const store = new CountingStore(2_500, 1_000);
    const reported: Array<[string, number]> = [];
    const run = new Housekeeping(store, new FakeClock(), 180, (table, rows) =>
      reported.push([table, rows]),
    ).run();
    await expect(run).resolves.toEqual({ sessions: 2_500, audit: 1_000 });
    expect(store.calls.map((call) => [call.table, call.limit])).toEqual([
      ['sessions', 1_000],
      ['sessions', 1_000],
      ['sessions', 1_000],
      ['audit', 1_000],
      ['audit', 1_000],
    ]);
    expect(reported).toEqual([
      ['sessions', 1_000],
      ['sessions', 1_000],
      ['sessions', 500],
      ['audit', 1_000],
    ]);
  });

  it('purges sessions that expired by now or ended over a day ago, and entries past retention', async () => {
    const clock = new FakeClock(new Date('2026-12-07T08:00:00Z'));
    const store = new CountingStore(0, 0);
    await new Housekeeping(store, clock, 30).run();
    expect(store.calls[0]?.dates).toEqual([
      new Date('2026-12-07T08:00:00Z'),
      new Date('2026-12-06T08:00:00Z'),
    ]);
    expect(store.calls[1]?.dates).toEqual([new Date('2026-11-07T08:00:00Z')]);
  });

  it('stops at once when another instance holds the purge: its store answers 0', async () => {
    const store = new CountingStore(0, 0);
    await expect(new Housekeeping(store, new FakeClock(), 180).run()).resolves.toEqual({
      sessions: 0,
      audit: 0,
    });
    expect(store.calls).toHaveLength(2);
  });
});
