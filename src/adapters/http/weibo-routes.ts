import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { generateCookie, getCookie } from 'hono/cookie';
import type { BindAccount } from '../../application/bind-account.ts';
import type { CompleteWeiboLogin } from '../../application/complete-weibo-login.ts';
import type { StartWeiboLogin } from '../../application/start-weibo-login.ts';
import { requesterOf } from './client-address.ts';
import { invalidQuery } from './http-errors.ts';
import { readJsonObject } from './json-body.ts';
import {
  documentedJsonBody,
  errorResponses,
  json,
  openApiRouter,
  openapiQueryRoute,
} from './openapi.ts';
import { rateCounted } from './rate-limit.ts';
import { answerJson } from './response-headers.ts';
import {
  AccountBound,
  AuthorizationQuery,
  AuthorizationUrl,
  BindForm,
  CallbackQuery,
  NotBound,
  SignedIn,
} from './schemas.ts';
import { signedInBody } from './signed-in.ts';

export const WEIBO_BASE_PATH = '/v1/users/weibo';
/** The login start, which counts its request against the client's limit with its state write. */
export const AUTHORIZATION_PATH = `${WEIBO_BASE_PATH}/authorization`;
const BINDING_COOKIE = 'weibo_auth_binding';
const MAX_BODY_BYTES = 16 * 1024;
const tags = ['Sign in with Weibo'];

export interface WeiboRoutesDeps {
  startLogin: StartWeiboLogin;
  completeLogin: CompleteWeiboLogin;
  bindAccount: BindAccount;
  cookieSecure: boolean;
  stateTtlSeconds: number;
  /** Take the client's IP from `X-Forwarded-For`, as the rate limiter does. */
  trustProxy: boolean;
}

const authorization = createRoute({
  method: 'get',
  path: '/authorization',
  tags,
  summary: 'The Weibo authorize URL, and the browser-binding cookie',
  request: { query: AuthorizationQuery },
  responses: {
    200: {
      description: 'Send the browser to `oauth_url`.',
      headers: {
        'Set-Cookie': {
          description: 'The browser-binding cookie (HttpOnly, SameSite=Lax).',
          schema: { type: 'string' },
        },
      },
      content: json(AuthorizationUrl),
    },
    ...errorResponses(
      'INVALID_QUERY',
      'INVALID_RETURN_TO',
      'RATE_LIMITED',
      'LOGIN_PAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

const callback = createRoute({
  method: 'get',
  path: '/users',
  tags,
  summary: "Weibo's redirect: sign in, or get a bind token",
  request: { query: CallbackQuery },
  responses: {
    200: {
      description: 'Code 200: signed in. Code 201: not bound yet, show the bind form.',
      content: json(SignedIn.or(NotBound)),
    },
    ...errorResponses(
      'INVALID_QUERY',
      'OAUTH_CODE_REJECTED',
      'STATE_INVALID',
      'RATE_LIMITED',
      'OAUTH_PROVIDER_UNAVAILABLE',
      'WEIBO_RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

const bind = createRoute({
  method: 'post',
  path: '/users',
  tags,
  summary: 'Create the local account and bind the Weibo account to it',
  request: { body: documentedJsonBody('BindForm') },
  responses: {
    200: { description: 'Bound and signed in.', content: json(AccountBound) },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'INVALID_USERNAME',
      'INVALID_PASSWORD',
      'INVALID_EMAIL',
      'INVALID_PHONE',
      'BIND_TOKEN_INVALID',
      'USERNAME_TAKEN',
      'WEIBO_ALREADY_BOUND',
      'RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'CREATE_USER_FAILED',
    ),
  },
});

export function weiboRoutes(deps: WeiboRoutesDeps) {
  const app = openApiRouter();
  app.openAPIRegistry.register('BindForm', BindForm);

  openapiQueryRoute(app, authorization, async (c, query) => {
    const { return_to, display, forcelogin, language } = query;
    const started = await deps.startLogin.execute({
      returnTo: return_to,
      display,
      forceLogin: forcelogin === 'true',
      language,
      browserSecret: getCookie(c, BINDING_COOKIE),
      rateCount: c.get('rateCount'),
    });
    rateCounted(c);
    const cookie = generateCookie(BINDING_COOKIE, started.browserSecret, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: deps.cookieSecure,
      path: WEIBO_BASE_PATH,
      maxAge: deps.stateTtlSeconds,
    });
    return answerJson(c, { code: 200, oauth_url: started.oauthUrl }, 200, { 'Set-Cookie': cookie });
  });

  openapiQueryRoute(app, callback, async (c, { code, state }) => {
    const browserSecret = getCookie(c, BINDING_COOKIE);
    const requester = requesterOf(c, deps.trustProxy);
    const result = await deps.completeLogin.execute({ code, state, browserSecret }, requester);
    if (result.kind === 'signed-in') {
      return answerJson(c, { code: 200, ...signedInBody(result), return_to: result.returnTo }, 200);
    }
    const { uid, bindToken, returnTo, profile } = result;
    return answerJson(
      c,
      {
        code: 201,
        uid,
        bind_token: bindToken,
        return_to: returnTo,
        ...(profile && { profile: { screen_name: profile.screenName, avatar: profile.avatar } }),
      },
      200,
    );
  });

  app.openapi(bind, async (c) => {
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    const bound = await deps.bindAccount.execute(body, requesterOf(c, deps.trustProxy));
    return answerJson(c, { code: 200 as const, ...signedInBody(bound) }, 200);
  });
  return app;
}

/** A query parameter given twice is refused, whether or not a route reads it. */
export const singleValuedQuery: MiddlewareHandler = async (c, next) => {
  if (c.req.url.includes('?')) {
    for (const values of Object.values(c.req.queries())) {
      if (values.length > 1) throw invalidQuery();
    }
  }
  await next();
};
