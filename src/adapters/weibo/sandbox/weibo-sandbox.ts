import { randomBytes } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { TOKEN_LIFETIME_SECONDS, weiboError, weiboJson } from './sandbox-answers.ts';
import { authorizePage, avatarSvg } from './sandbox-page.ts';
import { sandboxSdk } from './sandbox-sdk.ts';
import {
  friendsPage,
  MAX_FRIENDS_PER_PAGE,
  SANDBOX_USERS,
  type SandboxUser,
  weiboUser,
} from './sandbox-users.ts';

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/** A token the sandbox issued: whose, to which app, until when (seconds since the epoch). */
interface IssuedToken {
  user: SandboxUser;
  appKey: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * A stand-in for api.weibo.com speaking its protocol: an authorize page, single-use codes,
 * the form-encoded token endpoint, users/show.json, friendships/friends.json, get_token_info
 * and token revocation, JSON sent as text/plain as Weibo does. The users who approved the app
 * are those holding a token not revoked. `publicUrl` is where it is served, for the avatar URLs
 * it hands out. Beyond Weibo's API, `/sdk/authorize` hands out a token as the Weibo app does
 * to a native app, and `/sdk/remove-app` plays a user removing the app in Weibo's settings:
 * their tokens die and Weibo calls `deauthorizationUrl`.
 */
export function createWeiboSandbox(
  client: SandboxClient,
  publicUrl = '',
  options: { deauthorizationUrl?: () => string | undefined; now?: () => number } = {},
) {
  const codes = new Map<string, SandboxUser>();
  const tokens = new Map<string, IssuedToken>();
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);

  function issueCode(user: SandboxUser): string {
    const code = randomBytes(16).toString('hex');
    codes.set(code, user);
    return code;
  }

  /** A token for the user, issued to `appKey` (this app by default), living `lifetime` s. */
  function issueToken(
    user: SandboxUser,
    appKey = client.clientId,
    lifetime = TOKEN_LIFETIME_SECONDS,
  ): string {
    const accessToken = `2.00${randomBytes(16).toString('hex')}`;
    const createdAt = nowSeconds();
    tokens.set(accessToken, { user, appKey, createdAt, expiresAt: createdAt + lifetime });
    return accessToken;
  }

  /** The user of a live token, or undefined. */
  function holder(token: string | undefined): SandboxUser | undefined {
    const issued = tokens.get(token ?? '');
    return issued && issued.expiresAt > nowSeconds() ? issued.user : undefined;
  }

  const app = new Hono();

  app.get('/oauth2/authorize', (c) => {
    const refused = checkClient(c, c.req.query('client_id'), c.req.query('redirect_uri'));
    const url = new URL(c.req.url);
    return refused ?? c.html(authorizePage(`${url.pathname}${url.search}`, SANDBOX_USERS));
  });

