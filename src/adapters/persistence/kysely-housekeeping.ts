import { type Kysely, sql } from 'kysely';
import type { HousekeepingStore } from '../../application/ports.ts';
import { guarded } from './database-errors.ts';
import type { Database } from './schema.ts';

/** Whoever holds it purges; another instance finds it taken and stops (hashtext of a name). */
const HOUSEKEEPING_LOCK = sql`hashtext('weibo-auth:housekeeping')`;

/**
 * Deletes in batches by primary key, each batch a short transaction of its own that first
 * takes the housekeeping lock without waiting: a large backlog never holds a long lock, and
 * two instances never purge at once.
 */
export class KyselyHousekeeping implements HousekeepingStore {
  constructor(private readonly db: Kysely<Database>) {}

  purgeSessions(now: Date, endedBefore: Date, limit: number): Promise<number> {
    return this.exclusively(async (trx) => {
      const deleted = await trx
        .deleteFrom('sessions')
        .where('id', 'in', (db) =>
          db
            .selectFrom('sessions')
            .select('id')
            .where((eb) => eb.or([eb('expires_at', '<=', now), eb('revoked_at', '<', endedBefore)]))
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(deleted.numDeletedRows);
    });
  }

  purgeAudit(before: Date, limit: number): Promise<number> {
    return this.exclusively(async (trx) => {
      const deleted = await trx
        .deleteFrom('audit_log')
        .where('id', 'in', (db) =>
          db.selectFrom('audit_log').select('id').where('at', '<', before).limit(limit),
        )
        .executeTakeFirst();
      return Number(deleted.numDeletedRows);
    });
  }

  private exclusively(work: (trx: Kysely<Database>) => Promise<number>): Promise<number> {
    return guarded(() =>
      this.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ held: boolean }>`
          select pg_try_advisory_xact_lock(${HOUSEKEEPING_LOCK}) as held`.execute(trx);
        return rows[0]?.held ? work(trx) : 0;
      }),
    );
  }
}
