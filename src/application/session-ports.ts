import type { AuditEntry } from '../domain/audit.ts';
import type { UserProfile } from '../domain/user-profile.ts';
import type { WeiboBinding } from '../domain/weibo-account.ts';

/** A signed-in user, and the Weibo account bound to it if any. */
export interface SignedInUser {
  user: UserProfile;
  weibo: WeiboBinding | null;
}

/** A signed-in session: what a refresh token keeps alive. */
export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
}

export type RotateOutcome =
  | { outcome: 'rotated'; session: Session; user: UserProfile }
  | { outcome: 'reused'; session: Session }
  | { outcome: 'unknown' };

/**
 * Sessions and their refresh tokens, kept only as hashes. Rotation is decided in the store
 * (a conditional update or a row lock), so two concurrent refreshes of one token never both win.
 */
export interface SessionRepository {
  /**
   * Starts a session whose current refresh token hashes to `refreshHash`, recording `audit`
   * (its sign-in), when given, with it.
   */
  start(session: Session & { refreshHash: string }, audit: AuditEntry | null): Promise<void>;
  /**
   * Presents a refresh token. Its session's current one, live at `now`: replaced by `nextHash`,
   * the session's expiry moved to `expiresAt` ('rotated', with its user, read in the same
   * transaction: a reuse revoking the session right after cannot undo the answer). One used before: the whole session is
   * revoked ('reused'). Otherwise (unknown, expired, revoked): 'unknown'.
   */
  rotate(
    presentedHash: string,
    next: { refreshHash: string; now: Date; expiresAt: Date },
    /** The entry that records a reuse, for the session it revoked. */
    reuse: (session: Session) => AuditEntry,
  ): Promise<RotateOutcome>;
  /**
   * Ends the session of a refresh token (current or used); resolves whether a live session
   * ended (false for an unknown or already ended one). What ended is recorded with it.
   */
  revokeByRefreshHash(
    refreshHash: string,
    now: Date,
    audit: (session: Session) => AuditEntry,
  ): Promise<boolean>;
  /** The user's live sessions, newest first. */
  listLive(userId: string, now: Date): Promise<Session[]>;
  /** Ends one of the user's sessions, recorded with `audit`; false when it had no such one. */
  revoke(userId: string, sessionId: string, now: Date, audit: AuditEntry): Promise<boolean>;
  /** Ends every live session of the user, recorded with `audit` when any; resolves how many. */
  revokeAll(userId: string, now: Date, audit: AuditEntry): Promise<number>;
  /**
   * The user of a live session of theirs, with the Weibo account bound to it (uid and when,
   * never its token), in one query; null when the user or the session is gone or ended.
   */
  findSignedInUser(userId: string, sessionId: string, now: Date): Promise<SignedInUser | null>;
}
