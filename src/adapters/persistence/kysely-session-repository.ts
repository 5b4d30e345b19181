import { type Kysely, sql } from 'kysely';
import type {
  RotateOutcome,
  Session,
  SessionRepository,
  SignedInUser,
} from '../../application/session-ports.ts';
import { guarded } from './database-errors.ts';
import { toUserProfile } from './kysely-user-repository.ts';
import type { Database, SessionRow } from './schema.ts';
import { signedInUser, startSession } from './session-queries.ts';

const SESSION_COLUMNS = [
  'sessions.id',
  'sessions.user_id',
  'sessions.created_at',
  'sessions.last_used_at',
  'sessions.expires_at',
  'sessions.user_agent',
] as const;

/** Ids from a request path or a token: one that is not a UUID names no session, and Postgres would refuse it. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sessions in Postgres; refresh tokens only as the hashes the caller gives. */
export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async start(session: Session & { refreshHash: string }): Promise<void> {
    await guarded(() => this.db.executeQuery(startSession(session)));
  }

  /**
   * Under READ COMMITTED, a second rotation of one token waits on the first's row lock, then
   * re-checks its `where` against the row the first committed and matches nothing. Its next
   * statement takes a new snapshot, in which the first's used hash is committed: 'reused'. One
   * statement for both would share the old snapshot and answer 'unknown'.
   */
  rotate(
    presentedHash: string,
    next: { refreshHash: string; now: Date; expiresAt: Date },
  ): Promise<RotateOutcome> {
    return guarded(() =>
      this.db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx): Promise<RotateOutcome> => {
          const rotated = await trx
            .updateTable('sessions')
            .set({
              refresh_hash: next.refreshHash,
              last_used_at: next.now,
              expires_at: next.expiresAt,
            })
            .where('refresh_hash', '=', presentedHash)
            .where('revoked_at', 'is', null)
            .where('expires_at', '>', next.now)
            .returning(SESSION_COLUMNS)
            .executeTakeFirst();
          if (rotated) {
            await trx
              .insertInto('session_used_refresh_hashes')
              .values({ hash: presentedHash, session_id: rotated.id })
              .execute();
            // The foreign key holds the user while this transaction holds its session.
            const user = await trx
              .selectFrom('users')
              .selectAll()
              .where('id', '=', rotated.user_id)
              .executeTakeFirstOrThrow();
            return { outcome: 'rotated', session: toSession(rotated), user: toUserProfile(user) };
          }
          const reused = await trx
            .updateTable('sessions')
            .from('session_used_refresh_hashes')
            .set({ revoked_at: sql<Date>`coalesce(sessions.revoked_at, ${next.now})` })
            .whereRef('session_used_refresh_hashes.session_id', '=', 'sessions.id')
            .where('session_used_refresh_hashes.hash', '=', presentedHash)
            .returning(SESSION_COLUMNS)
            .executeTakeFirst();
          return reused
            ? { outcome: 'reused', session: toSession(reused) }
            : { outcome: 'unknown' };
        }),
    );
  }

  async revokeByRefreshHash(refreshHash: string, now: Date): Promise<boolean> {
    const result = await guarded(() =>
      this.db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('revoked_at', 'is', null)
        .where((eb) =>
          eb.or([
            eb('refresh_hash', '=', refreshHash),
            eb(
              'id',
              '=',
              eb
                .selectFrom('session_used_refresh_hashes')
                .select('session_id')
                .where('hash', '=', refreshHash),
            ),
          ]),
        )
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  async listLive(userId: string, now: Date): Promise<Session[]> {
    const rows = await guarded(() =>
      this.db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute(),
    );
    return rows.map(toSession);
  }

  async revoke(userId: string, sessionId: string, now: Date): Promise<boolean> {
    if (!UUID.test(userId) || !UUID.test(sessionId)) return false;
    const result = await guarded(() =>
      this.db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id', '=', sessionId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows === 1n;
  }

  async revokeAll(userId: string, now: Date): Promise<number> {
    const result = await guarded(() =>
      this.db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  async findSignedInUser(
    userId: string,
    sessionId: string,
    now: Date,
  ): Promise<SignedInUser | null> {
    if (!UUID.test(userId) || !UUID.test(sessionId)) return null;
    const { rows } = await guarded(() =>
      this.db.executeQuery(signedInUser({ userId, sessionId, now })),
    );
    const row = rows[0];
    if (!row) return null;
    const {
      weibo_uid: uid,
      weibo_bound_at: boundAt,
      weibo_authorization: authorization,
      weibo_token_expires_at: tokenExpiresAt,
      ...user
    } = row;
    // bindIfUnbound sets bound_at with user_id: a row found by user_id has both.
    const weibo =
      uid && boundAt && authorization ? { uid, boundAt, authorization, tokenExpiresAt } : null;
    return { user: toUserProfile(user), weibo };
  }
}

function toSession(row: Omit<SessionRow, 'refresh_hash' | 'revoked_at'>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
  };
}
