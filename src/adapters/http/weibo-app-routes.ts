import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { HandleWeiboDeauthorization } from '../../application/handle-weibo-deauthorization.ts';
import type { SignInWithWeiboApp } from '../../application/sign-in-with-weibo-app.ts';
import { Done } from './account-schemas.ts';
import { requesterOf } from './client-address.ts';
import { invalidQuery } from './http-errors.ts';
import { readJsonObject } from './json-body.ts';
import { documentedJsonBody, errorResponses, json, openApiRouter } from './openapi.ts';
import { answerJson } from './response-headers.ts';
import { AccountBound, AppLoginForm, AppNotBound, DeauthorizationHint } from './schemas.ts';
import { signedInBody } from './signed-in.ts';

/** Weibo calls it from its servers: no per-client limit, no repeated-parameter rule, always 200. */
export const DEAUTHORIZATION_PATH = '/v1/users/weibo/deauthorization';
const MAX_BODY_BYTES = 16 * 1024;
const UID = /^[0-9]{1,20}$/;
const tags = ['Native apps and Weibo'];

export interface WeiboAppRoutesDeps {
  logger: Logger;
  signInWithWeiboApp: SignInWithWeiboApp;
  handleWeiboDeauthorization: HandleWeiboDeauthorization;
  trustProxy: boolean;
}

const appLogin = createRoute({
  method: 'post',
  path: '/app-login',
  tags,
  summary: 'Sign in from a native app with the token the Weibo SDK handed it',
  description:
    "Weibo is asked about the token (`oauth2/get_token_info`) first: it must be this service's app's (`WEIBO_CLIENT_ID` or one of `WEIBO_APP_KEYS`), of this `uid`, and not expired.",
  request: { body: documentedJsonBody('AppLoginForm') },
  responses: {
    200: {
      description: 'Code 200: signed in. Code 201: not bound yet, bind or link it.',
      content: json(AccountBound.or(AppNotBound)),
    },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'WEIBO_TOKEN_INVALID',
      'RATE_LIMITED',
      'OAUTH_PROVIDER_UNAVAILABLE',
      'WEIBO_RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

const deauthorizationAnswer = {
  200: {
    description:
      'Always, whatever the input: the call is only a hint, checked with Weibo before anything changes.',
    content: json(Done),
  },
};
const deauthorizationSummary =
  "Weibo's cancel-authorization callback (取消授权回调页): the user removed the app";

/** Endpoints 12 and 13, mounted at `/v1/users/weibo`. */
export function weiboAppRoutes(deps: WeiboAppRoutesDeps) {
  const app = openApiRouter();
  app.openAPIRegistry.register('AppLoginForm', AppLoginForm);

  app.openapi(appLogin, async (c) => {
    const { access_token: accessToken, uid } = await readJsonObject(c, MAX_BODY_BYTES);
    const valid = typeof accessToken === 'string' && accessToken !== '' && typeof uid === 'string';
    if (!valid || !UID.test(uid)) throw invalidQuery();
    const requester = requesterOf(c, deps.trustProxy);
    const result = await deps.signInWithWeiboApp.execute({ accessToken, uid }, requester);
    if (result.kind === 'signed-in') {
      return answerJson(c, { code: 200 as const, ...signedInBody(result) }, 200);
    }
    const { profile } = result;
    return answerJson(
      c,
      {
        code: 201 as const,
        uid: result.uid,
        bind_token: result.bindToken,
        ...(profile && { profile: { screen_name: profile.screenName, avatar: profile.avatar } }),
      },
      200,
    );
  });

  for (const method of ['get', 'post'] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: '/deauthorization',
      tags,
      summary: deauthorizationSummary,
      request:
        method === 'get'
          ? { query: DeauthorizationHint }
          : {
              query: DeauthorizationHint,
              body: {
                content: { 'application/x-www-form-urlencoded': { schema: DeauthorizationHint } },
              },
            },
      responses: deauthorizationAnswer,
    });
  }
  app.on(['GET', 'POST'], '/deauthorization', async (c) => {
    try {
      const hint = await hintOf(c);
      if (await deps.handleWeiboDeauthorization.execute(hint)) {
        deps.logger.info({ weiboUid: hint.uid }, 'Weibo deauthorization confirmed: revoked');
      }
    } catch (error) {
      // Weibo learns nothing from the answer, and would not retry: the failure is logged only.
      deps.logger.error({ err: error }, 'Weibo deauthorization could not be checked');
    }
    return answerJson(c, { code: 200 as const }, 200);
  });
  return app;
}

/** `uid` and `source`, from the query or a form body; the first value of each. */
async function hintOf(c: Context): Promise<{ uid?: string; source?: string }> {
  const small = Number(c.req.header('content-length')) <= MAX_BODY_BYTES;
  const form =
    c.req.method === 'POST' && small && c.req.header('content-type')?.includes('form')
      ? await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
      : {};
  const pick = (name: string) => {
    const value = form[name] ?? c.req.query(name);
    return typeof value === 'string' ? value : undefined;
  };
  return { uid: pick('uid'), source: pick('source') };
}
