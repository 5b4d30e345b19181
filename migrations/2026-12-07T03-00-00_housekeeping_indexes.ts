import { type Kysely, sql } from 'kysely';

// Housekeeping finds sessions past their lifetime, and sessions ended long enough ago, by index.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('sessions_expires_at_idx')
    .on('sessions')
    .column('expires_at')
    .execute();
  await db.schema
    .createIndex('sessions_revoked_at_idx')
    .on('sessions')
    .column('revoked_at')
    .where(sql.ref('revoked_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_revoked_at_idx').execute();
  await db.schema.dropIndex('sessions_expires_at_idx').execute();
}
