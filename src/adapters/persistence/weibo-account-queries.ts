/** The Weibo account query run on every Weibo sign-in: prepared. */
import { sql } from 'kysely';
import { USER_COLUMNS } from './kysely-user-repository.ts';
import { preparedQuery } from './prepared-query.ts';

/**
 * Every login stores the grant it got and reads the bound user with it, in one prepared
 * statement: the upsert in a CTE, its `user_id` joined to `users` (by its primary key).
 */
export const saveGrant = preparedQuery(
  'weibo_auth_save_grant',
  (db, values: { uid: string; encrypted: string; expiresAt: Date | null }) =>
    db
      .with('saved', (saving) =>
        saving
          .insertInto('weibo_accounts')
          .values({
            uid: values.uid,
            access_token_encrypted: values.encrypted,
            access_token_expires_at: values.expiresAt,
          })
          .onConflict((conflict) =>
            conflict.column('uid').doUpdateSet({
              access_token_encrypted: values.encrypted,
              access_token_expires_at: values.expiresAt,
              authorization_state: 'valid',
              updated_at: sql<Date>`now()`,
            }),
          )
          .returning(['user_id']),
      )
      .selectFrom('saved')
      .leftJoin('users', 'users.id', 'saved.user_id')
      .select(['saved.user_id', ...USER_COLUMNS]),
);
