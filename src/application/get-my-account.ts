import type { UserProfile } from '../domain/user-profile.ts';
import type { WeiboAccountRepository } from './ports.ts';

/** The signed-in user and the Weibo account bound to it, if any (endpoint 5). */
export class GetMyAccount {
  constructor(private readonly weiboAccounts: WeiboAccountRepository) {}

  async execute(user: UserProfile) {
    const account = await this.weiboAccounts.findByUserId(user.id);
    return { user, weibo: account && { uid: account.uid, boundAt: account.boundAt } };
  }
}
