import type { Kysely } from 'kysely';

// A session holds the hash of its current refresh token; the hashes it used before stay, so a
// token presented again is recognised as stolen and ends its session. Deleting a user ends its
// sessions, and a session's used hashes go with it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('refresh_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_used_at', 'timestamptz', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('sessions_user_id_created_at_idx')
    .on('sessions')
    .columns(['user_id', 'created_at desc'])
    .execute();

  await db.schema
    .createTable('session_used_refresh_hashes')
    .addColumn('hash', 'text', (col) => col.primaryKey())
    .addColumn('session_id', 'uuid', (col) =>
      col.notNull().references('sessions.id').onDelete('cascade'),
    )
    .execute();
  // Serves the cascade when a session goes with its user.
  await db.schema
    .createIndex('session_used_refresh_hashes_session_id_idx')
    .on('session_used_refresh_hashes')
    .column('session_id')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_used_refresh_hashes').execute();
  await db.schema.dropTable('sessions').execute();
}
