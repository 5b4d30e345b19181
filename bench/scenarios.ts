import type autocannon from 'autocannon';
import { collect, failures, fromPool, load, type Measured } from './load.ts';
import { spawnServer, spawnTs, waitForLine } from './processes.ts';

export const WEIBO_CLIENT = {
  WEIBO_CLIENT_ID: 'bench-client',
  WEIBO_CLIENT_SECRET: 'bench-secret-not-a-real-one',
  WEIBO_REDIRECT_URI: 'http://127.0.0.1/callback.html',
};

export interface Sizes {
  /** Seconds each measurement runs. */
  seconds: number;
  /** Seconds of load before a measurement, not counted (JIT, connection pools). */
  warmSeconds: number;
  /** Prepared states and codes for the bound-user logins. */
  logins: number;
  /** Prepared codes for the fake Weibo's token endpoint alone. */
  tokenCodes: number;
  /** Prepared bind tokens. */
  binds: number;
}

/** Problems met while measuring, reported under the table (and failing the run). */
export const problems: string[] = [];

/**
 * Reports answers that were not the expected ones: a few (1 %) are printed, more are a broken
 * scenario. A prepared pool that ran dry resends its last item until autocannon stops, and
 * those answers fail by design: they are counted out first.
 */
function note(name: string, measured: Measured, pool?: { ranDry(): boolean; overrun(): number }) {
  const failed = failures(measured);
  const overrun = pool?.overrun() ?? 0;
  const bad = measured.other + measured.errors - overrun;
  const tolerated = Math.max(60, measured.ok * 0.01);
  if (bad > tolerated) problems.push(`${name}: ${failed}`);
  else if (failed) {
    const dry = pool?.ranDry() ? `, the pool ran dry (${overrun} sent after it)` : '';
    console.log(`  (${name}: ${failed}${dry})`);
  }
}

async function warmAndLoad(
  name: string,
  sizes: Sizes,
  options: Parameters<typeof load>[0],
): Promise<Measured> {
  if (sizes.warmSeconds > 0) await load({ ...options, seconds: sizes.warmSeconds });
  const measured = await load({ ...options, seconds: sizes.seconds });
  note(name, measured);
  return measured;
}

/** A server of bench/peers measured alone, then stopped. */
export async function peer(
  name: string,
  file: string,
  sizes: Sizes,
  env: NodeJS.ProcessEnv,
  request: { path: string; okStatus: number },
): Promise<Measured> {
  const server = await spawnServer(file, env);
  try {
    return await warmAndLoad(name, sizes, { url: server.url, ...request });
  } finally {
    await server.stop();
  }
}

const AUTHORIZATION = '/v1/users/weibo/authorization';
const CALLBACK = '/v1/users/weibo/users';
const APP_LOGIN = '/v1/users/weibo/app-login';
const BINDING_COOKIE = 'weibo_auth_binding';

export function authorize(name: string, serviceUrl: string, sizes: Sizes): Promise<Measured> {
  return warmAndLoad(name, sizes, { url: serviceUrl, path: AUTHORIZATION });
}

interface PendingLogin {
  state: string;
  /** The browser-binding cookie, `name=value`. */
  cookie: string;
}

/** The first value of a header, whatever the case the server wrote its name in. */
function firstHeader(headers: Record<string, unknown>, name: string): string {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return String(Array.isArray(value) ? value[0] : (value ?? ''));
}

/** `count` login starts, as many browsers (each its own binding cookie). */
async function startLogins(serviceUrl: string, count: number): Promise<PendingLogin[]> {
  const pending: PendingLogin[] = [];
  await collect(
    serviceUrl,
    count,
    () => ({ method: 'GET', path: AUTHORIZATION }),
    (status, body, headers) => {
      if (status !== 200) return;
      const state = new URL(JSON.parse(body).oauth_url).searchParams.get('state');
      const cookie = firstHeader(headers, 'set-cookie').split(';')[0] ?? '';
      if (state && cookie.startsWith(`${BINDING_COOKIE}=`)) pending.push({ state, cookie });
    },
  );
  if (pending.length < count * 0.99) {
    throw new Error(`only ${pending.length} of ${count} login starts answered 200`);
  }
  return pending;
}

