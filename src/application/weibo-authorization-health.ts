import type { Requester } from '../domain/audit.ts';
import { weiboAuthorizationLost } from '../domain/events.ts';
import type { AuthorizationLoss } from '../domain/weibo-account.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Clock, IdGenerator, UnitOfWork } from './ports.ts';

const SWEEP_BATCH = 100;

/**
 * What the service does when a stored Weibo token stops working: the account is marked, and a
 * bound one's user hears of it through one WeiboAuthorizationLost event per loss (none again
 * until a sign-in makes it valid), recorded in the audit log. A removed app also takes the
 * token and every session.
 */
export class WeiboAuthorizationHealth {
  private readonly trail: AuditTrail;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.trail = new AuditTrail(clock, ids);
  }

  /** `requester`: who brought the news (Weibo's call, or a user's request that met the loss). */
  async lost(uid: string, loss: AuthorizationLoss, requester: Requester = {}): Promise<void> {
    await this.unitOfWork.transaction(async ({ weiboAccounts, sessions, outbox, audit }) => {
      const marked = await weiboAccounts.markLost(uid, loss);
      const userId = marked?.userId;
      if (!marked || !userId) return;
      const now = this.clock.now();
      // Weibo said so; a passed expiry the service found itself.
      const actor = loss === 'expired' ? 'system' : 'weibo';
      if (loss === 'deauthorized') {
        const detail = { sessions: 'all' };
        const ended = this.trail.entry(userId, 'session_ended', requester, { actor, detail });
        await sessions.revokeAll(userId, now, ended);
      }
      if (!marked.wasValid) return;
      const lost = { userId, weiboUid: uid };
      await outbox.add(weiboAuthorizationLost(this.ids.ordered(), now, lost, loss));
      const detail = { reason: loss, weiboUid: uid };
      const entry = this.trail.entry(userId, 'weibo_authorization_lost', requester, {
        actor,
        detail,
      });
      await audit.record(entry);
    });
  }

  /**
   * Marks every valid token past its expiry as expired, in bounded batches, one transaction
   * each; resolves how many. Stops at once when another instance is sweeping.
   */
  async sweepExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const swept = await this.unitOfWork.transaction(async ({ weiboAccounts, outbox, audit }) => {
        const now = this.clock.now();
        const expired = await weiboAccounts.expireDue(now, SWEEP_BATCH);
        for (const { uid, userId } of expired) {
          if (!userId) continue;
          const lost = { userId, weiboUid: uid };
          await outbox.add(weiboAuthorizationLost(this.ids.ordered(), now, lost, 'expired'));
          const detail = { reason: 'expired', weiboUid: uid };
          const entry = { actor: 'system' as const, detail };
          await audit.record(this.trail.entry(userId, 'weibo_authorization_lost', {}, entry));
        }
        return expired.length;
      });
      total += swept;
      if (swept < SWEEP_BATCH) return total;
    }
  }
}
