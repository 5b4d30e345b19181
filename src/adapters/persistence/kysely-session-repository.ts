import type { Kysely } from 'kysely';
import type {
  RotateOutcome,
  Session,
  SessionRepository,
  SignedInUser,
} from '../../application/session-ports.ts';
import type { AuditEntry } from '../../domain/audit.ts';
import { guarded } from './database-errors.ts';
import { auditRow, KyselyAuditLog } from './kysely-audit-log.ts';
import { toUserProfile } from './kysely-user-repository.ts';
import type { Database } from './schema.ts';
import {
  SESSION_COLUMNS,
  type SessionRowPart,
  signedInUser,
  startRecordedSession,
  startSession,
  toSession,
} from './session-queries.ts';

/** Ids from a request path or a token: one that is not a UUID names no session, and Postgres would refuse it. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sessions in Postgres; refresh tokens only as the hashes the caller gives. */
export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The session and the audit entry of its sign-in in one statement: one round trip. */
  async start(session: Session & { refreshHash: string }, audit: AuditEntry | null): Promise<void> {
    if (!audit) {
      await guarded(() => this.db.executeQuery(startSession(session)));
      return;
    }
    const entry = auditRow(audit);
    await guarded(() =>
      this.db.executeQuery(
        startRecordedSession({
          ...session,
          auditId: entry.id,
          auditAt: entry.at,
          auditActor: entry.actor,
          auditIp: entry.ip,
          auditUserAgent: entry.user_agent,
          auditDetail: entry.detail,
        }),
      ),
    );
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
    reuse: (session: Session) => AuditEntry,
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
          const revoked = await trx
            .updateTable('sessions')
            .from('session_used_refresh_hashes')
            .set({ revoked_at: next.now })
            .whereRef('session_used_refresh_hashes.session_id', '=', 'sessions.id')
            .where('session_used_refresh_hashes.hash', '=', presentedHash)
            .where('sessions.revoked_at', 'is', null)
            .returning(SESSION_COLUMNS)
            .executeTakeFirst();
          // Only the presentation that ended the session records it.
          if (revoked) await new KyselyAuditLog(trx).record(reuse(toSession(revoked)));
          const reused =
            revoked ??
            (await trx
              .selectFrom('sessions')
              .innerJoin('session_used_refresh_hashes', 'session_id', 'sessions.id')
              .select(SESSION_COLUMNS)
              .where('session_used_refresh_hashes.hash', '=', presentedHash)
              .executeTakeFirst());
          return reused
            ? { outcome: 'reused', session: toSession(reused) }
            : { outcome: 'unknown' };
        }),
    );
  }

  async revokeByRefreshHash(
    refreshHash: string,
    now: Date,
    audit: (session: Session) => AuditEntry,
  ): Promise<boolean> {
    const ended = await this.endRecorded(
      (db) =>
        db
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
          .returning(SESSION_COLUMNS)
          .execute(),
      (rows) => rows[0] && audit(toSession(rows[0])),
    );
    return ended > 0;
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

  async revoke(userId: string, sessionId: string, now: Date, audit: AuditEntry): Promise<boolean> {
    if (!UUID.test(userId) || !UUID.test(sessionId)) return false;
    const ended = await this.endRecorded(
      (db) =>
        db
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('id', '=', sessionId)
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .returning(SESSION_COLUMNS)
          .execute(),
      () => audit,
    );
    return ended === 1;
  }

  async revokeAll(userId: string, now: Date, audit: AuditEntry): Promise<number> {
    return this.endRecorded(
      (db) =>
        db
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .returning(SESSION_COLUMNS)
          .execute(),
      (rows) => ({ ...audit, detail: { ...audit.detail, count: rows.length } }),
    );
  }

  /**
   * Ends sessions and, when any ended, records the entry `audit` makes of them, in one
   * transaction (the caller's, when this repository runs in one); resolves how many ended.
   */
  private async endRecorded(
    end: (db: Kysely<Database>) => Promise<SessionRowPart[]>,
    audit: (rows: SessionRowPart[]) => AuditEntry | undefined,
  ): Promise<number> {
    const work = async (db: Kysely<Database>) => {
      const ended = await end(db);
      const entry = ended.length > 0 ? audit(ended) : undefined;
      if (entry) await new KyselyAuditLog(db).record(entry);
      return ended.length;
    };
    return guarded(() =>
      this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work),
    );
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
