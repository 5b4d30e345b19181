import type { Requester } from '../domain/audit.ts';
import { WeiboTokenInvalid } from '../domain/errors.ts';
import { WeiboAuthorizationExpired } from './errors.ts';
import type { Clock } from './ports.ts';
import type { OAuthProvider } from './weibo-ports.ts';
import type { WeiboSignIn, WeiboSignInResult } from './weibo-sign-in.ts';

/**
 * A native app's sign-in (endpoint 12) with the token the Weibo SDK handed it. Weibo vouches
 * for the token first, and it must have been issued to one of OUR apps: a token another app
 * got from the same user is valid at Weibo, and taking it would let any app the user ever
 * approved sign in here as them. Then it is the callback's second half.
 */
export class SignInWithWeiboApp {
  private readonly appKeys: ReadonlySet<string>;

  constructor(
    private readonly oauth: OAuthProvider,
    private readonly clock: Clock,
    private readonly signIn: WeiboSignIn,
    /** The web app's key (WEIBO_CLIENT_ID) and the native apps' (WEIBO_APP_KEYS). */
    appKeys: Iterable<string>,
  ) {
    this.appKeys = new Set(appKeys);
  }

  async execute(
    input: { accessToken: string; uid: string },
    requester: Requester = {},
  ): Promise<WeiboSignInResult> {
    const { accessToken, uid } = input;
    const caller = { clientIp: requester.ip };
    const info = await this.oauth.tokenInfo(accessToken, caller).catch((error) => {
      if (error instanceof WeiboAuthorizationExpired) throw new WeiboTokenInvalid();
      throw error;
    });
    if (!this.appKeys.has(info.appKey) || info.uid !== uid || info.expiresIn <= 0) {
      throw new WeiboTokenInvalid();
    }
    const expiresAt = new Date(this.clock.now().getTime() + info.expiresIn * 1000);
    return this.signIn.complete({ uid, accessToken, expiresAt }, requester, 'app');
  }
}
