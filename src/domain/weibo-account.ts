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

export function isBound(account: WeiboAccount): account is WeiboAccount & { userId: string } {
  return account.userId !== null;
}
