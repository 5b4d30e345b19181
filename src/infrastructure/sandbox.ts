import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { demoRoutes } from '../adapters/http/demo-routes.ts';
import { DEAUTHORIZATION_PATH } from '../adapters/http/weibo-app-routes.ts';
import { createWeiboSandbox } from '../adapters/weibo/sandbox/weibo-sandbox.ts';
import type { WeiboConfig } from './config.ts';

export const SANDBOX_PATH = '/sandbox/weibo';

/** The sandbox Weibo served by the service itself at `url`, with credentials of its own. */
export function sandboxWeibo(url: string, logger: Logger) {
  const weibo: WeiboConfig = {
    clientId: 'weibo-auth-sandbox',
    clientSecret: randomBytes(16).toString('hex'),
    redirectUri: `${url}/callback.html`,
    scope: '',
    apiBaseUrl: `${url}${SANDBOX_PATH}`,
    mobileAuthorizeUrl: `${url}${SANDBOX_PATH}/oauth2/authorize`,
    timeoutMs: 5_000,
  };
  logger.warn(
    `SANDBOX WEIBO ON at ${weibo.apiBaseUrl}: logins are make-believe. ` +
      'Set WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and WEIBO_REDIRECT_URI to use the real Weibo.',
  );
  // A sandbox user who removes the app makes the sandbox call this service, as Weibo would.
  const deauthorizationUrl = () => `${url}${DEAUTHORIZATION_PATH}`;
  const sandbox = createWeiboSandbox(weibo, weibo.apiBaseUrl, { deauthorizationUrl });
  return { weibo, app: sandbox.app };
}

/** The demo front-end outside production, and the sandbox Weibo when it is on. */
export function developmentApps(production: boolean, sandbox: Hono | undefined) {
  const mounts = production ? [] : [{ path: '/', app: demoRoutes() }];
  return sandbox ? [...mounts, { path: SANDBOX_PATH, app: sandbox }] : mounts;
}
