import { weiboAuthorizationLost } from '../domain/events.ts';
import type { AuthorizationLoss } from '../domain/weibo-account.ts';
import type { Clock, IdGenerator, UnitOfWork } from './ports.ts';

const SWEEP_BATCH = 100;

/**
 * What the service does when a stored Weibo token stops working: the account is marked, and a
 * bound one's user hears of it through one WeiboAuthorizationLost event per loss (none again
 * until a sign-in makes it valid). A removed app also takes the token and every session.
 */
export class WeiboAuthorizationHealth {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async lost(uid: string, loss: AuthorizationLoss): Promise<void> {
    await this.unitOfWork.transaction(async ({ weiboAccounts, sessions, outbox }) => {
      const marked = await weiboAccounts.markLost(uid, loss);
      if (!marked?.userId) return;
      const now = this.clock.now();
      if (loss === 'deauthorized') await sessions.revokeAll(marked.userId, now);
      if (!marked.wasValid) return;
      await outbox.add(
        weiboAuthorizationLost(
          this.ids.uuid(),
          now,
          { userId: marked.userId, weiboUid: uid },
          loss,
        ),
      );
    });
  }

  /**
   * Marks every valid token past its expiry as expired, in bounded batches, one transaction
   * each; resolves how many. Stops at once when another instance is sweeping.
   */
  async sweepExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const swept = await this.unitOfWork.transaction(async ({ weiboAccounts, outbox }) => {
        const now = this.clock.now();
        const expired = await weiboAccounts.expireDue(now, SWEEP_BATCH);
        for (const { uid, userId } of expired) {
          if (!userId) continue;
          const lost = { userId, weiboUid: uid };
          await outbox.add(weiboAuthorizationLost(this.ids.uuid(), now, lost, 'expired'));
        }
        return expired.length;
      });
      total += swept;
      if (swept < SWEEP_BATCH) return total;
    }
  }
}
