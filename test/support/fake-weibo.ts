import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { type Context, Hono, type Next } from 'hono';
import type { SandboxUser } from '../../src/adapters/weibo/sandbox/sandbox-users.ts';
import {
  createWeiboSandbox,
  invalidGrant,
  type SandboxClient,
} from '../../src/adapters/weibo/sandbox/weibo-sandbox.ts';

export type FakeWeiboUser = SandboxUser;

/**
 * How the next call to access_token (or, for profile*, to users/show; friends*, to
 * friendships/friends; revoke*, to revokeoauth2) misbehaves:
 * - http500, profileDown, friendsDown, revokeDown: an HTML page with HTTP 500;
 * - slow, profileSlow, friendsSlow, revokeSlow: the real answer after `delayMs`;
 * - absurdExpiry: the real token answer with `expires_in` set to `expiresIn` (left out when
 *   that is undefined);
 * - bigBody, profileBigBody, friendsBigBody: the real answer preceded by as many spaces as make
 *   it `bytes` long (200 MB by default), still valid JSON, generated as it is sent, without
 *   Content-Length unless `announced`;
 * - slowBody: the headers at once, then the real answer one byte every `delayMs`;
 * - friendsExpired: Weibo's token error, `errorCode` (21327 expired_token by default) with
 *   `status` (400 by default); friendsOtherError: another error, 10014 with 403 by default;
 * - friendsAnswer, revokeAnswer, tokenInfoAnswer: `answer` as JSON (a string as it is) with
 *   `status` (200);
 * - rateLimited, profileRateLimited, friendsRateLimited, tokenInfoRateLimited, revokeRateLimited:
 *   Weibo's rate limit, `errorCode` (10022 by default) with `status` (403 by default). A 10022
 *   pauses every instance on the same Redis: give a service on the shared Redis 10023;
 * - operatorError: an error only the operator can fix, `errorCode` (21323 by default), HTTP 400;
 * - tokenInfoExpired: get_token_info's token error, `errorCode` (21327 by default), HTTP 400;
 *   tokenInfoDown: an HTML page with HTTP 500.
 */
export type WeiboFault =
  | 'http500'
  | 'html400'
  | 'error200'
  | 'slow'
  | 'absurdExpiry'
  | 'bigBody'
  | 'slowBody'
  | 'profileDown'
  | 'profileSlow'
  | 'profileBigBody'
  | 'friendsExpired'
  | 'friendsOtherError'
  | 'friendsDown'
  | 'friendsSlow'
  | 'friendsBigBody'
  | 'friendsAnswer'
  | 'revokeDown'
  | 'revokeSlow'
  | 'revokeAnswer'
  | 'rateLimited'
  | 'profileRateLimited'
  | 'friendsRateLimited'
  | 'tokenInfoRateLimited'
  | 'revokeRateLimited'
  | 'operatorError'
  | 'tokenInfoExpired'
  | 'tokenInfoDown'
  | 'tokenInfoAnswer';

export interface WeiboFaultOptions {
  delayMs?: number;
  expiresIn?: unknown;
  bytes?: number;
  announced?: boolean;
  errorCode?: number;
  status?: number;
  answer?: unknown;
}

export interface WeiboCall {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  /** The `API-RemoteIP` header, when sent. */
  remoteIp?: string;
}

type Fault = { kind: WeiboFault; delayMs: number; bytes: number } & WeiboFaultOptions;

// tokenInfo before token: a fault belongs to the first endpoint its name starts with.
const ENDPOINTS = ['tokenInfo', 'token', 'profile', 'friends', 'revoke'] as const;
type Endpoint = (typeof ENDPOINTS)[number];

function endpointOf(kind: WeiboFault): Endpoint {
  return ENDPOINTS.find((endpoint) => kind.startsWith(endpoint)) ?? 'token';
}

const RATE_LIMIT_ERRORS: Record<number, string> = {
  10022: 'IP requests out of rate limit',
  10023: 'User requests out of rate limit',
  10024: 'User requests for (statuses/update) out of rate limit',
};
const TOKEN_ERRORS: Record<number, string> = {
  21301: 'auth faid',
  21319: 'accessor was revoked',
  21327: 'expired_token',
  21332: 'invalid_access_token',
};

