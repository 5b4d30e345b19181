/** Someone to sign in as; the Weibo fields left out are left out of the answers too. */
export interface SandboxUser {
  uid: string;
  screenName?: string;
  avatarHd?: string;
  avatarLarge?: string;
  profileImageUrl?: string;
  location?: string;
  description?: string;
  gender?: 'm' | 'f' | 'n';
  verified?: boolean;
  /** The uids this user follows, Weibo's "friends". */
  friends?: string[];
}

/** Weibo's largest page of friends for an app like this one. */
export const MAX_FRIENDS_PER_PAGE = 5;

const PRESETS: SandboxUser[] = [
  { uid: '1000000001', screenName: '小明 Xiaoming', location: '北京 海淀区', gender: 'm' },
  { uid: '1000000002', screenName: 'Alice 爱丽丝', location: '上海', gender: 'f', verified: true },
  { uid: '1000000003', screenName: '测试用户 Tester', description: 'I test things.' },
];

/** The users offered on the authorize page; each follows the others, so friends can be shown. */
export const SANDBOX_USERS: SandboxUser[] = PRESETS.map((user) => ({
  ...user,
  friends: PRESETS.filter((other) => other !== user).map((other) => other.uid),
}));

/**
 * A page of friendships/friends.json: the friends of `user` among those who approved the app
 * (`approved`, by uid), `cursor` being the index of the first one, as Weibo counts it.
 */
export function friendsPage(
  user: SandboxUser,
  approved: Map<string, SandboxUser>,
  page: { cursor: number; count: number },
  publicUrl: string,
) {
  const friends = [...new Set(user.friends)].flatMap((uid) => {
    const friend = uid === user.uid ? undefined : approved.get(uid);
    return friend === undefined ? [] : [friend];
  });
  const count = Math.min(page.count, MAX_FRIENDS_PER_PAGE);
  const end = page.cursor + count;
  return {
    users: friends.slice(page.cursor, end).map((friend) => weiboUser(friend, approved, publicUrl)),
    next_cursor: end < friends.length ? end : 0,
    previous_cursor: Math.max(0, page.cursor - count),
    total_number: friends.length,
    hasvisible: false,
  };
}

/** A user object as users/show and friendships/friends send it (trim_status=1: no status). */
export function weiboUser(user: SandboxUser, approved: Map<string, SandboxUser>, publicUrl = '') {
  const followers = [...approved.values()].filter((other) => other.friends?.includes(user.uid));
  return {
    id: Number(user.uid),
    idstr: user.uid,
    screen_name: user.screenName ?? `用户${user.uid}`,
    name: user.screenName ?? `用户${user.uid}`,
    location: user.location ?? '其他',
    description: user.description ?? '',
    profile_image_url: user.profileImageUrl,
    avatar_large:
      user.avatarLarge ?? (publicUrl ? `${publicUrl}/avatar/${user.uid}.svg` : undefined),
    avatar_hd: user.avatarHd,
    gender: user.gender ?? 'n',
    followers_count: followers.length,
    friends_count: user.friends?.length ?? 0,
    statuses_count: 0,
    verified: user.verified ?? false,
  };
}
