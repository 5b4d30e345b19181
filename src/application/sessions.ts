import { hash } from 'node:crypto';
import type { AuditAction, AuditActor, AuditEntry, Requester } from '../domain/audit.ts';
import { RefreshTokenReused, SessionExpired } from '../domain/errors.ts';
import { AuditTrail } from './audit-trail.ts';
import { newSecret } from './browser-binding.ts';
import type { Clock, IdGenerator, TokenIssuer } from './ports.ts';
import type { Session, SessionRepository } from './session-ports.ts';

/** What every answer that signs a user in carries. */
export interface SignedIn {
  username: string;
  token: string;
  refreshToken: string;
  /** Seconds the login token lives. */
  expiresIn: number;
}

export interface SessionLifetimes {
  loginTtlSeconds: number;
  refreshTtlSeconds: number;
}

const MAX_USER_AGENT = 512;

/** How a sign-in proved who it is, as the audit log names it. */
export type SignInMethod = 'weibo' | 'app' | 'password';

/**
 * Sessions behind login tokens (SPEC "Sessions and keys"): each sign-in starts one with an
 * opaque refresh token of 256 random bits, kept only as a hash; a refresh rotates it, and a
 * used one coming back revokes the whole session.
 */
export class Sessions {
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly lifetimes: SessionLifetimes,
  ) {}

  /**
   * Starts a session of a sign-in by `method`, recorded in the audit log with it; a bind or a
   * link (`method` null) records its own entry instead.
   */
  async start(
    user: { id: string; username: string },
    requester: Requester,
    method: SignInMethod | null,
  ): Promise<SignedIn> {
    const now = this.clock.now();
    const refreshToken = newSecret();
    const session: Session = {
      id: this.ids.ordered(),
      userId: user.id,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: this.refreshExpiry(now),
      userAgent: requester.userAgent?.slice(0, MAX_USER_AGENT) || null,
    };
    const audit =
      method &&
      this.audit(user.id, 'signed_in', requester, { sessionId: session.id, detail: { method } });
    await this.sessions.start({ ...session, refreshHash: hashOf(refreshToken) }, audit);
    return this.signedIn(user, session.id, refreshToken);
  }

  /** A new login token and a new refresh token; throws SessionExpired (RefreshTokenReused). */
  async refresh(refreshToken: unknown, requester: Requester = {}): Promise<SignedIn> {
    if (typeof refreshToken !== 'string' || refreshToken === '') throw new SessionExpired();
    const now = this.clock.now();
    const next = newSecret();
    const reuse = (session: Session) =>
      this.audit(session.userId, 'session_ended', requester, {
        actor: 'system',
        sessionId: session.id,
        detail: { sessions: 'reuse_detected' },
      });
    const rotated = await this.sessions.rotate(
      hashOf(refreshToken),
      { refreshHash: hashOf(next), now, expiresAt: this.refreshExpiry(now) },
      reuse,
    );
    if (rotated.outcome === 'reused') {
      throw new RefreshTokenReused(rotated.session.userId, rotated.session.id);
    }
    if (rotated.outcome === 'unknown') throw new SessionExpired();
    return this.signedIn(rotated.user, rotated.session.id, next);
  }

  /** Ends the session of a refresh token; nothing tells whether it was known. */
  async revoke(refreshToken: unknown, requester: Requester = {}): Promise<void> {
    if (typeof refreshToken !== 'string' || refreshToken === '') return;
    await this.sessions.revokeByRefreshHash(hashOf(refreshToken), this.clock.now(), (session) =>
      this.audit(session.userId, 'session_ended', requester, {
        sessionId: session.id,
        detail: { sessions: 'one' },
      }),
    );
  }

  list(userId: string): Promise<Session[]> {
    return this.sessions.listLive(userId, this.clock.now());
  }

  /** Ends one of the user's sessions; false when the user has no such live session. */
  end(userId: string, sessionId: string, requester: Requester = {}): Promise<boolean> {
    const audit = this.audit(userId, 'session_ended', requester, {
      detail: { sessions: 'one', session: sessionId },
    });
    return this.sessions.revoke(userId, sessionId, this.clock.now(), audit);
  }

  /** Ends every session of the user ("sign out everywhere"), by them or by `actor`. */
  endAll(userId: string, requester: Requester = {}, actor: AuditActor = 'user'): Promise<number> {
    const audit = this.audit(userId, 'session_ended', requester, {
      actor,
      detail: { sessions: 'all' },
    });
    return this.sessions.revokeAll(userId, this.clock.now(), audit);
  }

  private audit(
    userId: string,
    action: AuditAction,
    requester: Requester,
    extra: Parameters<AuditTrail['entry']>[3],
  ): AuditEntry {
    return new AuditTrail(this.clock, this.ids).entry(userId, action, requester, extra);
  }

  private async signedIn(
    user: { id: string; username: string },
    sessionId: string,
    refreshToken: string,
  ): Promise<SignedIn> {
    const token = await this.tokens.issueLoginToken({ ...user, sessionId });
    const { username } = user;
    return { username, token, refreshToken, expiresIn: this.lifetimes.loginTtlSeconds };
  }

  private refreshExpiry(now: Date): Date {
    return new Date(now.getTime() + this.lifetimes.refreshTtlSeconds * 1000);
  }
}

function hashOf(refreshToken: string): string {
  return hash('sha256', refreshToken, 'base64url');
}
