import { type Kysely, sql } from 'kysely';

// Whether a stored Weibo token still works. A user who removed the app leaves no token behind
// (its column becomes nullable); the sweep finds valid tokens past their expiry by the index.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('weibo_accounts')
    .addColumn('authorization_state', 'text', (col) =>
      col
        .notNull()
        .defaultTo('valid')
        .check(sql`authorization_state in ('valid', 'expired', 'revoked')`),
    )
    .execute();
  await db.schema
    .alterTable('weibo_accounts')
    .alterColumn('access_token_encrypted', (col) => col.dropNotNull())
    .execute();
  await db.schema
    .createIndex('weibo_accounts_valid_expiry_idx')
    .on('weibo_accounts')
    .column('access_token_expires_at')
    .where(sql.ref('authorization_state'), '=', 'valid')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('weibo_accounts_valid_expiry_idx').execute();
  await db.deleteFrom('weibo_accounts').where('access_token_encrypted', 'is', null).execute();
  await db.schema
    .alterTable('weibo_accounts')
    .alterColumn('access_token_encrypted', (col) => col.setNotNull())
    .execute();
  await db.schema.alterTable('weibo_accounts').dropColumn('authorization_state').execute();
}
