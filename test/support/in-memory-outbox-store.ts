import type {
  ClaimedMessage,
  OutboxMessage,
  OutboxStore,
  PublishOutcome,
} from '../../src/application/outbox-ports.ts';
import type { Clock } from '../../src/application/ports.ts';
import { FakeClock } from './fakes.ts';

export interface OutboxRow {
  message: OutboxMessage;
  createdAt: Date;
  publishedAt: Date | null;
  attempts: number;
  lastError: string | null;
  availableAt: Date;
}

/**
 * Outbox rows in memory, on a clock the test moves. A claim holds its rows until its work is
 * done, so a concurrent claim skips them, as FOR UPDATE SKIP LOCKED does.
 */
export class InMemoryOutboxStore implements OutboxStore {
  /** How many claims were made, including those that found nothing due. */
  claims = 0;
  private readonly rows = new Map<string, OutboxRow>();
  private readonly held = new Set<string>();

  constructor(readonly clock: Clock = new FakeClock()) {}

  /** A committed outbox row, as `Outbox.add` leaves it. */
  add(message: OutboxMessage, createdAt = this.clock.now()): void {
    this.rows.set(message.id, {
      message,
      createdAt,
      publishedAt: null,
      attempts: 0,
      lastError: null,
      availableAt: createdAt,
    });
  }

  row(id: string): Readonly<OutboxRow> {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no outbox row ${id}`);
    return row;
  }

  publishedIds(): string[] {
    return [...this.rows.values()].filter((row) => row.publishedAt).map((row) => row.message.id);
  }

  unpublishedIds(): string[] {
    return [...this.rows.values()].filter((row) => !row.publishedAt).map((row) => row.message.id);
  }

  async claim(
    limit: number,
    work: (messages: ClaimedMessage[]) => Promise<PublishOutcome>,
  ): Promise<number> {
    this.claims += 1;
    const now = this.clock.now();
    const due = [...this.rows.values()]
      .filter((row) => this.isDue(row, now))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit);
    if (due.length === 0) return 0;
    for (const row of due) this.held.add(row.message.id);
    try {
      const outcome = await work(due.map((row) => ({ ...row.message, attempts: row.attempts })));
      this.record(outcome);
    } finally {
      for (const row of due) this.held.delete(row.message.id);
    }
    return due.length;
  }

  async backlog(): Promise<{ unpublished: number; oldestAgeSeconds: number }> {
    const waiting = [...this.rows.values()].filter((row) => !row.publishedAt);
    const oldest = Math.min(...waiting.map((row) => row.createdAt.getTime()));
    return {
      unpublished: waiting.length,
      oldestAgeSeconds: waiting.length > 0 ? (this.clock.now().getTime() - oldest) / 1000 : 0,
    };
  }

  private isDue(row: OutboxRow, now: Date): boolean {
    const waiting = !row.publishedAt && row.availableAt.getTime() <= now.getTime();
    return waiting && !this.held.has(row.message.id);
  }

  private record(outcome: PublishOutcome): void {
    const now = this.clock.now();
    for (const id of outcome.published) {
      const row = this.rows.get(id);
      if (row) row.publishedAt = now;
    }
    for (const { id, error, retryAfterMs } of outcome.failed) {
      const row = this.rows.get(id);
      if (!row) continue;
      row.attempts += 1;
      row.lastError = error;
      row.availableAt = new Date(now.getTime() + retryAfterMs);
    }
  }
}
