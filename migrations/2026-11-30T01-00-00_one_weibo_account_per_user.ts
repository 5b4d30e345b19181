import { type Kysely, sql } from 'kysely';

// A user links at most one Weibo account. The database decides it, so two links of one user
// racing each other cannot both win. The unique index also serves lookups by user_id, which
// makes the plain one redundant.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('weibo_accounts_user_id_key')
    .on('weibo_accounts')
    .unique()
    .column('user_id')
    .where(sql.ref('user_id'), 'is not', null)
    .execute();
  await db.schema.dropIndex('weibo_accounts_user_id_idx').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('weibo_accounts_user_id_idx')
    .on('weibo_accounts')
    .column('user_id')
    .execute();
  await db.schema.dropIndex('weibo_accounts_user_id_key').execute();
}
