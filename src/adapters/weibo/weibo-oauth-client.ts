import { FetchError, ofetch } from 'ofetch';
import {
  OAuthCodeRejected,
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
} from '../../application/errors.ts';
import type { AuthorizationRequest, Clock, OAuthProvider } from '../../application/ports.ts';
import type { WeiboFriendsPage, WeiboGrant, WeiboProfile } from '../../domain/weibo-account.ts';
import { AuthorizeUrls } from './authorize-urls.ts';
import { BodyTooLarge, MAX_WEIBO_BODY_BYTES, readBoundedText } from './bounded-body.ts';
import { describeError, isTokenError } from './weibo-errors.ts';
import { isJsonObject, type Json, toFriendsPage, toProfile, UID } from './weibo-users.ts';

export interface WeiboClientOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  apiBaseUrl: string;
  mobileAuthorizeUrl: string;
  timeoutMs: number;
}

const ACCESS_TOKEN = /^[\x21-\x7e]{1,512}$/;
/**
 * Weibo grants at most 5 years (157679999 s). A longer claim is a broken or hostile answer, and
 * an unbounded one would overflow the expiry Date; 10 years leaves room without allowing either.
 */
const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 24 * 60 * 60;
const FRIENDS_PATH = '/2/friendships/friends.json';

/** The real Weibo OAuth 2 API (api.weibo.com), which sends its JSON as text/plain. */
export class WeiboOAuthClient implements OAuthProvider {
  private readonly options: WeiboClientOptions;
  private readonly clock: Clock;
  private readonly apiBaseUrl: string;
  private readonly authorizeUrls: AuthorizeUrls;

  constructor(options: WeiboClientOptions, clock: Clock) {
    this.options = options;
    this.clock = clock;
    this.apiBaseUrl = options.apiBaseUrl.replace(/\/+$/, '');
    this.authorizeUrls = new AuthorizeUrls({
      ...options,
      authorizeUrl: `${this.apiBaseUrl}/oauth2/authorize`,
    });
  }

  authorizationUrl(request: AuthorizationRequest): string {
    return this.authorizeUrls.for(request);
  }

  async exchangeCode(code: string): Promise<WeiboGrant> {
    const form = new URLSearchParams({
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.options.redirectUri,
    });
    const { status, json } = await this.send('/oauth2/access_token', { form });
    if (status < 500 && isJsonObject(json) && ('error_code' in json || 'error' in json)) {
      throw new OAuthCodeRejected(`Weibo refused the authorization code: ${describeError(json)}`);
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

  async fetchProfile(grant: WeiboGrant): Promise<WeiboProfile | null> {
    const query = new URLSearchParams({ access_token: grant.accessToken, uid: grant.uid });
    try {
      const { status, json } = await this.send('/2/users/show.json', { query });
      return status < 300 && isJsonObject(json) ? toProfile(json) : null;
    } catch {
      return null;
    }
  }

  async fetchFriends(
    grant: { uid: string; accessToken: string },
    page: { cursor: number; count: number },
  ): Promise<WeiboFriendsPage> {
    const query = new URLSearchParams({
      access_token: grant.accessToken,
      uid: grant.uid,
      count: String(page.count),
      cursor: String(page.cursor),
      trim_status: '1',
    });
    const { status, json } = await this.send(FRIENDS_PATH, { query });
    if (status < 500 && isJsonObject(json) && 'error_code' in json) {
      const error = `${describeError(json)} (${FRIENDS_PATH})`;
      if (isTokenError(json)) {
        throw new WeiboAuthorizationExpired(`Weibo refused the access token: ${error}`);
      }
      throw new OAuthProviderUnavailable(`Weibo answered ${error}`);
    }
    const friends = status < 300 && isJsonObject(json) ? toFriendsPage(json) : null;
    if (friends !== null) return friends;
    const problem = json === undefined ? 'a body that is not JSON' : 'no readable page of users';
    throw new OAuthProviderUnavailable(
      `Weibo answered HTTP ${status} with ${problem} (${FRIENDS_PATH})`,
    );
  }

  async revokeToken(accessToken: string): Promise<boolean> {
    const form = new URLSearchParams({ access_token: accessToken });
    try {
      const { status, json } = await this.send('/oauth2/revokeoauth2', { form });
      // Weibo sends `"result": "true"`, a string.
      const result = isJsonObject(json) ? json.result : undefined;
      return status >= 200 && status < 300 && (result === 'true' || result === true);
    } catch {
      return false;
    }
  }

  private toGrant(json: Json): WeiboGrant | null {
    const { access_token: accessToken } = json;
    const uid =
      typeof json.uid === 'number' && Number.isSafeInteger(json.uid) ? `${json.uid}` : json.uid;
    if (typeof uid !== 'string' || !UID.test(uid)) return null;
    if (typeof accessToken !== 'string' || !ACCESS_TOKEN.test(accessToken)) return null;
    const expiresIn = toSeconds(json.expires_in);
    if (expiresIn === null) return null;
    return { uid, accessToken, expiresAt: new Date(this.clock.now().getTime() + expiresIn * 1000) };
  }

  /**
   * Resolves any HTTP status with the body parsed as JSON (undefined when it is not JSON);
   * throws OAuthProviderUnavailable when no whole answer of at most 1 MiB arrives in time.
   */
  private async send(
    path: string,
    request: { form?: URLSearchParams; query?: URLSearchParams },
  ): Promise<{ status: number; json: unknown }> {
    const url = new URL(`${this.apiBaseUrl}${path}`);
    if (request.query) url.search = request.query.toString();
    try {
      const response = await ofetch.raw(url.toString(), {
        method: request.form ? 'POST' : 'GET',
        body: request.form,
        headers: { accept: 'application/json' },
        // Read by hand below, so that a huge answer is cut off instead of buffered.
        responseType: 'stream',
        ignoreResponseError: true,
        retry: 0,
        // A redirect would re-send the client secret to wherever Weibo points.
        redirect: 'error',
        // A signal rather than ofetch's `timeout`, which stops counting once headers arrive:
        // aborting it also fails the body read.
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await readBoundedText(response, MAX_WEIBO_BODY_BYTES);
      return { status: response.status, json: parseJson(text) };
    } catch (error) {
      // ofetch's own error holds the request, its URL (access token) and options (client secret)
      // included: only its cause is kept.
      const cause = error instanceof FetchError ? error.cause : error;
      const reason =
        cause instanceof BodyTooLarge
          ? `answered ${cause.message}`
          : cause instanceof Error && cause.name === 'TimeoutError'
            ? `did not answer within ${this.options.timeoutMs} ms`
            : 'is unreachable';
      throw new OAuthProviderUnavailable(`Weibo ${reason} (${path})`, { cause });
    }
  }
}

/** Whole seconds, as a number or (as Weibo sometimes sends) a string of digits, within bounds. */
function toSeconds(value: unknown): number | null {
  const seconds = typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value) : value;
  const whole = typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0;
  return whole && seconds <= MAX_EXPIRES_IN_SECONDS ? seconds : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
