import type {
  RotateOutcome,
  Session,
  SessionRepository,
  SignedInUser,
} from '../../application/session-ports.ts';
import type { AuditEntry } from '../../domain/audit.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/** Counts refreshes, reuse detections and sign-outs as the store decides them. */
export class MeteredSessionRepository implements SessionRepository {
  constructor(
    private readonly inner: SessionRepository,
    private readonly metrics: ServiceMetrics,
  ) {}

  start(session: Session & { refreshHash: string }, audit: AuditEntry | null): Promise<void> {
    return this.inner.start(session, audit);
  }

  async rotate(
    presentedHash: string,
    next: { refreshHash: string; now: Date; expiresAt: Date },
    reuse: (session: Session) => AuditEntry,
  ): Promise<RotateOutcome> {
    const rotated = await this.inner.rotate(presentedHash, next, reuse);
    if (rotated.outcome === 'rotated') this.metrics.countSessions('refreshed');
    if (rotated.outcome === 'reused') this.metrics.countSessions('reused');
    return rotated;
  }

  async revokeByRefreshHash(
    refreshHash: string,
    now: Date,
    audit: (session: Session) => AuditEntry,
  ): Promise<boolean> {
    const ended = await this.inner.revokeByRefreshHash(refreshHash, now, audit);
    if (ended) this.metrics.countSessions('revoked');
    return ended;
  }

  listLive(userId: string, now: Date): Promise<Session[]> {
    return this.inner.listLive(userId, now);
  }

  async revoke(userId: string, sessionId: string, now: Date, audit: AuditEntry): Promise<boolean> {
    const ended = await this.inner.revoke(userId, sessionId, now, audit);
    if (ended) this.metrics.countSessions('revoked');
    return ended;
  }

  async revokeAll(userId: string, now: Date, audit: AuditEntry): Promise<number> {
    const ended = await this.inner.revokeAll(userId, now, audit);
    this.metrics.countSessions('revoked', ended);
    return ended;
  }

  findSignedInUser(userId: string, sessionId: string, now: Date): Promise<SignedInUser | null> {
    return this.inner.findSignedInUser(userId, sessionId, now);
  }
}