  app.post('/oauth2/authorize', async (c) => {
    const refused = checkClient(c, c.req.query('client_id'), c.req.query('redirect_uri'));
    if (refused) return refused;
    const form = await c.req.parseBody();
    const target = new URL(client.redirectUri);
    const uid = typeof form.uid === 'string' ? form.uid.trim() : '';
    if (form.decision === 'deny' || !/^[0-9]{1,20}$/.test(uid)) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_code', '21330');
    } else {
      const screenName = typeof form.screen_name === 'string' ? form.screen_name.trim() : '';
      const preset = SANDBOX_USERS.find((user) => user.uid === uid);
      const user = { ...preset, uid, screenName: screenName || preset?.screenName };
      target.searchParams.set('code', issueCode(user));
    }
    const state = c.req.query('state');
    if (state !== undefined) target.searchParams.set('state', state);
    return c.redirect(target.toString(), 302);
  });

  app.post('/oauth2/access_token', async (c) => {
    const form = await c.req.parseBody();
    if (form.client_id !== client.clientId || form.client_secret !== client.clientSecret) {
      return weiboError(c, 400, 21324, 'invalid_client');
    }
    if (form.grant_type !== 'authorization_code') {
      return weiboError(c, 400, 21328, 'unsupported_grant_type');
    }
    if (form.redirect_uri !== client.redirectUri) {
      return weiboError(c, 400, 21322, 'redirect_uri_mismatch');
    }
    const code = typeof form.code === 'string' ? form.code : '';
    const user = codes.get(code);
    if (user === undefined) return invalidGrant(c, 400, code);
    codes.delete(code);
    const accessToken = issueToken(user);
    return weiboJson(c, 200, {
      access_token: accessToken,
      remind_in: `${TOKEN_LIFETIME_SECONDS}`,
      expires_in: TOKEN_LIFETIME_SECONDS,
      uid: user.uid,
      isRealName: 'true',
    });
  });

  app.get('/2/users/show.json', (c) => {
    const user = holder(c.req.query('access_token'));
    if (user === undefined) return weiboError(c, 403, 21332, 'invalid_access_token');
    if (c.req.query('uid') !== user.uid) return weiboError(c, 400, 20003, 'User does not exists!');
    return weiboJson(c, 200, weiboUser(user, approvedUsers(), publicUrl));
  });

  app.get('/2/friendships/friends.json', (c) => {
    const user = holder(c.req.query('access_token'));
    if (user === undefined) return weiboError(c, 403, 21332, 'invalid_access_token');
    if (c.req.query('uid') !== user.uid) return weiboError(c, 403, 10014, 'permission_denied');
    const count = wholeNumber(c.req.query('count') ?? `${MAX_FRIENDS_PER_PAGE}`);
    const cursor = wholeNumber(c.req.query('cursor') ?? '0');
    if (count === null || count < 1) return weiboError(c, 400, 10017, 'invalid_parameter_count');
    if (cursor === null) return weiboError(c, 400, 10017, 'invalid_parameter_cursor');
    return weiboJson(c, 200, friendsPage(user, approvedUsers(), { cursor, count }, publicUrl));
  });

  // Weibo sends uid and appkey as numbers where they are digits.
  app.post('/oauth2/get_token_info', async (c) => {
    const token = (await c.req.parseBody()).access_token;
    const issued = tokens.get(typeof token === 'string' ? token : '');
    if (issued === undefined) return weiboError(c, 400, 21332, 'invalid_access_token');
    const left = issued.expiresAt - nowSeconds();
    if (left <= 0) return weiboError(c, 400, 21327, 'expired_token');
    const asNumber = (id: string) => (/^[0-9]{1,15}$/.test(id) ? Number(id) : id);
    return weiboJson(c, 200, {
      uid: asNumber(issued.user.uid),
      appkey: asNumber(issued.appKey),
      scope: null,
      create_at: issued.createdAt,
      expire_in: left,
    });
  });

  app.route(
    '/sdk',
    sandboxSdk({
      issueToken,
      forgetTokensOf: (uid) => {
        for (const [token, issued] of tokens) {
          if (issued.user.uid === uid && issued.appKey === client.clientId) tokens.delete(token);
        }
      },
      appKey: client.clientId,
      deauthorizationUrl: options.deauthorizationUrl,
    }),
  );

  app.post('/oauth2/revokeoauth2', async (c) => {
    const token = (await c.req.parseBody()).access_token;
    if (typeof token !== 'string' || !tokens.delete(token)) {
      return weiboError(c, 403, 21332, 'invalid_access_token');
    }
    return weiboJson(c, 200, { result: 'true' });
  });

  app.get('/avatar/:file{[0-9]{1,20}\\.svg}', (c) =>
    c.body(avatarSvg(c.req.param('file').replace('.svg', '')), 200, {
      'Content-Type': 'image/svg+xml',
    }),
  );

  /** Who approved the app, by uid; a user signed in several times is seen as they last were. */
  function approvedUsers(): Map<string, SandboxUser> {
    return new Map([...tokens.values()].map(({ user }) => [user.uid, user]));
  }

  function checkClient(c: Context, clientId?: string, redirectUri?: string): Response | null {
    if (clientId !== client.clientId) return weiboError(c, 400, 21324, 'invalid_client');
    if (redirectUri !== client.redirectUri) {
      return weiboError(c, 400, 21322, 'redirect_uri_mismatch');
    }
    return null;
  }

  return { app, issueCode, issueToken };
}

export function invalidGrant(c: Context, status: ContentfulStatusCode, code: string): Response {
  return weiboError(c, status, 21325, 'invalid_grant', `invalid authorization code:${code}`);
}

function wholeNumber(text: string): number | null {
  return /^[0-9]{1,9}$/.test(text) ? Number(text) : null;
}
