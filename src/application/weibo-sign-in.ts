import type { Requester } from '../domain/audit.ts';
import { refuseLocked } from '../domain/user-profile.ts';
import { isBound, type WeiboGrant, type WeiboProfile } from '../domain/weibo-account.ts';
import type { TokenIssuer, WeiboAccountRepository } from './ports.ts';
import type { Sessions, SignedIn } from './sessions.ts';
import type { OAuthProvider } from './weibo-ports.ts';

export type WeiboSignInResult =
  | ({ kind: 'signed-in' } & SignedIn)
  | { kind: 'needs-bind'; uid: string; bindToken: string; profile: WeiboProfile | null };

/**
 * What every Weibo sign-in does once Weibo vouched for a grant (the browser's code exchange,
 * a native app's checked token): store the grant, which makes the authorization valid again;
 * a bound uid signs in with a session, an unbound one gets a bind token and its profile.
 */
export class WeiboSignIn {
  constructor(
    private readonly oauth: OAuthProvider,
    private readonly weiboAccounts: WeiboAccountRepository,
    private readonly tokens: TokenIssuer,
    private readonly sessions: Sessions,
  ) {}

  async complete(
    grant: WeiboGrant,
    requester: Requester,
    method: 'weibo' | 'app',
  ): Promise<WeiboSignInResult> {
    const { user, ...account } = await this.weiboAccounts.saveGrant(grant);
    if (isBound(account)) {
      if (!user) throw new Error(`Weibo account ${account.uid} is bound to a missing user`);
      refuseLocked(user);
      return { kind: 'signed-in', ...(await this.sessions.start(user, requester, method)) };
    }
    const [bindToken, profile] = await Promise.all([
      this.tokens.issueBindToken(grant.uid),
      this.oauth.fetchProfile(grant, { clientIp: requester.ip }),
    ]);
    return { kind: 'needs-bind', uid: grant.uid, bindToken, profile };
  }
}
