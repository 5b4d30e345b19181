import type {
  WeiboFriend,
  WeiboFriendsPage,
  WeiboProfile,
  WeiboTokenInfo,
} from '../../domain/weibo-account.ts';

export type Json = Record<string, unknown>;

export const UID = /^[0-9]{1,20}$/;
const APP_KEY = /^[\x21-\x7e]{1,64}$/;
/**
 * Weibo grants at most 5 years (157679999 s). A longer claim is a broken or hostile answer, and
 * an unbounded one would overflow the expiry Date; 10 years leaves room without allowing either.
 */
const MAX_SECONDS = 10 * 365 * 24 * 60 * 60;

/**
 * oauth2/get_token_info: `uid` and `appkey` as numbers or strings, the lifetime as `expire_in`
 * or (older answers) `expires_in`; null when one is missing or absurd.
 */
export function toTokenInfo(json: Json): WeiboTokenInfo | null {
  const uid = idText(json.uid);
  const appKey = idText(json.appkey);
  const expiresIn = toSeconds(json.expire_in ?? json.expires_in);
  if (uid === null || !UID.test(uid) || appKey === null || !APP_KEY.test(appKey)) return null;
  return expiresIn === null ? null : { uid, appKey, expiresIn };
}

/** Whole seconds (0 or less for a past expiry), a number or a string of digits, within bounds. */
export function toSeconds(value: unknown): number | null {
  const seconds =
    typeof value === 'string' && /^-?[0-9]{1,10}$/.test(value) ? Number(value) : value;
  const whole = typeof seconds === 'number' && Number.isInteger(seconds);
  return whole && Math.abs(seconds) <= MAX_SECONDS ? seconds : null;
}

/** An id Weibo may send as a number or a string, as a string; null for anything else. */
function idText(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? `${value}` : null;
  return typeof value === 'string' ? value : null;
}

/** users/show.json: null unless it names the user. */
export function toProfile(json: Json): WeiboProfile | null {
  const screenName = json.screen_name;
  if ('error_code' in json || typeof screenName !== 'string' || screenName === '') return null;
  const avatar = avatarOf(json);
  return avatar === undefined ? { screenName } : { screenName, avatar };
}

/**
 * friendships/friends.json: null when the page itself is unreadable (no list of users, or a
 * cursor or total that is not a whole number >= 0); a user without a valid idstr is left out.
 */
export function toFriendsPage(json: Json): WeiboFriendsPage | null {
  const nextCursor = toCount(json.next_cursor);
  const previousCursor = toCount(json.previous_cursor);
  const totalNumber = toCount(json.total_number);
  if (!Array.isArray(json.users) || nextCursor === null || previousCursor === null) return null;
  if (totalNumber === null) return null;
  const users = json.users.flatMap((user) => {
    const friend = isJsonObject(user) ? toFriend(user) : null;
    return friend === null ? [] : [friend];
  });
  return { users, nextCursor, previousCursor, totalNumber };
}

function toFriend(json: Json): WeiboFriend | null {
  if (typeof json.idstr !== 'string' || !UID.test(json.idstr)) return null;
  const avatar = avatarOf(json);
  return {
    uid: json.idstr,
    screenName: text(json.screen_name),
    ...(avatar === undefined ? {} : { avatar }),
    location: text(json.location),
    description: text(json.description),
    gender: json.gender === 'm' || json.gender === 'f' ? json.gender : 'n',
    followersCount: toCount(json.followers_count) ?? 0,
    friendsCount: toCount(json.friends_count) ?? 0,
    verified: json.verified === true,
  };
}

/** The sharpest of the avatars Weibo offers; they end up in an <img src>, so http(s) only. */
function avatarOf(json: Json): string | undefined {
  return [json.avatar_hd, json.avatar_large, json.profile_image_url].find(isWebUrl);
}

function isWebUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\/[^\s]+$/i.test(value) && URL.canParse(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A whole number >= 0, as a number or a string of digits, that stays exact; else null. */
function toCount(value: unknown): number | null {
  const count = typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : null;
}

export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
