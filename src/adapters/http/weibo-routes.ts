import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { BindAccount } from '../../application/bind-account.ts';
import type { CompleteWeiboLogin } from '../../application/complete-weibo-login.ts';
import type { Display } from '../../application/ports.ts';
import type { StartWeiboLogin } from '../../application/start-weibo-login.ts';
import { invalidQuery } from './http-errors.ts';
import { readJsonObject } from './json-body.ts';

export const WEIBO_BASE_PATH = '/v1/users/weibo';
const BINDING_COOKIE = 'weibo_auth_binding';
const MAX_BODY_BYTES = 16 * 1024;
const MAX_PARAM_LENGTH = 512;
const DISPLAYS: readonly string[] = ['default', 'mobile', 'wap', 'client'] satisfies Display[];

export interface WeiboRoutesDeps {
  startLogin: StartWeiboLogin;
  completeLogin: CompleteWeiboLogin;
  bindAccount: BindAccount;
  cookieSecure: boolean;
  stateTtlSeconds: number;
}

export function weiboRoutes(deps: WeiboRoutesDeps) {
  return new Hono()
    .use(singleValuedQuery)
    .get('/authorization', async (c) => {
      const { return_to, display, forcelogin, language } = c.req.query();
      if (display !== undefined && !DISPLAYS.includes(display)) throw invalidQuery();
      if (forcelogin !== undefined && forcelogin !== 'true' && forcelogin !== 'false') {
        throw invalidQuery();
      }
      if (language !== undefined && language !== 'en') throw invalidQuery();
      const started = await deps.startLogin.execute({
        returnTo: return_to,
        display: display as Display | undefined,
        forceLogin: forcelogin === 'true',
        language,
        browserSecret: getCookie(c, BINDING_COOKIE),
      });
      setCookie(c, BINDING_COOKIE, started.browserSecret, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: deps.cookieSecure,
        path: WEIBO_BASE_PATH,
        maxAge: deps.stateTtlSeconds,
      });
      return c.json({ code: 200, oauth_url: started.oauthUrl });
    })
    .get('/users', async (c) => {
      const { code, state } = c.req.query();
      if (!code || !state || code.length > MAX_PARAM_LENGTH || state.length > MAX_PARAM_LENGTH) {
        throw invalidQuery();
      }
      const result = await deps.completeLogin.execute({
        code,
        state,
        browserSecret: getCookie(c, BINDING_COOKIE),
      });
      if (result.kind === 'signed-in') {
        const { username, token, returnTo } = result;
        return c.json({ code: 200, username, token, return_to: returnTo });
      }
      const { uid, bindToken, returnTo, profile } = result;
      return c.json({
        code: 201,
        uid,
        bind_token: bindToken,
        return_to: returnTo,
        ...(profile && { profile: { screen_name: profile.screenName, avatar: profile.avatar } }),
      });
    })
    .post('/users', async (c) => {
      const body = await readJsonObject(c, MAX_BODY_BYTES);
      const bound = await deps.bindAccount.execute(body);
      return c.json({ code: 200, username: bound.username, token: bound.token });
    });
}

const singleValuedQuery: MiddlewareHandler = async (c, next) => {
  for (const values of Object.values(c.req.queries())) {
    if (values.length > 1) throw invalidQuery();
  }
  await next();
};
