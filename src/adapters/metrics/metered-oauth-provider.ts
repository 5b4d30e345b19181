import {
  OAuthCodeRejected,
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
} from '../../application/errors.ts';
import type { AuthorizationRequest, OAuthProvider } from '../../application/ports.ts';
import type { WeiboFriendsPage, WeiboGrant, WeiboProfile } from '../../domain/weibo-account.ts';
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

  exchangeCode(code: string): Promise<WeiboGrant> {
    return this.call('oauth2/access_token', () => this.inner.exchangeCode(code));
  }

  /** A profile that does not come (null) is a Weibo that did not answer well. */
  fetchProfile(grant: WeiboGrant): Promise<WeiboProfile | null> {
    return this.call(
      '2/users/show.json',
      () => this.inner.fetchProfile(grant),
      (profile) => (profile === null ? 'unavailable' : 'ok'),
    );
  }

  fetchFriends(
    grant: { uid: string; accessToken: string },
    page: { cursor: number; count: number },
  ): Promise<WeiboFriendsPage> {
    return this.call('2/friendships/friends.json', () => this.inner.fetchFriends(grant, page));
  }

  /** A revocation Weibo did not confirm (false) is a Weibo that did not answer well. */
  revokeToken(accessToken: string): Promise<boolean> {
    return this.call(
      'oauth2/revokeoauth2',
      () => this.inner.revokeToken(accessToken),
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
    try {
      const result = await send();
      outcome = outcomeOf(result);
      return result;
    } catch (error) {
      outcome = outcomeOfFailure(error);
      throw error;
    } finally {
      this.metrics.observeWeiboCall(endpoint, outcome, (performance.now() - started) / 1000);
    }
  }
}

/** `refused`: Weibo said no to what it was given, a code or (expired, revoked) a token. */
function outcomeOfFailure(error: unknown): WeiboCallOutcome {
  if (error instanceof OAuthCodeRejected || error instanceof WeiboAuthorizationExpired) {
    return 'refused';
  }
  if (error instanceof OAuthProviderUnavailable) return 'unavailable';
  return 'error';
}
