import type { Requester } from '../domain/audit.ts';
import { NotSignedIn } from '../domain/errors.ts';
import { userDeleted } from '../domain/events.ts';
import type { UserProfile } from '../domain/user-profile.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Credentials } from './credentials.ts';
import type { Clock, IdGenerator, UnitOfWork } from './ports.ts';
import type { OAuthProvider } from './weibo-ports.ts';

/**
 * Deletes the account (endpoint 9), confirmed by its password: the user, its Weibo account
 * and the event in one transaction; then the Weibo token is revoked, as a best effort.
 * The user's row lock puts concurrent deletes (and a link in flight) in line: the first
 * deletes, the others find no user and are not signed in any more.
 */
export class DeleteAccount {
  constructor(
    private readonly credentials: Credentials,
    private readonly unitOfWork: UnitOfWork,
    private readonly oauth: OAuthProvider,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async execute(
    user: UserProfile,
    input: { password?: unknown },
    requester: Requester = {},
  ): Promise<{ weiboUid: string | null; revoked: boolean }> {
    await this.credentials.confirm(user, input.password, requester);
    const trail = new AuditTrail(this.clock, this.ids);
    const account = await this.unitOfWork.transaction(async (repositories) => {
      const { users, weiboAccounts, outbox, audit } = repositories;
      if (!(await users.lock(user.id))) throw new NotSignedIn();
      const bound = await weiboAccounts.unbind(user.id);
      await users.delete(user.id);
      const event = userDeleted(this.ids.ordered(), this.clock.now(), user, bound?.uid ?? null);
      await outbox.add(event);
      const detail: Record<string, string> = bound ? { weiboUid: bound.uid } : {};
      await audit.record(trail.entry(user.id, 'deleted', requester, { detail }));
      return bound;
    });
    if (!account) return { weiboUid: null, revoked: false };
    const token = account.accessToken;
    const revoked =
      token !== null && (await this.oauth.revokeToken(token, { clientIp: requester.ip }));
    return { weiboUid: account.uid, revoked };
  }
}
