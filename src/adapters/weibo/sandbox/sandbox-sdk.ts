import { Hono } from 'hono';
import { TOKEN_LIFETIME_SECONDS, weiboError, weiboJson } from './sandbox-answers.ts';
import { SANDBOX_USERS, type SandboxUser } from './sandbox-users.ts';

const UID = /^[0-9]{1,20}$/;

export interface SandboxSdkDeps {
  issueToken(user: SandboxUser, appKey?: string, lifetime?: number): string;
  /** Kills every token of this app the user holds. */
  forgetTokensOf(uid: string): void;
  appKey: string;
  /** The app's cancel-authorization URL, once known. */
  deauthorizationUrl?: () => string | undefined;
}

/**
 * What the Weibo app on a phone does, for trying a native app's sign-in with curl:
 * `POST /sdk/authorize` (form `uid`, optional `app_key`, `expires_in`) answers what the SDK
 * hands the app once the user approves; `POST /sdk/remove-app` (form `uid`) is the user
 * removing the app in Weibo's settings: their tokens die and Weibo calls the app's
 * cancel-authorization URL with `uid` and `source`.
 */
export function sandboxSdk(deps: SandboxSdkDeps) {
  const app = new Hono();

  app.post('/authorize', async (c) => {
    const form = await c.req.parseBody();
    const uid = typeof form.uid === 'string' ? form.uid.trim() : '';
    if (!UID.test(uid)) return weiboError(c, 400, 10017, 'invalid_parameter_uid');
    const appKey = typeof form.app_key === 'string' && form.app_key ? form.app_key : undefined;
    const asked = typeof form.expires_in === 'string' ? form.expires_in : '';
    const expiresIn = /^[0-9]{1,9}$/.test(asked) ? Number(asked) : TOKEN_LIFETIME_SECONDS;
    const preset = SANDBOX_USERS.find((user) => user.uid === uid);
    const accessToken = deps.issueToken({ ...preset, uid }, appKey, expiresIn);
    return weiboJson(c, 200, { access_token: accessToken, uid, expires_in: expiresIn });
  });

  app.post('/remove-app', async (c) => {
    const uid = (await c.req.parseBody()).uid;
    if (typeof uid !== 'string' || !UID.test(uid)) {
      return weiboError(c, 400, 10017, 'invalid_parameter_uid');
    }
    deps.forgetTokensOf(uid);
    const target = deps.deauthorizationUrl?.();
    const notified = target ? await notify(target, uid, deps.appKey) : false;
    return weiboJson(c, 200, { result: 'true', notified });
  });
  return app;
}

/** Weibo's call to the cancel-authorization URL, as a form POST; true when it answered 200. */
async function notify(url: string, uid: string, appKey: string): Promise<boolean> {
  const body = new URLSearchParams({ uid, source: appKey });
  try {
    const answer = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(5_000) });
    await answer.body?.cancel();
    return answer.ok;
  } catch {
    return false;
  }
}
