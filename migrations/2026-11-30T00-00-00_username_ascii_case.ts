import { type Kysely, sql } from 'kysely';

// lower() follows the database's locale: under ICU tr-TR, lower('IVAN') is 'ıvan', so 'ivan'
// and 'IVAN' were both allowed. Usernames are ASCII: fold them with the C collation.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('users_username_ascii_lower_key')
    .on('users')
    .unique()
    .expression(sql`lower(username COLLATE "C")`)
    .execute();
  await db.schema.dropIndex('users_username_lower_key').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('users_username_lower_key')
    .on('users')
    .unique()
    .expression(sql`lower(username)`)
    .execute();
  await db.schema.dropIndex('users_username_ascii_lower_key').execute();
}
