import { RateLimiterUnavailable, WeiboAuthorizationExpired } from './errors.ts';
import type { RateLimiter, WeiboAccountRepository } from './ports.ts';
import type { WeiboAuthorizationHealth } from './weibo-authorization-health.ts';
import type { OAuthProvider } from './weibo-ports.ts';

const UID = /^[0-9]{1,20}$/;
const MINUTE = 60;

/**
 * Weibo's call when a user removed the app (endpoint 13). Weibo documents neither its
 * parameters nor a signature, so it is only a hint: the service asks Weibo about the stored
 * token and acts only when Weibo refuses it. Anything else changes nothing, and nothing is
 * retried: the next Weibo call with that token finds out.
 */
export class HandleWeiboDeauthorization {
  private readonly appKeys: ReadonlySet<string>;

  constructor(
    private readonly weiboAccounts: WeiboAccountRepository,
    private readonly oauth: OAuthProvider,
    private readonly limiter: RateLimiter,
    private readonly health: WeiboAuthorizationHealth,
    appKeys: Iterable<string>,
  ) {
    this.appKeys = new Set(appKeys);
  }

  /** Resolves whether the authorization was found lost and acted on. */
  async execute(hint: { uid?: string; source?: string }): Promise<boolean> {
    const { uid, source } = hint;
    if (uid === undefined || !UID.test(uid)) return false;
    if (source !== undefined && !this.appKeys.has(source)) return false;
    const account = await this.weiboAccounts.findByUid(uid);
    if (account?.accessToken == null) return false;
    if (!(await this.mayCheck(uid))) return false;
    try {
      await this.oauth.tokenInfo(account.accessToken);
      return false;
    } catch (error) {
      if (!(error instanceof WeiboAuthorizationExpired)) return false;
    }
    await this.health.lost(uid, 'deauthorized');
    return true;
  }

  /** At most one check per uid per minute, so the URL cannot spend the app's Weibo quota. */
  private async mayCheck(uid: string): Promise<boolean> {
    try {
      return (await this.limiter.hit(`deauth:${uid}`, 1, MINUTE)) === 0;
    } catch (error) {
      if (error instanceof RateLimiterUnavailable) return false;
      throw error;
    }
  }
}
