import { type Kysely, sql } from 'kysely';
import type {
  ClaimedMessage,
  OutboxStore,
  PublishOutcome,
} from '../../application/outbox-ports.ts';
import type { Database } from './schema.ts';

/**
 * Claims with FOR UPDATE SKIP LOCKED, so relays running side by side never share a row, and
 * records the outcome in the claiming transaction: a crash before the commit leaves the rows
 * unpublished, to be claimed again.
 */
export class KyselyOutboxStore implements OutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claim(
    limit: number,
    work: (messages: ClaimedMessage[]) => Promise<PublishOutcome>,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('outbox')
        .select(['id', 'type', 'payload', 'attempts', 'traceparent', 'tracestate'])
        .where('published_at', 'is', null)
        .where('available_at', '<=', sql<Date>`now()`)
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const outcome = await work(
        rows.map((row) => ({
          id: row.id,
          type: row.type,
          envelope: row.payload,
          attempts: row.attempts,
          trace: traceOf(row),
        })),
      );
      if (outcome.published.length > 0) {
        await trx
          .updateTable('outbox')
          .set({ published_at: sql<Date>`now()` })
          .where('id', 'in', outcome.published)
          .execute();
      }
      for (const failure of outcome.failed) {
        await trx
          .updateTable('outbox')
          .set({
            attempts: sql<number>`attempts + 1`,
            last_error: failure.error,
            available_at: sql<Date>`now() + make_interval(secs => ${failure.retryAfterMs / 1000})`,
          })
          .where('id', '=', failure.id)
          .execute();
      }
      return rows.length;
    });
  }

  async backlog(): Promise<{ unpublished: number; oldestAgeSeconds: number }> {
    const { rows } = await sql<{ unpublished: number; oldest_age_seconds: number }>`
      select count(*)::int as unpublished,
             coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest_age_seconds
      from outbox where published_at is null`.execute(this.db);
    const [row] = rows;
    return { unpublished: row?.unpublished ?? 0, oldestAgeSeconds: row?.oldest_age_seconds ?? 0 };
  }
}

function traceOf(row: { traceparent: string | null; tracestate: string | null }) {
  if (row.traceparent === null) return null;
  return row.tracestate === null
    ? { traceparent: row.traceparent }
    : { traceparent: row.traceparent, tracestate: row.tracestate };
}
