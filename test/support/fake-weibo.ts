import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface FakeWeiboUser {
  uid: string;
  screenName?: string;
  avatarHd?: string;
  avatarLarge?: string;
  profileImageUrl?: string;
}

/** How the next call to access_token (or, for profile*, to users/show) misbehaves. */
export type WeiboFault =
  | 'http500'
  | 'html400'
  | 'error200'
  | 'slow'
  | 'profileDown'
  | 'profileSlow';

export interface WeiboCall {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
}

const PROFILE_FAULTS: ReadonlySet<WeiboFault> = new Set(['profileDown', 'profileSlow']);
const DEFAULT_UID = '1404376560';
const TOKEN_LIFETIME_SECONDS = 157679999;

/**
 * A stand-in for api.weibo.com: single-use codes, tokens, the users/show profile, and faults
 * injected one call at a time. Like Weibo, it sends its JSON as text/plain.
 */
export function createFakeWeibo(client: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}) {
  const codes = new Map<string, FakeWeiboUser>();
  const tokens = new Map<string, FakeWeiboUser>();
  const faults = { token: [] as Fault[], profile: [] as Fault[] };
  const calls: WeiboCall[] = [];
  let server: Server | undefined;

  function issueCode(user: FakeWeiboUser): string {
    const code = randomBytes(16).toString('hex');
    codes.set(code, user);
    return code;
  }

  const app = new Hono();

  app.use(async (c, next) => {
    const form: Record<string, string> = {};
    if (c.req.method === 'POST') {
      for (const [name, value] of Object.entries(await c.req.parseBody())) {
        if (typeof value === 'string') form[name] = value;
      }
    }
    calls.push({ method: c.req.method, path: c.req.path, query: c.req.query(), form });
    await next();
  });

  app.get('/oauth2/authorize', (c) => {
    const state = c.req.query('state');
    if (c.req.query('client_id') !== client.clientId) {
      return weiboError(c, 400, 21324, 'invalid_client');
    }
    if (c.req.query('redirect_uri') !== client.redirectUri) {
      return weiboError(c, 400, 21322, 'redirect_uri_mismatch');
    }
    const target = new URL(client.redirectUri);
    target.searchParams.set('code', issueCode({ uid: c.req.query('uid') ?? DEFAULT_UID }));
    if (state !== undefined) target.searchParams.set('state', state);
    return c.redirect(target.toString(), 302);
  });

  app.post('/oauth2/access_token', async (c) => {
    const fault = await applyFault(c, faults.token.shift());
    if (fault) return fault;
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

  app.get('/2/users/show.json', async (c) => {
    const fault = await applyFault(c, faults.profile.shift());
    if (fault) return fault;
    const user = tokens.get(c.req.query('access_token') ?? '');
    if (user === undefined) return weiboError(c, 403, 21332, 'invalid_access_token');
    if (c.req.query('uid') !== user.uid) return weiboError(c, 400, 20003, 'User does not exists!');
    return weiboJson(c, 200, {
      id: Number(user.uid),
      idstr: user.uid,
      screen_name: user.screenName ?? `用户${user.uid}`,
      profile_image_url: user.profileImageUrl,
      avatar_large: user.avatarLarge,
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

  return {
    app,
    calls,
    issueCode,
    /**
     * Makes the next call of the fault's endpoint misbehave; later calls answer well again. A slow
     * call still answers (and uses up its code) after delayMs.
     */
    failNext(kind: WeiboFault, options: { delayMs?: number } = {}) {
      const fault = { kind, delayMs: options.delayMs ?? 1000 };
      (PROFILE_FAULTS.has(kind) ? faults.profile : faults.token).push(fault);
    },
    /** Forgets recorded calls and pending faults; issued codes and tokens stay valid. */
    reset() {
      calls.length = 0;
      faults.token.length = 0;
      faults.profile.length = 0;
    },
    /** Listens on 127.0.0.1 (any free port by default) and resolves its base URL. */
    start(port = 0): Promise<string> {
      return new Promise((resolve, reject) => {
        // Without a createServer option, serve() builds a plain node:http server.
        const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) =>
          resolve(`http://127.0.0.1:${info.port}`),
        ) as Server;
        started.once('error', reject);
        server = started;
      });
    },
    stop(): Promise<void> {
      const running = server;
      server = undefined;
      if (running === undefined) return Promise.resolve();
      return new Promise((resolve, reject) => {
        running.close((error) => (error ? reject(error) : resolve()));
        // Slow answers and keep-alive sockets would otherwise hold close() open.
        running.closeAllConnections();
      });
    },
  };
}

export type FakeWeibo = ReturnType<typeof createFakeWeibo>;

type Fault = { kind: WeiboFault; delayMs: number };

/** Answers in place of the endpoint, or returns undefined to let it answer (after a delay). */
async function applyFault(c: Context, fault: Fault | undefined): Promise<Response | undefined> {
  switch (fault?.kind) {
    case undefined:
      return undefined;
    case 'http500':
    case 'profileDown':
      return c.html('<html><body><h1>500 Internal Server Error</h1></body></html>', 500);
    case 'html400':
      return c.html('<html><body><h1>400 Bad Request</h1></body></html>', 400);
    case 'error200':
      return invalidGrant(c, 200, String((await c.req.parseBody()).code ?? ''));
    case 'slow':
    case 'profileSlow':
      await sleep(fault.delayMs);
      return undefined;
  }
}

function invalidGrant(c: Context, status: ContentfulStatusCode, code: string): Response {
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