/** One authorization code per uid from the fake Weibo (its `POST /bench/codes`). */
async function issueCodes(weiboUrl: string, uids: string[]): Promise<string[]> {
  const codes: string[] = [];
  for (let start = 0; start < uids.length; start += 20_000) {
    const response = await fetch(`${weiboUrl}/bench/codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uids: uids.slice(start, start + 20_000) }),
    });
    if (!response.ok) throw new Error(`fake Weibo codes: ${response.status}`);
    codes.push(...((await response.json()) as string[]));
  }
  return codes;
}

function callbackRequest(login: PendingLogin, code: string): autocannon.Request {
  const query = new URLSearchParams({ code, state: login.state });
  return { method: 'GET', path: `${CALLBACK}?${query}`, headers: { cookie: login.cookie } };
}

export interface BoundUser {
  uid: string;
  username: string;
}

export const PASSWORD = 'bench password 1';

/**
 * Binds: bind tokens prepared through callbacks for fresh Weibo uids from `firstUid` on (201
 * with bind_token), then each POSTed once with its own username. Returns who got bound.
 */
export async function bind(
  serviceUrl: string,
  weiboUrl: string,
  sizes: Sizes,
  firstUid = 6_000_000_000,
): Promise<{ measured: Measured; bound: BoundUser[] }> {
  const logins = await startLogins(serviceUrl, sizes.binds);
  const uids = logins.map((_, index) => String(firstUid + index));
  const codes = await issueCodes(weiboUrl, uids);
  const tokens: Array<{ uid: string; bindToken: string }> = [];
  await collect(
    serviceUrl,
    logins.length,
    (index) => callbackRequest(logins[index] as PendingLogin, codes[index] as string),
    (status, body) => {
      const answer = status === 200 ? JSON.parse(body) : undefined;
      if (answer?.code === 201) tokens.push({ uid: answer.uid, bindToken: answer.bind_token });
    },
  );
  if (tokens.length < logins.length * 0.99) {
    throw new Error(`only ${tokens.length} of ${logins.length} callbacks gave a bind token`);
  }
  const uidOf = new Map<string, string>();
  const pool = fromPool(tokens, ({ uid, bindToken }) => {
    const username = `bench_${uid}`;
    uidOf.set(username, uid);
    return {
      method: 'POST',
      path: CALLBACK,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        bind_token: bindToken,
        uid,
        username,
        password: PASSWORD,
        phone: '+8613800000000',
        email: `${username}@example.com`,
      }),
    };
  });
  const bound: BoundUser[] = [];
  const onResponse = (status: number, body: string) => {
    if (status !== 200) return;
    const { username } = JSON.parse(body) as { username: string };
    bound.push({ username, uid: uidOf.get(username) ?? '' });
  };
  const requests = pool.requests.map((request) => ({ ...request, onResponse }));
  const measured = await load({ url: serviceUrl, seconds: sizes.seconds, requests }, pool.attach);
  note('bind', measured, pool);
  return { measured, bound };
}

/** argon2id hashes per second alone, 50 in flight, in a process of its own. */
export async function argon2Alone(sizes: Sizes, concurrency: number): Promise<Measured> {
  const child = spawnTs('argon2-hashes.ts', {
    BENCH_SECONDS: String(sizes.seconds),
    BENCH_CONCURRENCY: String(concurrency),
  });
  try {
    const line = await waitForLine(child, /^result (.*)$/, sizes.seconds * 1000 + 60_000);
    const { perSecond, p99Ms, hashes } = JSON.parse(line);
    return {
      perSecond,
      p50Ms: Number.NaN,
      p99Ms,
      ok: hashes,
      other: 0,
      errors: 0,
      seconds: sizes.seconds,
      statuses: {},
    };
  } finally {
    await child.stop();
  }
}

/**
 * Bound-user logins: states prepared by authorize calls, codes for uids already bound (in
 * turn, so concurrent logins seldom touch the same account), each callback signing in.
 */
export async function boundLogin(
  serviceUrl: string,
  weiboUrl: string,
  bound: BoundUser[],
  sizes: Sizes,
): Promise<Measured> {
  if (bound.length === 0) throw new Error('no bound user to log in with');
  const logins = await startLogins(serviceUrl, sizes.logins);
  const codes = await issueCodes(
    weiboUrl,
    logins.map((_, index) => (bound[index % bound.length] as BoundUser).uid),
  );
  const pool = fromPool(logins, (login, index) => callbackRequest(login, codes[index] as string));
  const measured = await load(
    {
      url: serviceUrl,
      seconds: sizes.seconds,
      requests: pool.requests,
      verify: (body) => body.includes('"code":200'),
    },
    pool.attach,
  );
  note('bound-user login', measured, pool);
  return measured;
}

/** The fake Weibo's token endpoint alone (a process of its own), each code used once. */
/**
 * App logins (endpoint 12) of bound users, as a phone sends them with the token the Weibo SDK
 * handed it: an access token can sign in again and again, so a few hundred of them, issued to
 * this app by the fake Weibo, are sent in turn. Each is checked with `get_token_info`.
 */
export async function appLogin(
  serviceUrl: string,
  weiboUrl: string,
  bound: BoundUser[],
  sizes: Sizes,
): Promise<Measured> {
  const users = bound.slice(0, 500);
  if (users.length === 0) throw new Error('no bound user to log in with');
  const response = await fetch(`${weiboUrl}/bench/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uids: users.map(({ uid }) => uid) }),
  });
  if (!response.ok) throw new Error(`fake Weibo tokens: ${response.status}`);
  const tokens = (await response.json()) as string[];
  const bodies = users.map(({ uid }, index) =>
    JSON.stringify({ access_token: tokens[index], uid }),
  );
  let next = 0;
  return warmAndLoad('app login', sizes, {
    url: serviceUrl,
    requests: [
      {
        method: 'POST',
        path: APP_LOGIN,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          next = (next + 1) % bodies.length;
          return { ...request, body: bodies[next] };
        },
      },
    ],
    verify: (body) => body.includes('"code":200'),
  });
}

