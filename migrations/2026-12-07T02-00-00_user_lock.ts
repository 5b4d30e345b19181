import { type Kysely, sql } from 'kysely';

// An administrator's lock: while set, every sign-in of the account is refused. Support finds
// accounts by email too, ignoring letter case.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('locked_at', 'timestamptz')
    .addColumn('lock_reason', 'text')
    .execute();
  await db.schema
    .createIndex('users_email_lower_idx')
    .on('users')
    .expression(sql`lower(email)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_email_lower_idx').execute();
  await db.schema.alterTable('users').dropColumn('locked_at').dropColumn('lock_reason').execute();
}
