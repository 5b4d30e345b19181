import { type Kysely, sql } from 'kysely';
import type { BindOutcome, TokenCipher, WeiboAccountRepository } from '../../application/ports.ts';
import type { WeiboAccount, WeiboGrant } from '../../domain/weibo-account.ts';
import { guarded } from './database-errors.ts';
import type { Database } from './schema.ts';

/** Weibo accounts, their access tokens encrypted at rest with the uid as context. */
export class KyselyWeiboAccountRepository implements WeiboAccountRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cipher: TokenCipher,
  ) {}

  async saveGrant(grant: WeiboGrant): Promise<WeiboAccount> {
    const encrypted = this.cipher.encrypt(grant.accessToken, grant.uid);
    const row = await guarded(() =>
      this.db
        .insertInto('weibo_accounts')
        .values({
          uid: grant.uid,
          access_token_encrypted: encrypted,
          access_token_expires_at: grant.expiresAt,
        })
        .onConflict((conflict) =>
          conflict.column('uid').doUpdateSet({
            access_token_encrypted: encrypted,
            access_token_expires_at: grant.expiresAt,
            updated_at: sql<Date>`now()`,
          }),
        )
        .returning(['user_id'])
        .executeTakeFirstOrThrow(),
    );
    return {
      uid: grant.uid,
      userId: row.user_id,
      accessToken: grant.accessToken,
      accessTokenExpiresAt: grant.expiresAt,
    };
  }

  async bindIfUnbound(uid: string, userId: string): Promise<BindOutcome> {
    const result = await guarded(() =>
      this.db
        .updateTable('weibo_accounts')
        .set({ user_id: userId, bound_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('uid', '=', uid)
        .where('user_id', 'is', null)
        .executeTakeFirst(),
    );
    if (result.numUpdatedRows === 1n) return 'bound';
    const existing = await guarded(() =>
      this.db.selectFrom('weibo_accounts').select('uid').where('uid', '=', uid).executeTakeFirst(),
    );
    return existing ? 'already-bound' : 'unknown-account';
  }
}
