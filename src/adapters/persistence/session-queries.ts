/** The session queries run on every sign-in and every signed-in request: prepared. */
import type { Session } from '../../application/session-ports.ts';
import { AUDIT_COLUMNS } from './kysely-audit-log.ts';
import { USER_COLUMNS } from './kysely-user-repository.ts';
import { preparedQuery } from './prepared-query.ts';
import type { SessionRow } from './schema.ts';

/** The audit entry of a session's sign-in, beside the session's own columns. */
interface SignInAudit {
  auditId: string;
  auditAt: Date;
  auditActor: string;
  auditIp: string | null;
  auditUserAgent: string | null;
  auditDetail: string;
}

/** A bind or a link starts one (its own audit entry records it): prepared. */
export const startSession = preparedQuery(
  'weibo_auth_start_session',
  (db, session: Session & { refreshHash: string }) =>
    db.insertInto('sessions').values({
      id: session.id,
      user_id: session.userId,
      refresh_hash: session.refreshHash,
      created_at: session.createdAt,
      last_used_at: session.lastUsedAt,
      expires_at: session.expiresAt,
      user_agent: session.userAgent,
    }),
);

/** Every sign-in starts one, and records it in the audit log in the same statement: prepared. */
export const startRecordedSession = preparedQuery(
  'weibo_auth_start_recorded_session',
  (db, session: Session & { refreshHash: string } & SignInAudit) =>
    db
      .with('started', (db) =>
        db
          .insertInto('sessions')
          .values({
            id: session.id,
            user_id: session.userId,
            refresh_hash: session.refreshHash,
            created_at: session.createdAt,
            last_used_at: session.lastUsedAt,
            expires_at: session.expiresAt,
            user_agent: session.userAgent,
          })
          .returning(['id', 'user_id']),
      )
      .insertInto('audit_log')
      .columns(AUDIT_COLUMNS)
      .expression((db) =>
        db
          .selectFrom('started')
          .select(({ val, cast }) => [
            cast<string>(val(session.auditId), 'uuid').as('id'),
            cast<Date>(val(session.auditAt), 'timestamptz').as('at'),
            'started.user_id',
            val('signed_in').as('action'),
            val(session.auditActor).as('actor'),
            val(session.auditIp).as('ip'),
            val(session.auditUserAgent).as('user_agent'),
            'started.id',
            cast<string>(val(session.auditDetail), 'jsonb').as('detail'),
          ]),
      ),
);

/** The signed-in check of every authenticated request: prepared. */
export const signedInUser = preparedQuery(
  'weibo_auth_signed_in_user',
  (db, values: { userId: string; sessionId: string; now: Date }) =>
    db
      .selectFrom('users')
      .innerJoin('sessions', 'sessions.user_id', 'users.id')
      .leftJoin('weibo_accounts', 'weibo_accounts.user_id', 'users.id')
      .select(USER_COLUMNS)
      .select([
        'weibo_accounts.uid as weibo_uid',
        'weibo_accounts.bound_at as weibo_bound_at',
        'weibo_accounts.authorization_state as weibo_authorization',
        'weibo_accounts.access_token_expires_at as weibo_token_expires_at',
      ])
      .where('users.id', '=', values.userId)
      .where('sessions.id', '=', values.sessionId)
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', values.now),
);

/** A session's columns without its refresh hash, named: what the repository's reads return. */
export const SESSION_COLUMNS = [
  'sessions.id',
  'sessions.user_id',
  'sessions.created_at',
  'sessions.last_used_at',
  'sessions.expires_at',
  'sessions.user_agent',
] as const;

export type SessionRowPart = Omit<SessionRow, 'refresh_hash' | 'revoked_at'>;

export function toSession(row: SessionRowPart): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
  };
}
