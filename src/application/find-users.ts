import type { UserProfile } from '../domain/user-profile.ts';
import type { WeiboBinding } from '../domain/weibo-account.ts';
import type { Clock, UserRepository, WeiboAccountRepository } from './ports.ts';
import type { SessionRepository } from './session-ports.ts';

/** An account as support sees it: the user, its Weibo binding and its live sessions. */
export interface AdminUserView {
  user: UserProfile;
  weibo: WeiboBinding | null;
  liveSessions: number;
}

export type UserSearch = { username: string } | { email: string } | { weiboUid: string };

/** The admin API's reads: find accounts by name, email or Weibo uid, or by id. */
export class FindUsers {
  constructor(
    private readonly users: UserRepository,
    private readonly weiboAccounts: WeiboAccountRepository,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
  ) {}

  async search(by: UserSearch): Promise<AdminUserView[]> {
    const found = await this.matching(by);
    return Promise.all(found.map((user) => this.view(user)));
  }

  /** Null for an unknown id. */
  async get(id: string): Promise<AdminUserView | null> {
    const user = await this.users.findById(id);
    return user && this.view(user);
  }

  private async matching(by: UserSearch): Promise<UserProfile[]> {
    if ('username' in by) {
      const user = await this.users.findByUsername(by.username);
      return user ? [user] : [];
    }
    if ('email' in by) return this.users.findByEmail(by.email);
    const account = await this.weiboAccounts.findByUid(by.weiboUid);
    const user = account?.userId ? await this.users.findById(account.userId) : null;
    return user ? [user] : [];
  }

  private async view(user: UserProfile): Promise<AdminUserView> {
    const [account, live] = await Promise.all([
      this.weiboAccounts.findByUserId(user.id),
      this.sessions.listLive(user.id, this.clock.now()),
    ]);
    const weibo = account && {
      uid: account.uid,
      boundAt: account.boundAt,
      authorization: account.authorization,
      tokenExpiresAt: account.accessTokenExpiresAt,
    };
    return { user, weibo, liveSessions: live.length };
  }
}
