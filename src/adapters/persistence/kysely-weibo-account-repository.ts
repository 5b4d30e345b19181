import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  BindOutcome,
  MarkedLoss,
  SavedGrant,
  StoredWeiboAccount,
  TokenCipher,
  WeiboAccountRepository,
} from '../../application/ports.ts';
import {
  type AuthorizationLoss,
  authorizationAfter,
  type BoundWeiboAccount,
  type WeiboGrant,
} from '../../domain/weibo-account.ts';
import { guarded, isUniqueViolation } from './database-errors.ts';
import { joinedUserProfile } from './kysely-user-repository.ts';
import type { Database, WeiboAccountsTable } from './schema.ts';
import { saveGrant } from './weibo-account-queries.ts';

const ONE_ACCOUNT_PER_USER = 'weibo_accounts_user_id_key';
const BOUND_COLUMNS = [
  'uid',
  'access_token_encrypted',
  'access_token_expires_at',
  'bound_at',
  'authorization_state',
] as const;
/** Whoever holds it sweeps; a second sweeper stops instead of waiting (hashtext of a name). */
const EXPIRY_SWEEP_LOCK = sql`hashtext('weibo-auth:expiry-sweep')`;

type BoundRow = Pick<
  Selectable<WeiboAccountsTable>,
  'uid' | 'access_token_encrypted' | 'access_token_expires_at' | 'authorization_state'
> & { bound_at: Date };

/** Weibo accounts, their access tokens encrypted at rest with the uid as context. */
export class KyselyWeiboAccountRepository implements WeiboAccountRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cipher: TokenCipher,
  ) {}

  async saveGrant(grant: WeiboGrant): Promise<SavedGrant> {
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
      user: joinedUserProfile(row),
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

  async findByUid(uid: string): Promise<StoredWeiboAccount | null> {
    const row = await guarded(() =>
      this.db
        .selectFrom('weibo_accounts')
        .select(['uid', 'user_id', 'access_token_encrypted', 'authorization_state'])
        .where('uid', '=', uid)
        .executeTakeFirst(),
    );
    if (!row) return null;
    return {
      uid: row.uid,
      userId: row.user_id,
      accessToken: this.decrypt(row),
      authorization: row.authorization_state,
    };
  }

  /** The row lock orders concurrent marks, so only the first sees the account still valid. */
  async markLost(uid: string, loss: AuthorizationLoss): Promise<MarkedLoss | null> {
    const forget = loss === 'deauthorized';
    const row = await guarded(() =>
      this.db
        .with('before', (db) =>
          db
            .selectFrom('weibo_accounts')
            .select(['uid', 'authorization_state'])
            .where('uid', '=', uid)
            .forUpdate(),
        )
        .updateTable('weibo_accounts')
        .from('before')
        .set({
          authorization_state: authorizationAfter(loss),
          updated_at: sql<Date>`now()`,
          ...(forget && { access_token_encrypted: null, access_token_expires_at: null }),
        })
        .whereRef('weibo_accounts.uid', '=', 'before.uid')
        .returning(['weibo_accounts.user_id', 'before.authorization_state as before'])
        .executeTakeFirst(),
    );
    return row ? { userId: row.user_id, wasValid: row.before === 'valid' } : null;
  }

  async expireDue(
    now: Date,
    limit: number,
  ): Promise<Array<{ uid: string; userId: string | null }>> {
    const { rows } = await guarded(() =>
      sql<{
        sweeping: boolean;
      }>`select pg_try_advisory_xact_lock(${EXPIRY_SWEEP_LOCK}) as sweeping`.execute(this.db),
    );
    if (!rows[0]?.sweeping) return [];
    const expired = await guarded(() =>
      this.db
        .updateTable('weibo_accounts')
        .set({ authorization_state: 'expired', updated_at: sql<Date>`now()` })
        .where('uid', 'in', (db) =>
          db
            .selectFrom('weibo_accounts')
            .select('uid')
            .where('authorization_state', '=', 'valid')
            .where('access_token_expires_at', '<=', now)
            .orderBy('access_token_expires_at')
            .limit(limit)
            .forUpdate()
            .skipLocked(),
        )
        .returning(['uid', 'user_id'])
        .execute(),
    );
    return expired.map((row) => ({ uid: row.uid, userId: row.user_id }));
  }

  private toBound(row: BoundRow, userId: string): BoundWeiboAccount {
    return {
      uid: row.uid,
      userId,
      accessToken: this.decrypt(row),
      accessTokenExpiresAt: row.access_token_expires_at,
      boundAt: row.bound_at,
      authorization: row.authorization_state,
    };
  }

  private decrypt(row: { uid: string; access_token_encrypted: string | null }): string | null {
    const encrypted = row.access_token_encrypted;
    return encrypted === null ? null : this.cipher.decrypt(encrypted, row.uid);
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
