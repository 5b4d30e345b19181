import type { AuditActor, Requester } from '../domain/audit.ts';
import { UserNotFound } from '../domain/errors.ts';
import { userLocked, userUnlocked } from '../domain/events.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Clock, IdGenerator, UnitOfWork } from './ports.ts';

/**
 * An administrator's lock of an account, and its lifting. A lock ends every session at once,
 * in the same transaction (their refresh tokens are then refused), and every sign-in is
 * refused while it holds. A call that changes nothing writes no event and no audit entry.
 */
export class LockUser {
  private readonly trail: AuditTrail;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.trail = new AuditTrail(clock, ids);
  }

  /** Throws UserNotFound; resolves whether the account was locked by this call. */
  lock(userId: string, reason: string, actor: AuditActor, requester: Requester): Promise<boolean> {
    return this.change(userId, { reason }, actor, requester);
  }

  unlock(userId: string, actor: AuditActor, requester: Requester): Promise<boolean> {
    return this.change(userId, null, actor, requester);
  }

  private change(
    userId: string,
    lock: { reason: string } | null,
    actor: AuditActor,
    requester: Requester,
  ): Promise<boolean> {
    return this.unitOfWork.transaction(async ({ users, sessions, outbox, audit }) => {
      // The row lock orders this with a deletion or another lock of the same account.
      if (!(await users.lock(userId))) throw new UserNotFound();
      const user = await users.findById(userId);
      if (!user) throw new UserNotFound();
      const now = this.clock.now();
      const changed = await users.setLock(userId, lock && { at: now, reason: lock.reason });
      if (!changed) return false;
      if (lock) {
        const detail = { sessions: 'all' };
        const ended = this.trail.entry(userId, 'session_ended', requester, { actor, detail });
        await sessions.revokeAll(userId, now, ended);
        await outbox.add(userLocked(this.ids.ordered(), now, user));
      } else {
        await outbox.add(userUnlocked(this.ids.ordered(), now, user));
      }
      const action = lock ? 'locked' : 'unlocked';
      const detail: Record<string, string> = lock ? { reason: lock.reason } : {};
      await audit.record(this.trail.entry(userId, action, requester, { actor, detail }));
      return true;
    });
  }
}
