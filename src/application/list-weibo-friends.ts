import type { Requester } from '../domain/audit.ts';
import { NoWeiboAccount } from '../domain/errors.ts';
import type { WeiboFriendsPage } from '../domain/weibo-account.ts';
import { WeiboAuthorizationExpired } from './errors.ts';
import type { Clock, WeiboAccountRepository } from './ports.ts';
import type { WeiboAuthorizationHealth } from './weibo-authorization-health.ts';
import type { OAuthProvider } from './weibo-ports.ts';

/** A page of the user's Weibo friends who use this app, read with the stored token (endpoint 6). */
export class ListWeiboFriends {
  constructor(
    private readonly weiboAccounts: WeiboAccountRepository,
    private readonly oauth: OAuthProvider,
    private readonly clock: Clock,
    private readonly health: WeiboAuthorizationHealth,
  ) {}

  async execute(
    userId: string,
    page: { cursor: number; count: number },
    requester: Requester = {},
  ): Promise<WeiboFriendsPage> {
    const account = await this.weiboAccounts.findByUserId(userId);
    if (!account) throw new NoWeiboAccount();
    const { uid, accessToken, accessTokenExpiresAt: expiresAt, authorization } = account;
    // Weibo would refuse it anyway: not asking spares a call and gives the same answer.
    if (accessToken === null || authorization !== 'valid') {
      const reason = authorization === 'expired' ? 'expired' : 'revoked';
      throw new WeiboAuthorizationExpired('stored Weibo authorization lost', reason);
    }
    if (expiresAt && expiresAt <= this.clock.now()) {
      await this.health.lost(uid, 'expired', requester);
      throw new WeiboAuthorizationExpired('stored Weibo token expired', 'expired');
    }
    try {
      return await this.oauth.fetchFriends({ uid, accessToken }, page, { clientIp: requester.ip });
    } catch (error) {
      if (error instanceof WeiboAuthorizationExpired) {
        await this.health.lost(uid, error.reason, requester);
      }
      throw error;
    }
  }
}
