import type {
  WeiboFriendsPage,
  WeiboGrant,
  WeiboProfile,
  WeiboTokenInfo,
} from '../domain/weibo-account.ts';

export type Display = 'default' | 'mobile' | 'wap' | 'client';

export interface AuthorizationRequest {
  state: string;
  display?: Display;
  forceLogin: boolean;
  language?: 'en';
}

/** Who a call to Weibo is made for: a user's request, or (without it) the service itself. */
export interface WeiboCaller {
  /** The user's IP as the rate limiter sees it, for Weibo's per-IP limits. */
  clientIp?: string;
}

/**
 * The OAuth provider (Weibo). Every call throws WeiboRateLimited for Weibo's rate limits (and
 * while a pause after one lasts), OAuthProviderUnavailable when Weibo cannot be used, and
 * WeiboAuthorizationExpired when Weibo refuses the access token it was given.
 */
export interface OAuthProvider {
  authorizationUrl(request: AuthorizationRequest): string;
  /** Also throws OAuthCodeRejected when Weibo refuses the code. */
  exchangeCode(code: string, caller?: WeiboCaller): Promise<WeiboGrant>;
  /** Best effort: resolves null when the provider does not answer well or in time. */
  fetchProfile(grant: WeiboGrant, caller?: WeiboCaller): Promise<WeiboProfile | null>;
  /** A page of the user's friends who also use this app. */
  fetchFriends(
    grant: { uid: string; accessToken: string },
    page: { cursor: number; count: number },
    caller?: WeiboCaller,
  ): Promise<WeiboFriendsPage>;
  /** What Weibo says of an access token: whose, for which app, for how long. */
  tokenInfo(accessToken: string, caller?: WeiboCaller): Promise<WeiboTokenInfo>;
  /** Revokes the token at the provider; best effort: resolves whether it confirmed. */
  revokeToken(accessToken: string, caller?: WeiboCaller): Promise<boolean>;
}

/**
 * A pause of every call to Weibo after Weibo's app-wide rate limit (10022), shared by the
 * instances when it can be. Best effort: a pause that cannot be stored or read is no pause.
 */
export interface WeiboPause {
  /** Whole seconds the pause has left, rounded up; 0 when there is none. */
  secondsLeft(): Promise<number>;
  start(seconds: number): Promise<void>;
}