/**
 * The sandbox Weibo on a port of its own, with the calls it received recorded and faults
 * injected one call at a time.
 */
export function createFakeWeibo(client: SandboxClient) {
  let deauthorizationUrl: string | undefined;
  const sandbox = createWeiboSandbox(client, '', { deauthorizationUrl: () => deauthorizationUrl });
  const faults: Record<Endpoint, Fault[]> = {
    tokenInfo: [],
    token: [],
    profile: [],
    friends: [],
    revoke: [],
  };
  const calls: WeiboCall[] = [];
  let server: Server | undefined;
  let baseUrl = '';

  const app = new Hono();
  app.use(async (c, next) => {
    const form: Record<string, string> = {};
    if (c.req.method === 'POST') {
      for (const [name, value] of Object.entries(await c.req.parseBody())) {
        if (typeof value === 'string') form[name] = value;
      }
    }
    const remoteIp = c.req.header('api-remoteip');
    calls.push({
      method: c.req.method,
      path: c.req.path,
      query: c.req.query(),
      form,
      ...(remoteIp && { remoteIp }),
    });
    await next();
  });
  app.use('/oauth2/access_token', (c, next) => applyFault(c, next, faults.token.shift()));
  app.use('/2/users/show.json', (c, next) => applyFault(c, next, faults.profile.shift()));
  app.use('/2/friendships/friends.json', (c, next) => applyFault(c, next, faults.friends.shift()));
  app.use('/oauth2/revokeoauth2', (c, next) => applyFault(c, next, faults.revoke.shift()));
  app.use('/oauth2/get_token_info', (c, next) => applyFault(c, next, faults.tokenInfo.shift()));
  app.route('/', sandbox.app);

  return {
    app,
    calls,
    issueCode: sandbox.issueCode,
    /**
     * A token as the Weibo app hands it to a native app: for `appKey` (this client's by
     * default: another app's token is valid at Weibo all the same), living `expiresIn` s.
     */
    issueAppToken(user: FakeWeiboUser, options: { appKey?: string; expiresIn?: number } = {}) {
      return sandbox.issueToken(user, options.appKey, options.expiresIn);
    },
    /** Where "removing the app" (POST /sdk/remove-app) makes Weibo call the service. */
    deauthorizeTo(url: string) {
      deauthorizationUrl = url;
    },
    /**
     * Makes the next call of the fault's endpoint misbehave; later calls answer well again. A slow
     * call still answers (and uses up its code) after delayMs.
     */
    failNext(kind: WeiboFault, options: WeiboFaultOptions = {}) {
      const fault = {
        ...options,
        kind,
        delayMs: options.delayMs ?? 1000,
        bytes: options.bytes ?? 2e8,
      };
      faults[endpointOf(kind)].push(fault);
    },
    /** Forgets recorded calls and pending faults; issued codes and tokens stay valid. */
    reset() {
      calls.length = 0;
      for (const endpoint of ENDPOINTS) faults[endpoint].length = 0;
    },
    /** The base URL it listens at, once started. */
    url: () => baseUrl,
    /** Listens on 127.0.0.1 (any free port by default) and resolves its base URL. */
    start(port = 0): Promise<string> {
      return new Promise((resolve, reject) => {
        const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
          baseUrl = `http://127.0.0.1:${info.port}`;
          resolve(baseUrl);
        }) as Server;
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

/** Answers in place of the endpoint, or lets it answer (after a delay, or then mangled). */
async function applyFault(
  c: Context,
  next: Next,
  fault: Fault | undefined,
): Promise<Response | undefined> {
  switch (fault?.kind) {
    case 'http500':
    case 'profileDown':
    case 'friendsDown':
    case 'revokeDown':
      return c.html('<html><body><h1>500 Internal Server Error</h1></body></html>', 500);
    case 'html400':
      return c.html('<html><body><h1>400 Bad Request</h1></body></html>', 400);
    case 'error200':
      return invalidGrant(c, 200, String((await c.req.parseBody()).code ?? ''));
    case 'friendsExpired':
    case 'friendsOtherError': {
      const expired = fault.kind === 'friendsExpired';
      const error = expired ? 'expired_token' : 'permission_denied';
      const errorCode = fault.errorCode ?? (expired ? 21327 : 10014);
      const body = JSON.stringify({ error, error_code: errorCode, request: c.req.path });
      return textPlain(body, fault.status ?? (expired ? 400 : 403));
    }
    case 'rateLimited':
    case 'profileRateLimited':
    case 'friendsRateLimited':
    case 'tokenInfoRateLimited':
    case 'revokeRateLimited': {
      const errorCode = fault.errorCode ?? 10022;
      const error = RATE_LIMIT_ERRORS[errorCode] ?? 'out of rate limit';
      const body = JSON.stringify({ request: c.req.path, error_code: errorCode, error });
      return textPlain(body, fault.status ?? 403);
    }
    case 'operatorError': {
      const errorCode = fault.errorCode ?? 21323;
      const body = { error: 'invalid_client', error_code: errorCode, request: c.req.path };
      return textPlain(JSON.stringify(body), fault.status ?? 400);
    }
    case 'tokenInfoExpired': {
      const errorCode = fault.errorCode ?? 21327;
      const error = TOKEN_ERRORS[errorCode] ?? 'invalid_access_token';
      const body = { error, error_code: errorCode, request: c.req.path };
      return textPlain(JSON.stringify(body), fault.status ?? 400);
    }
    case 'tokenInfoDown':
      return c.html('<html><body><h1>500 Internal Server Error</h1></body></html>', 500);
    case 'friendsAnswer':
    case 'tokenInfoAnswer':
    case 'revokeAnswer': {
      const { answer } = fault;
      return textPlain(typeof answer === 'string' ? answer : JSON.stringify(answer), fault.status);
    }
    case 'slow':
    case 'profileSlow':
    case 'friendsSlow':
    case 'revokeSlow':
      await sleep(fault.delayMs);
  }
  await next();
  switch (fault?.kind) {
    case 'absurdExpiry': {
      const answer = (await c.res.json()) as object;
      replaceAnswer(c, JSON.stringify({ ...answer, expires_in: fault.expiresIn }));
      break;
    }
    case 'bigBody':
    case 'profileBigBody':
    case 'friendsBigBody': {
      const answer = await c.res.text();
      const padding = fault.bytes - Buffer.byteLength(answer);
      replaceAnswer(c, streamed(padding, answer), fault.announced ? fault.bytes : undefined);
      break;
    }
    case 'slowBody':
      replaceAnswer(c, streamed(0, await c.res.text(), fault.delayMs));
  }
  return undefined;
}

function textPlain(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
}

/** Sends `body` with the status of the endpoint's answer, as text/plain like Weibo. */
function replaceAnswer(c: Context, body: string | ReadableStream<Uint8Array>, length?: number) {
  const headers = new Headers({ 'content-type': 'text/plain;charset=UTF-8' });
  if (length !== undefined) headers.set('content-length', String(length));
  const status = c.res.status;
  // Forgets the endpoint's answer first, or its headers (Content-Length...) would be copied over.
  c.res = undefined;
  c.res = new Response(body, { status, headers });
}

/**
 * `spaces` spaces then `text`, produced only as fast as the client reads (or one byte every
 * `byteDelayMs`), so that not even the test process holds the whole body.
 */
function streamed(spaces: number, text: string, byteDelayMs = 0): ReadableStream<Uint8Array> {
  const blank = new Uint8Array(64 * 1024).fill(0x20);
  const tail = new TextEncoder().encode(text);
  const padding = Math.max(0, spaces);
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (byteDelayMs > 0) await sleep(byteDelayMs);
      const size = byteDelayMs > 0 ? 1 : blank.byteLength;
      const chunk =
        sent < padding
          ? blank.subarray(0, Math.min(size, padding - sent))
          : tail.subarray(sent - padding, sent - padding + size);
      if (chunk.byteLength === 0) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}
