import type { Clock, HousekeepingStore } from './ports.ts';

const BATCH = 1_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface Purged {
  sessions: number;
  audit: number;
}

/**
 * Deletes what nobody needs any more: sessions past their lifetime or ended more than a day
 * ago (a day leaves their end in sight of the session list's readers), and audit entries older
 * than the retention. Batch after batch until one comes back short.
 */
export class Housekeeping {
  constructor(
    private readonly store: HousekeepingStore,
    private readonly clock: Clock,
    private readonly auditRetentionDays: number,
    private readonly onPurged: (table: keyof Purged, rows: number) => void = () => {},
  ) {}

  async run(): Promise<Purged> {
    const now = this.clock.now();
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const retained = new Date(now.getTime() - this.auditRetentionDays * DAY_MS);
    const sessions = await this.drain('sessions', () =>
      this.store.purgeSessions(now, dayAgo, BATCH),
    );
    const audit = await this.drain('audit', () => this.store.purgeAudit(retained, BATCH));
    return { sessions, audit };
  }

  private async drain(table: keyof Purged, batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const purged = await batch();
      total += purged;
      if (purged > 0) this.onPurged(table, purged);
      if (purged < BATCH) return total;
    }
  }
}
