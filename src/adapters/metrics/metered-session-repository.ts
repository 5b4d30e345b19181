import type {
  RotateOutcome,
  Session,
  SessionRepository,
  SignedInUser,
} from '../../application/session-ports.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/** Counts refreshes, reuse detections and sign-outs as the store decides them. */
export class MeteredSessionRepository implements SessionRepository {
  constructor(
    private readonly inner: SessionRepository,
    private readonly metrics: ServiceMetrics,
  ) {}

  start(session: Session & { refreshHash: string }): Promise<void> {
    return this.inner.start(session);
  }

  async rotate(
    presentedHash: string,
    next: { refreshHash: string; now: Date; expiresAt: Date },
  ): Promise<RotateOutcome> {
    const rotated = await this.inner.rotate(presentedHash, next);
    if (rotated.outcome === 'rotated') this.metrics.countSessions('refreshed');
    if (rotated.outcome === 'reused') this.metrics.countSessions('reused');
    return rotated;
  }

  async revokeByRefreshHash(refreshHash: string, now: Date): Promise<boolean> {
    const ended = await this.inner.revokeByRefreshHash(refreshHash, now);
    if (ended) this.metrics.countSessions('revoked');
    return ended;
  }

  listLive(userId: string, now: Date): Promise<Session[]> {
    return this.inner.listLive(userId, now);
  }

  async revoke(userId: string, sessionId: string, now: Date): Promise<boolean> {
    const ended = await this.inner.revoke(userId, sessionId, now);
    if (ended) this.metrics.countSessions('revoked');
    return ended;
  }

  async revokeAll(userId: string, now: Date): Promise<number> {
    const ended = await this.inner.revokeAll(userId, now);
    this.metrics.countSessions('revoked', ended);
    return ended;
  }

  findSignedInUser(userId: string, sessionId: string, now: Date): Promise<SignedInUser | null> {
    return this.inner.findSignedInUser(userId, sessionId, now);
  }
}