export async function tokenEndpointAlone(sizes: Sizes): Promise<Measured> {
  const weibo = await spawnServer('fake-weibo.ts', WEIBO_CLIENT);
  try {
    const codes = await issueCodes(
      weibo.url,
      Array.from({ length: sizes.tokenCodes }, (_, index) => String(7_000_000_000 + index)),
    );
    const form = (code: string) =>
      new URLSearchParams({
        client_id: WEIBO_CLIENT.WEIBO_CLIENT_ID,
        client_secret: WEIBO_CLIENT.WEIBO_CLIENT_SECRET,
        grant_type: 'authorization_code',
        redirect_uri: WEIBO_CLIENT.WEIBO_REDIRECT_URI,
        code,
      }).toString();
    const pool = fromPool(codes, (code) => ({
      method: 'POST',
      path: '/oauth2/access_token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(code),
    }));
    const measured = await load(
      {
        url: weibo.url,
        seconds: sizes.seconds,
        requests: pool.requests,
        verify: (body) => body.includes('access_token'),
      },
      pool.attach,
    );
    note('fake Weibo token endpoint alone', measured, pool);
    return measured;
  } finally {
    await weibo.stop();
  }
}

/** GET /v1/users/me with the login token of a password sign-in. */
export async function signedInRead(
  serviceUrl: string,
  user: BoundUser,
  sizes: Sizes,
): Promise<Measured> {
  const response = await fetch(`${serviceUrl}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: PASSWORD }),
  });
  const answer = (await response.json()) as { token?: string };
  if (!response.ok || !answer.token) {
    throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(answer)}`);
  }
  return warmAndLoad('signed-in read', sizes, {
    url: serviceUrl,
    path: '/v1/users/me',
    headers: { authorization: `Bearer ${answer.token}` },
  });
}
