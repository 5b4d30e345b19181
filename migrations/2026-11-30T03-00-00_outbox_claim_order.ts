import { type Kysely, sql } from 'kysely';

// The relay claims `… where published_at is null … order by created_at limit n for update skip
// locked`. FOR UPDATE sits between the sort and the limit, so without an index in created_at
// order Postgres sorted the whole backlog (to disk at 100,000 rows) for every claim.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('outbox_unpublished_created_idx')
    .on('outbox')
    .column('created_at')
    .where(sql.ref('published_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('outbox_unpublished_created_idx').execute();
}
