import {
  OAuthCodeRejected,
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
} from '../../application/errors.ts';
import type { Clock } from '../../application/ports.ts';
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
import { AuthorizeUrls } from './authorize-urls.ts';
import { describeError, isTokenError, tokenLoss, weiboErrorCode } from './weibo-errors.ts';
import type { WeiboTransport } from './weibo-transport.ts';
import {
  isJsonObject,
  type Json,
  toFriendsPage,
  toProfile,
  toSeconds,
  toTokenInfo,
  UID,
} from './weibo-users.ts';

export interface WeiboClientOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  apiBaseUrl: string;
  mobileAuthorizeUrl: string;
}

const ACCESS_TOKEN = /^[\x21-\x7e]{1,512}$/;
const FRIENDS_PATH = '/2/friendships/friends.json';
const TOKEN_INFO_PATH = '/oauth2/get_token_info';

/** The real Weibo OAuth 2 API (api.weibo.com), which sends its JSON as text/plain. */
export class WeiboOAuthClient implements OAuthProvider {
  private readonly authorizeUrls: AuthorizeUrls;

  constructor(
    private readonly options: WeiboClientOptions,
    private readonly clock: Clock,
    private readonly transport: WeiboTransport,
  ) {
    this.authorizeUrls = new AuthorizeUrls({
      ...options,
      authorizeUrl: `${options.apiBaseUrl.replace(/\/+$/, '')}/oauth2/authorize`,
    });
  }

  authorizationUrl(request: AuthorizationRequest): string {
    return this.authorizeUrls.for(request);
  }

  async exchangeCode(code: string, caller?: WeiboCaller): Promise<WeiboGrant> {
    const form = new URLSearchParams({
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.options.redirectUri,
    });
    const { status, json } = await this.transport.send('/oauth2/access_token', { form, caller });
    if (status < 500 && isJsonObject(json) && ('error_code' in json || 'error' in json)) {
      throw new OAuthCodeRejected(
        `Weibo refused the authorization code: ${describeError(json)}`,
        weiboErrorCode(json),
      );
    }
    const grant = status < 300 && isJsonObject(json) ? this.toGrant(json) : null;
    if (grant === null) {
      const problem =
        json === undefined ? 'a body that is not JSON' : 'no usable access_token/uid/expires_in';
      throw new OAuthProviderUnavailable(`Weibo answered HTTP ${status} with ${problem}`, {
        cause: new Error(`HTTP ${status}`),
      });
    }
    return grant;
  }

  async fetchProfile(grant: WeiboGrant, caller?: WeiboCaller): Promise<WeiboProfile | null> {
    const query = new URLSearchParams({ access_token: grant.accessToken, uid: grant.uid });
    try {
      const { status, json } = await this.transport.send('/2/users/show.json', { query, caller });
      return status < 300 && isJsonObject(json) ? toProfile(json) : null;
    } catch {
      return null;
    }
  }

  async fetchFriends(
    grant: { uid: string; accessToken: string },
    page: { cursor: number; count: number },
    caller?: WeiboCaller,
  ): Promise<WeiboFriendsPage> {
    const query = new URLSearchParams({
      access_token: grant.accessToken,
      uid: grant.uid,
      count: String(page.count),
      cursor: String(page.cursor),
      trim_status: '1',
    });
    const { status, json } = await this.transport.send(FRIENDS_PATH, { query, caller });
    this.refuseErrors(FRIENDS_PATH, status, json);
    const friends = status < 300 && isJsonObject(json) ? toFriendsPage(json) : null;
    if (friends !== null) return friends;
    const problem = json === undefined ? 'a body that is not JSON' : 'no readable page of users';
    throw new OAuthProviderUnavailable(
      `Weibo answered HTTP ${status} with ${problem} (${FRIENDS_PATH})`,
    );
  }

  async tokenInfo(accessToken: string, caller?: WeiboCaller): Promise<WeiboTokenInfo> {
    const form = new URLSearchParams({ access_token: accessToken });
    const { status, json } = await this.transport.send(TOKEN_INFO_PATH, { form, caller });
    this.refuseErrors(TOKEN_INFO_PATH, status, json);
    const info = status < 300 && isJsonObject(json) ? toTokenInfo(json) : null;
    if (info !== null) return info;
    const problem =
      json === undefined ? 'a body that is not JSON' : 'no usable uid/appkey/expire_in';
    throw new OAuthProviderUnavailable(
      `Weibo answered HTTP ${status} with ${problem} (${TOKEN_INFO_PATH})`,
    );
  }

  async revokeToken(accessToken: string, caller?: WeiboCaller): Promise<boolean> {
    const form = new URLSearchParams({ access_token: accessToken });
    try {
      const { status, json } = await this.transport.send('/oauth2/revokeoauth2', { form, caller });
      // Weibo sends `"result": "true"`, a string.
      const result = isJsonObject(json) ? json.result : undefined;
      return status >= 200 && status < 300 && (result === 'true' || result === true);
    } catch {
      return false;
    }
  }

  /** An error answer about a token: refused (expired or revoked), or Weibo unusable. */
  private refuseErrors(path: string, status: number, json: unknown): void {
    if (status >= 500 || !isJsonObject(json) || !('error_code' in json)) return;
    const error = `${describeError(json)} (${path})`;
    if (isTokenError(json)) {
      throw new WeiboAuthorizationExpired(
        `Weibo refused the access token: ${error}`,
        tokenLoss(json),
        weiboErrorCode(json),
      );
    }
    throw new OAuthProviderUnavailable(`Weibo answered ${error}`, weiboErrorCode(json));
  }

  private toGrant(json: Json): WeiboGrant | null {
    const { access_token: accessToken } = json;
    const uid =
      typeof json.uid === 'number' && Number.isSafeInteger(json.uid) ? `${json.uid}` : json.uid;
    if (typeof uid !== 'string' || !UID.test(uid)) return null;
    if (typeof accessToken !== 'string' || !ACCESS_TOKEN.test(accessToken)) return null;
    const expiresIn = toSeconds(json.expires_in);
    if (expiresIn === null || expiresIn <= 0) return null;
    return { uid, accessToken, expiresAt: new Date(this.clock.now().getTime() + expiresIn * 1000) };
  }
}
