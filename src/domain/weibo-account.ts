/** Whether the stored token still works, as far as the service knows. */
export type WeiboAuthorization = 'valid' | 'expired' | 'revoked';

/**
 * Why a stored token stopped working: its expiry passed (or Weibo said 21327), Weibo refused
 * it otherwise, or the user removed the app in Weibo's settings.
 */
export type AuthorizationLoss = 'expired' | 'revoked' | 'deauthorized';

/** The authorization state a loss leaves: a removed app is a revoked token. */
export function authorizationAfter(loss: AuthorizationLoss): Exclude<WeiboAuthorization, 'valid'> {
  return loss === 'expired' ? 'expired' : 'revoked';
}

/** The state as a client should see it: a valid token past its expiry is expired already. */
export function authorizationAt(
  stored: WeiboAuthorization,
  expiresAt: Date | null,
  now: Date,
): WeiboAuthorization {
  return stored === 'valid' && expiresAt !== null && expiresAt <= now ? 'expired' : stored;
}

/** A Weibo identity as this service knows it, bound to a local user or not yet. */
export interface WeiboAccount {
  uid: string;
  userId: string | null;
  accessToken: string;
  accessTokenExpiresAt: Date | null;
}

/** What Weibo hands back for an authorization code. */
export interface WeiboGrant {
  uid: string;
  accessToken: string;
  expiresAt: Date | null;
}

/** Public profile shown on the bind form. */
export interface WeiboProfile {
  screenName: string;
  avatar?: string;
}

/** A Weibo account bound to a local user; its token is gone once the user removed the app. */
export interface BoundWeiboAccount {
  uid: string;
  userId: string;
  accessToken: string | null;
  accessTokenExpiresAt: Date | null;
  boundAt: Date;
  authorization: WeiboAuthorization;
}

/** A user's Weibo binding as the account shows it: never its token. */
export interface WeiboBinding {
  uid: string;
  boundAt: Date;
  authorization: WeiboAuthorization;
  tokenExpiresAt: Date | null;
}

/** What Weibo says of an access token (oauth2/get_token_info). */
export interface WeiboTokenInfo {
  uid: string;
  /** The app the token was issued to. */
  appKey: string;
  /** Seconds the token has left; 0 or less when it has expired. */
  expiresIn: number;
}

/** A friend of the user on Weibo who also uses this app. */
export interface WeiboFriend {
  uid: string;
  screenName: string;
  avatar?: string;
  location: string;
  description: string;
  gender: 'm' | 'f' | 'n';
  followersCount: number;
  friendsCount: number;
  verified: boolean;
}

export interface WeiboFriendsPage {
  users: WeiboFriend[];
  nextCursor: number;
  previousCursor: number;
  totalNumber: number;
}

export function isBound(account: WeiboAccount): account is WeiboAccount & { userId: string } {
  return account.userId !== null;
}
