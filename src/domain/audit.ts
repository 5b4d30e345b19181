/** What the audit log records: security-relevant changes to an account. */
export type AuditAction =
  | 'signed_in'
  | 'sign_in_failed'
  | 'bound'
  | 'linked'
  | 'unbound'
  | 'deleted'
  | 'session_ended'
  | 'weibo_authorization_lost'
  | 'locked'
  | 'unlocked';

/** Who made the change: the user, Weibo, the service itself, or an administrator by key id. */
export type AuditActor = 'user' | 'weibo' | 'system' | `admin:${string}`;

/** Who asks, as the HTTP edge sees it; every field may be unknown. */
export interface Requester {
  /** The client's address, as the rate limiter sees it. */
  ip?: string;
  userAgent?: string;
  /** The session of a signed-in request. */
  sessionId?: string;
}

/**
 * One entry. `detail` holds names and ids only (a sign-in method, which sessions ended, a
 * Weibo uid): never a secret, token, password or code.
 */
export interface AuditEntry {
  id: string;
  at: Date;
  userId: string;
  action: AuditAction;
  actor: AuditActor;
  ip: string | null;
  userAgent: string | null;
  /** The session that made the change, or the one it started. */
  sessionId: string | null;
  detail: Record<string, string | number>;
}

const MAX_USER_AGENT = 512;

/** An entry of `action` on `userId` for `requester`, acting as `actor` (the user by default). */
export function auditEntry(
  base: { id: string; at: Date; userId: string; action: AuditAction },
  requester: Requester = {},
  extra: { actor?: AuditActor; sessionId?: string; detail?: AuditEntry['detail'] } = {},
): AuditEntry {
  return {
    ...base,
    actor: extra.actor ?? 'user',
    ip: requester.ip ?? null,
    userAgent: requester.userAgent?.slice(0, MAX_USER_AGENT) || null,
    sessionId: extra.sessionId ?? requester.sessionId ?? null,
    detail: extra.detail ?? {},
  };
}
