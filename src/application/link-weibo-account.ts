import type { Requester } from '../domain/audit.ts';
import { AccountAlreadyBound, BindTokenInvalid, WeiboAlreadyBound } from '../domain/errors.ts';
import { userBoundToWeibo } from '../domain/events.ts';
import { AuditTrail } from './audit-trail.ts';
import type { Credentials } from './credentials.ts';
import type { Clock, IdGenerator, TokenIssuer, UnitOfWork } from './ports.ts';
import type { Sessions, SignedIn } from './sessions.ts';

/**
 * Links Weibo to an existing account (endpoint 7): the callback's bind token, then the
 * account's credentials; both must still be unbound, decided in one transaction.
 */
export class LinkWeiboAccount {
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly credentials: Credentials,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly sessions: Sessions,
  ) {}

  async execute(
    input: { bind_token?: unknown; username?: unknown; password?: unknown },
    requester: Requester = {},
  ): Promise<SignedIn> {
    if (typeof input.bind_token !== 'string' || input.bind_token === '') {
      throw new BindTokenInvalid();
    }
    const weiboUid = await this.tokens.verifyBindToken(input.bind_token);
    const user = await this.credentials.verify(input, requester);
    await this.unitOfWork.transaction(async ({ weiboAccounts, outbox, audit }) => {
      if (await weiboAccounts.findByUserId(user.id)) throw new AccountAlreadyBound();
      const outcome = await weiboAccounts.bindIfUnbound(weiboUid, user.id);
      if (outcome === 'user-already-bound') throw new AccountAlreadyBound();
      if (outcome === 'already-bound') throw new WeiboAlreadyBound();
      if (outcome === 'unknown-account') throw new BindTokenInvalid();
      await outbox.add(userBoundToWeibo(this.ids.ordered(), this.clock.now(), user, weiboUid));
      const trail = new AuditTrail(this.clock, this.ids);
      await audit.record(trail.entry(user.id, 'linked', requester, { detail: { weiboUid } }));
    });
    return this.sessions.start(user, requester, null);
  }
}
