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

/** A Weibo account bound to a local user. */
export interface BoundWeiboAccount {
  uid: string;
  userId: string;
  accessToken: string;
  accessTokenExpiresAt: Date | null;
  boundAt: Date;
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
