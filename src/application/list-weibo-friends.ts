import { NoWeiboAccount } from '../domain/errors.ts';
import type { WeiboFriendsPage } from '../domain/weibo-account.ts';
import { WeiboAuthorizationExpired } from './errors.ts';
import type { Clock, OAuthProvider, WeiboAccountRepository } from './ports.ts';

/** A page of the user's Weibo friends who use this app, read with the stored token (endpoint 6). */
export class ListWeiboFriends {
  constructor(
    private readonly weiboAccounts: WeiboAccountRepository,
    private readonly oauth: OAuthProvider,
    private readonly clock: Clock,
  ) {}

  async execute(
    userId: string,
    page: { cursor: number; count: number },
  ): Promise<WeiboFriendsPage> {
    const account = await this.weiboAccounts.findByUserId(userId);
    if (!account) throw new NoWeiboAccount();
    const expiresAt = account.accessTokenExpiresAt;
    // Weibo would refuse it anyway: not asking spares a call and gives the same answer.
    if (expiresAt && expiresAt <= this.clock.now()) {
      throw new WeiboAuthorizationExpired('stored Weibo token expired');
    }
    return this.oauth.fetchFriends(account, page);
  }
}
