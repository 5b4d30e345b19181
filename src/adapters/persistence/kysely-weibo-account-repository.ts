import { type Kysely, type Selectable, sql } from 'kysely';
import type { BindOutcome, TokenCipher, WeiboAccountRepository } from '../../application/ports.ts';
import type { BoundWeiboAccount, WeiboAccount, WeiboGrant } from '../../domain/weibo-account.ts';
import { guarded, isUniqueViolation } from './database-errors.ts';
import { preparedQuery } from './prepared-query.ts';
import type { Database, WeiboAccountsTable } from './schema.ts';

const ONE_ACCOUNT_PER_USER = 'weibo_accounts_user_id_key';
const BOUND_COLUMNS = [
  'uid',
  'access_token_encrypted',
  'access_token_expires_at',
  'bound_at',
] as const;

type BoundRow = Pick<
  Selectable<WeiboAccountsTable>,
  'uid' | 'access_token_encrypted' | 'access_token_expires_at'
> & { bound_at: Date };

/** Every login stores the grant it got: prepared. */
const saveGrant = preparedQuery(
  'weibo_auth_save_grant',
  (db, values: { uid: string; encrypted: string; expiresAt: Date | null }) =>
    db
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
          updated_at: sql<Date>`now()`,
        }),
      )
      .returning(['user_id']),
);

/** Weibo accounts, their access tokens encrypted at rest with the uid as context. */
export class KyselyWeiboAccountRepository implements WeiboAccountRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cipher: TokenCipher,
  ) {}

  async saveGrant(grant: WeiboGrant): Promise<WeiboAccount> {
    const encrypted = this.cipher.encrypt(grant.accessToken, grant.uid);
    const { rows } = await guarded(() =>
      this.db.executeQuery(saveGrant({ uid: grant.uid, encrypted, expiresAt: grant.expiresAt })),
    );
    const row = rows[0];
    if (!row) throw new Error('the grant upsert returned no row');
    return {
      uid: grant.uid,
      userId: row.user_id,
      accessToken: grant.accessToken,
      accessTokenExpiresAt: grant.expiresAt,
    };
  }

  /**
   * The row lock decides between two links of one uid, the unique index on user_id between two
   * links of one user; a lost race on the index is the same outcome as a bound user.
   */
  async bindIfUnbound(uid: string, userId: string): Promise<BindOutcome> {
    if (await this.bindUnlessUserBound(uid, userId)) return 'bound';
    const account = await guarded(() =>
      this.db
        .selectFrom('weibo_accounts')
        .select('user_id')
        .where('uid', '=', uid)
        .executeTakeFirst(),
    );
    if (!account) return 'unknown-account';
    return account.user_id === null ? 'user-already-bound' : 'already-bound';
  }

  async findByUserId(userId: string): Promise<BoundWeiboAccount | null> {
    const row = await guarded(() =>
      this.db
        .selectFrom('weibo_accounts')
        .select(BOUND_COLUMNS)
        .where('user_id', '=', userId)
        // bindIfUnbound sets bound_at with user_id.
        .$narrowType<{ bound_at: Date }>()
        .executeTakeFirst(),
    );
    return row ? this.toBound(row, userId) : null;
  }

  /** One statement: of concurrent unbinds, the row lock lets only the first return the row. */
  async unbind(userId: string): Promise<BoundWeiboAccount | null> {
    const row = await guarded(() =>
      this.db
        .deleteFrom('weibo_accounts')
        .where('user_id', '=', userId)
        .returning(BOUND_COLUMNS)
        .$narrowType<{ bound_at: Date }>()
        .executeTakeFirst(),
    );
    return row ? this.toBound(row, userId) : null;
  }

  private toBound(row: BoundRow, userId: string): BoundWeiboAccount {
    return {
      uid: row.uid,
      userId,
      accessToken: this.cipher.decrypt(row.access_token_encrypted, row.uid),
      accessTokenExpiresAt: row.access_token_expires_at,
      boundAt: row.bound_at,
    };
  }

  private async bindUnlessUserBound(uid: string, userId: string): Promise<boolean> {
    const bind = () =>
      this.db
        .updateTable('weibo_accounts')
        .set({ user_id: userId, bound_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('uid', '=', uid)
        .where('user_id', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('weibo_accounts').select('uid').where('user_id', '=', userId))),
        )
        .executeTakeFirst();
    try {
      const result = await guarded(() => this.inSavepoint(bind));
      return result.numUpdatedRows === 1n;
    } catch (error) {
      if (isUniqueViolation(error, ONE_ACCOUNT_PER_USER)) return false;
      throw error;
    }
  }

  /**
   * In the caller's transaction, a lost race on the unique index would abort the whole of it;
   * rolled back to a savepoint, it stays usable after the outcome is returned.
   */
  private async inSavepoint<T>(statement: () => Promise<T>): Promise<T> {
    if (!this.db.isTransaction) return statement();
    await sql`savepoint bind_if_unbound`.execute(this.db);
    try {
      const result = await statement();
      await sql`release savepoint bind_if_unbound`.execute(this.db);
      return result;
    } catch (error) {
      if (isUniqueViolation(error, ONE_ACCOUNT_PER_USER)) {
        await sql`rollback to savepoint bind_if_unbound`.execute(this.db);
      }
      throw error;
    }
  }
}
