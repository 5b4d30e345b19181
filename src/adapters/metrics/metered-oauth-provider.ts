import {
  InfrastructureError,
  OAuthCodeRejected,
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
  WeiboRateLimited,
} from '../../application/errors.ts';
import type {
  AuthorizationRequest,
  OAuthProvider,
  WeiboCaller,
} from '../../application/weibo-ports.ts';
import type {
  WeiboFriendsPage,
  WeiboGrant,
  WeiboProfile,
  WeiboTokenInfo,
} from '../../domain/weibo-account.ts';
import type { ServiceMetrics, WeiboCallOutcome } from './service-metrics.ts';

/**
 * Counts and times each call the wrapped provider makes to Weibo, by endpoint and outcome.
 * Building the authorization URL calls nothing, so it is not counted.
 */
export class MeteredOAuthProvider implements OAuthProvider {
  constructor(
    private readonly inner: OAuthProvider,
    private readonly metrics: ServiceMetrics,
  ) {}

  authorizationUrl(request: AuthorizationRequest): string {
    return this.inner.authorizationUrl(request);
  }

  exchangeCode(code: string, caller?: WeiboCaller): Promise<WeiboGrant> {
    return this.call('oauth2/access_token', () => this.inner.exchangeCode(code, caller));
  }

  /** A profile that does not come (null) is a Weibo that did not answer well. */
  fetchProfile(grant: WeiboGrant, caller?: WeiboCaller): Promise<WeiboProfile | null> {
    return this.call(
      '2/users/show.json',
      () => this.inner.fetchProfile(grant, caller),
      (profile) => (profile === null ? 'unavailable' : 'ok'),
    );
  }

  fetchFriends(
    grant: { uid: string; accessToken: string },
    page: { cursor: number; count: number },
    caller?: WeiboCaller,
  ): Promise<WeiboFriendsPage> {
    return this.call('2/friendships/friends.json', () =>
      this.inner.fetchFriends(grant, page, caller),
    );
  }

  tokenInfo(accessToken: string, caller?: WeiboCaller): Promise<WeiboTokenInfo> {
    return this.call('oauth2/get_token_info', () => this.inner.tokenInfo(accessToken, caller));
  }

  /** A revocation Weibo did not confirm (false) is a Weibo that did not answer well. */
  revokeToken(accessToken: string, caller?: WeiboCaller): Promise<boolean> {
    return this.call(
      'oauth2/revokeoauth2',
      () => this.inner.revokeToken(accessToken, caller),
      (revoked) => (revoked ? 'ok' : 'unavailable'),
    );
  }

  /** Runs one call to Weibo and records it. */
  private async call<T>(
    endpoint: string,
    send: () => Promise<T>,
    outcomeOf: (result: T) => WeiboCallOutcome = () => 'ok',
  ): Promise<T> {
    const started = performance.now();
    let outcome: WeiboCallOutcome = 'error';
    let errorCode: number | undefined;
    try {
      const result = await send();
      outcome = outcomeOf(result);
      return result;
    } catch (error) {
      outcome = outcomeOfFailure(error);
      if (error instanceof InfrastructureError) errorCode = error.weiboErrorCode;
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.metrics.observeWeiboCall(endpoint, outcome, seconds, errorCode);
    }
  }
}

/**
 * `refused`: Weibo said no to what it was given, a code or (expired, revoked) a token;
 * `rate_limited`: Weibo's quota, or the pause after it.
 */
function outcomeOfFailure(error: unknown): WeiboCallOutcome {
  if (error instanceof OAuthCodeRejected || error instanceof WeiboAuthorizationExpired) {
    return 'refused';
  }
  if (error instanceof WeiboRateLimited) return 'rate_limited';
  if (error instanceof OAuthProviderUnavailable) return 'unavailable';
  return 'error';
}
