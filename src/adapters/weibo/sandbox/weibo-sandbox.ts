import { randomBytes } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { authorizePage, avatarSvg, SANDBOX_USERS, type SandboxUser } from './sandbox-page.ts';

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

const TOKEN_LIFETIME_SECONDS = 157679999;

/**
 * A stand-in for api.weibo.com speaking its protocol: an authorize page, single-use codes,
 * the form-encoded token endpoint and users/show.json, JSON sent as text/plain as Weibo does.
 * `publicUrl` is where it is served, for the avatar URLs it hands out.
 */
export function createWeiboSandbox(client: SandboxClient, publicUrl = '') {
  const codes = new Map<string, SandboxUser>();
  const tokens = new Map<string, SandboxUser>();

  function issueCode(user: SandboxUser): string {
    const code = randomBytes(16).toString('hex');
    codes.set(code, user);
    return code;
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
      target.searchParams.set('code', issueCode({ uid, screenName: screenName || undefined }));
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
    const accessToken = `2.00${randomBytes(16).toString('hex')}`;
    tokens.set(accessToken, user);
    return weiboJson(c, 200, {
      access_token: accessToken,
      remind_in: `${TOKEN_LIFETIME_SECONDS}`,
      expires_in: TOKEN_LIFETIME_SECONDS,
      uid: user.uid,
      isRealName: 'true',
    });
  });

  app.get('/2/users/show.json', (c) => {
    const user = tokens.get(c.req.query('access_token') ?? '');
    if (user === undefined) return weiboError(c, 403, 21332, 'invalid_access_token');
    if (c.req.query('uid') !== user.uid) return weiboError(c, 400, 20003, 'User does not exists!');
    return weiboJson(c, 200, {
      id: Number(user.uid),
      idstr: user.uid,
      screen_name: user.screenName ?? `用户${user.uid}`,
      profile_image_url: user.profileImageUrl,
      avatar_large:
        user.avatarLarge ?? (publicUrl ? `${publicUrl}/avatar/${user.uid}.svg` : undefined),
      avatar_hd: user.avatarHd,
    });
  });

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

  function checkClient(c: Context, clientId?: string, redirectUri?: string): Response | null {
    if (clientId !== client.clientId) return weiboError(c, 400, 21324, 'invalid_client');
    if (redirectUri !== client.redirectUri) {
      return weiboError(c, 400, 21322, 'redirect_uri_mismatch');
    }
    return null;
  }

  return { app, issueCode };
}

export function invalidGrant(c: Context, status: ContentfulStatusCode, code: string): Response {
  return weiboError(c, status, 21325, 'invalid_grant', `invalid authorization code:${code}`);
}

function weiboError(
  c: Context,
  status: ContentfulStatusCode,
  errorCode: number,
  error: string,
  description = error,
): Response {
  const { path } = c.req;
  const body = { error, error_code: errorCode, request: path, error_uri: path };
  return weiboJson(c, status, { ...body, error_description: description });
}

function weiboJson(c: Context, status: ContentfulStatusCode, body: object): Response {
  return c.body(JSON.stringify(body), status, { 'Content-Type': 'text/plain;charset=UTF-8' });
}
