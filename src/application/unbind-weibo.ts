import type { AuditActor, Requester } from '../domain/audit.ts';
import { NoWeiboAccount } from '../domain/errors.ts';
import { userUnboundFromWeibo } from '../domain/events.ts';
import type { UserProfile } from '../domain/user-profile.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Clock, IdGenerator, UnitOfWork } from './ports.ts';
import type { OAuthProvider } from './weibo-ports.ts';

/**
 * Unbinds Weibo (endpoint 8): the stored account and its token are deleted with the event in
 * one transaction; then the token is revoked at Weibo, as a best effort. Of several unbinds
 * at once, only the one whose delete took the row writes the event and revokes.
 */
export class UnbindWeibo {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly oauth: OAuthProvider,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async execute(
    user: UserProfile,
    requester: Requester = {},
    /** Who unbinds: the user, or an administrator (`admin:<key id>`). */
    actor: AuditActor = 'user',
  ): Promise<{ weiboUid: string; revoked: boolean }> {
    const account = await this.unitOfWork.transaction(async ({ weiboAccounts, outbox, audit }) => {
      const bound = await weiboAccounts.unbind(user.id);
      if (!bound) throw new NoWeiboAccount();
      const by = actor === 'user' ? 'user' : 'admin';
      const event = userUnboundFromWeibo(this.ids.ordered(), this.clock.now(), user, bound.uid, by);
      await outbox.add(event);
      const trail = new AuditTrail(this.clock, this.ids);
      const detail = { weiboUid: bound.uid };
      await audit.record(trail.entry(user.id, 'unbound', requester, { actor, detail }));
      return bound;
    });
    // A removed app left no token to revoke.
    const token = account.accessToken;
    const revoked =
      token !== null && (await this.oauth.revokeToken(token, { clientIp: requester.ip }));
    return { weiboUid: account.uid, revoked };
  }
}
