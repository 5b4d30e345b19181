import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../../src/application/errors.ts';
import { InMemoryStore } from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';
import {
  answerOf,
  failingApp,
  isSessionOperation,
  openApiConformance,
  rejecting,
} from '../support/openapi-conformance.ts';
import {
  type Answer,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// Refresh and sign-out (SPEC endpoints 10 and 11) against the document; the login endpoints are
// walked in openapi-conformance.test.ts, the account API in openapi-conformance-account.test.ts.

const REFRESH = 'post /v1/tokens/refresh';
const REVOKE = 'post /v1/tokens/revoke';
const LIST = 'get /v1/users/me/sessions';
const END = 'delete /v1/users/me/sessions/{id}';
const END_ALL = 'delete /v1/users/me/sessions';
const PASSWORD = 'correct horse battery';
const PER_MINUTE = 200;

let sut: ServiceUnderTest;
const contract = openApiConformance();
const { expectAnswer, expectSharedAnswer } = contract;

beforeAll(async () => {
  sut = await startServiceUnderTest({
    // In-process counters: the limit counts this file's requests only.
    REDIS_URL: undefined,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    TRUST_PROXY: 'true',
  });
  await contract.load(sut.service.url);
});
afterAll(() => sut?.stop());

/** `method path`, with a login token and a JSON body (a string as it is) when given. */
async function request(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const { token, body } = options;
  const headers = {
    ...(token !== undefined && { authorization: `Bearer ${token}` }),
    ...(body !== undefined && { 'content-type': 'application/json' }),
    ...options.headers,
  };
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return answerOf(await fetch(`${sut.service.url}${path}`, { method, headers, body: text }));
}

/** A new account through the callback and the bind form: its tokens and its session id. */
async function newUser() {
  const browser = sut.browser();
  const state = await browser.startLogin();
  const login = await browser.callback(sut.weibo.issueCode({ uid: freshUid() }), state);
  expect(login.body.code).toBe(201);
  const username = `sess_${freshUid()}`;
  const bound = await browser.post('/v1/users/weibo/users', {
    bind_token: login.body.bind_token,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'sess@example.com',
  });
  expect(bound.body.code).toBe(200);
  const token = bound.body.token as string;
  return {
    username,
    token,
    refreshToken: bound.body.refresh_token as string,
    bindToken: login.body.bind_token as string,
    sessionId: await currentSession(token),
  };
}

/** Another session of `username`, by password. */
async function signIn(username: string) {
  const answer = await request('POST', '/v1/tokens', { body: { username, password: PASSWORD } });
  expect(answer.body.code).toBe(200);
  const token = answer.body.token as string;
  return { token, refreshToken: answer.body.refresh_token as string };
}

/** The id of the session of `token`, from the documented list. */
async function currentSession(token: string): Promise<string> {
  const listed = expectAnswer(
    LIST,
    await request('GET', '/v1/users/me/sessions', { token }),
    200,
    200,
  );
  return listed.body.sessions.find((session: { current: boolean }) => session.current).id;
}

const refresh = (refreshToken: unknown, path = '/v1/tokens/refresh') =>
  request('POST', path, { body: { refresh_token: refreshToken } });
const revoke = (body: unknown, path = '/v1/tokens/revoke') => request('POST', path, { body });

/** The signed-in operations, each with a request its checks would otherwise accept. */
const SIGNED_IN: Array<[string, string, string]> = [
  [LIST, 'GET', '/v1/users/me/sessions'],
  [END, 'DELETE', `/v1/users/me/sessions/${randomUUID()}`],
  [END_ALL, 'DELETE', '/v1/users/me/sessions'],
];

describe('the running service answers refresh and sign-out as its document says', () => {
  it('POST /v1/tokens/refresh: a new pair, then 10165 for the used token', async () => {
    const user = await newUser();
    const refreshed = expectAnswer(REFRESH, await refresh(user.refreshToken), 200, 200);
    expect(refreshed.body).toMatchObject({ username: user.username, expires_in: 3600 });
    expectAnswer(REFRESH, await refresh(user.refreshToken), 401, 10165);
    expectAnswer(REFRESH, await refresh(refreshed.body.refresh_token), 401, 10165);
    for (const unknown of ['x'.repeat(43), '', 7, null]) {
      expectAnswer(REFRESH, await refresh(unknown), 401, 10165);
    }
    for (const bad of [
      '{"refresh_token":',
      '[]',
      JSON.stringify({ refresh_token: 'a'.repeat(17 * 1024) }),
    ]) {
      expectAnswer(REFRESH, await request('POST', '/v1/tokens/refresh', { body: bad }), 400, 10155);
    }
    const other = await signIn(user.username);
    const twice = await refresh(other.refreshToken, '/v1/tokens/refresh?a=1&a=2');
    expectAnswer(REFRESH, twice, 400, 10100);
  });

  it('POST /v1/tokens/revoke: 200 whether the token was known or not', async () => {
    const user = await newUser();
    expectAnswer(REVOKE, await revoke({ refresh_token: user.refreshToken }), 200, 200);
    expectAnswer(REFRESH, await refresh(user.refreshToken), 401, 10165);
    for (const body of [
      { refresh_token: user.refreshToken },
      { refresh_token: 'unknown-token' },
      { refresh_token: 7 },
      {},
    ]) {
      expectAnswer(REVOKE, await revoke(body), 200, 200);
    }
    for (const bad of ['{"refresh_token":', '[]']) {
      expectAnswer(REVOKE, await revoke(bad), 400, 10155);
    }
    const twice = await revoke({ refresh_token: 'x' }, '/v1/tokens/revoke?a=1&a=2');
    expectAnswer(REVOKE, twice, 400, 10100);
  });

  it('GET /v1/users/me/sessions', async () => {
    const user = await newUser();
    await signIn(user.username);
    const listed = await request('GET', '/v1/users/me/sessions', { token: user.token });
    expect(expectAnswer(LIST, listed, 200, 200).body.sessions).toHaveLength(2);
  });

  it("DELETE /v1/users/me/sessions/{id}: 200 for the user's own, the shared 404 otherwise", async () => {
    const user = await newUser();
    const other = await signIn(user.username);
    const otherId = await currentSession(other.token);
    const stranger = await newUser();
    const end = (id: string) =>
      request('DELETE', `/v1/users/me/sessions/${id}`, { token: user.token });
    for (const id of [stranger.sessionId, randomUUID(), 'not-a-uuid']) {
      expectSharedAnswer(END, await end(id), 404, 404);
    }
    expectAnswer(END, await end(otherId), 200, 200);
    expectSharedAnswer(END, await end(otherId), 404, 404);
    expectAnswer(LIST, await request('GET', '/v1/users/me/sessions', other), 401, 10160);
  });

  it('DELETE /v1/users/me/sessions: every session ends, this one included', async () => {
    const user = await newUser();
    const other = await signIn(user.username);
    const endAll = () => request('DELETE', '/v1/users/me/sessions', { token: user.token });
    expectAnswer(END_ALL, await endAll(), 200, 200);
    expectAnswer(END_ALL, await endAll(), 401, 10160);
    expectAnswer(LIST, await request('GET', '/v1/users/me/sessions', other), 401, 10160);
  });

  it('refuses each signed-in operation without a live login token: 401 10160, Bearer', async () => {
    const user = await newUser();
    const ended = await signIn(user.username);
    await revoke({ refresh_token: ended.refreshToken });
    const forged = `${user.token.slice(0, -6)}${user.token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
    for (const [key, method, path] of SIGNED_IN) {
      for (const bad of [
        undefined,
        'garbage',
        forged,
        user.bindToken,
        user.refreshToken,
        ended.token,
      ]) {
        const refused = await request(method, path, { token: bad });
        expectAnswer(key, refused, 401, 10160);
        expect(refused.headers.get('www-authenticate'), `${key} ${bad}`).toBe('Bearer');
      }
    }
  });

  it('refuses a query parameter given twice with 400 10100 on the signed-in operations', async () => {
    const { token } = await newUser();
    for (const [key, method, path] of SIGNED_IN) {
      expectAnswer(key, await request(method, `${path}?a=1&a=2`, { token }), 400, 10100);
    }
    expect((await request('GET', '/v1/users/me/sessions', { token })).status).toBe(200);
  });

  it('answers 429 past the per-client limit on each operation', async () => {
    const { token, refreshToken } = await newUser();
    const operations: Array<[string, string, string, { token?: string; body?: unknown }]> = [
      [REFRESH, 'POST', '/v1/tokens/refresh', { body: { refresh_token: refreshToken } }],
      [REVOKE, 'POST', '/v1/tokens/revoke', { body: { refresh_token: refreshToken } }],
      ...SIGNED_IN.map(([key, method, path]): [string, string, string, { token: string }] => [
        key,
        method,
        path,
        { token },
      ]),
    ];
    for (const [index, [key, method, path, options]] of operations.entries()) {
      const headers = { 'x-forwarded-for': `198.51.100.${index + 1}` };
      // Over the limit of one window: at most two windows' worth, if a minute turns meanwhile.
      for (let sent = 0; sent <= 2 * PER_MINUTE; sent += 1) {
        if ((await request('POST', '/v1/tokens/revoke', { body: {}, headers })).status === 429)
          break;
      }
      const limited = expectAnswer(
        key,
        await request(method, path, { ...options, headers }),
        429,
        10156,
      );
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Nothing was spent: the refresh token still works.
    expectAnswer(REFRESH, await refresh(refreshToken), 200, 200);
  });
});

describe('what no request can make a healthy service answer, from the same app', () => {
  const user = {
    id: '00000000-0000-4000-8000-00000000ca01',
    username: 'carol',
    passwordHash: `hashed(${PASSWORD})`,
    phone: '+8613800138000',
    email: 'carol@example.com',
    createdAt: new Date('2026-11-24T07:00:00Z'),
    lockedAt: null,
  };
  const sessionId = '00000000-0000-4000-8000-0000000005e5';

  /**
   * The app over fakes with `user` signed in: every call to its session store fails but the
   * check of a login token, which fails too with `authentication`.
   */
  async function brokenApp(error: () => Error, { authentication = false } = {}) {
    const store = new InMemoryStore();
    await store.userRepository.add(user);
    const sessions = new InMemorySessionRepository(store);
    const at = new Date('2026-11-24T07:30:00Z');
    await sessions.start(
      {
        id: sessionId,
        userId: user.id,
        createdAt: at,
        lastUsedAt: at,
        expiresAt: new Date('2099-01-01T00:00:00Z'),
        userAgent: null,
        refreshHash: 'a-hash-of-no-token',
      },
      null,
    );
    sessions.rotate = rejecting(error);
    sessions.revokeByRefreshHash = rejecting(error);
    sessions.listLive = rejecting(error);
    sessions.revoke = rejecting(error);
    sessions.revokeAll = rejecting(error);
    if (authentication) sessions.findSignedInUser = rejecting(error);
    return failingApp({ store, sessions });
  }

  async function ask(
    app: ReturnType<typeof failingApp>,
    method: string,
    path: string,
    body?: object,
  ) {
    const headers = {
      authorization: `Bearer login:${user.id}:${user.username}:${sessionId}`,
      'content-type': 'application/json',
    };
    return answerOf(await app.request(path, { method, headers, body: JSON.stringify(body) }));
  }

  it.each([
    ['503 10154 to a storage outage', () => new StorageUnavailable('down'), 503, 10154],
    ['500 10500 to a bug', () => new Error('a bug'), 500, 10500],
  ])('answers %s on every operation', async (_, error, status, code) => {
    const app = await brokenApp(error);
    const body = { refresh_token: 'some-refresh-token' };
    expectAnswer(REFRESH, await ask(app, 'POST', '/v1/tokens/refresh', body), status, code);
    expectAnswer(REVOKE, await ask(app, 'POST', '/v1/tokens/revoke', body), status, code);
    expectAnswer(LIST, await ask(app, 'GET', '/v1/users/me/sessions'), status, code);
    expectAnswer(END, await ask(app, 'DELETE', `/v1/users/me/sessions/${sessionId}`), status, code);
    expectAnswer(END_ALL, await ask(app, 'DELETE', '/v1/users/me/sessions'), status, code);
  });

  it('answers 503 10154 and 500 10500 when the session of a login token cannot be read', async () => {
    for (const [error, status, code] of [
      [() => new StorageUnavailable('down'), 503, 10154],
      [() => new Error('a bug'), 500, 10500],
    ] as const) {
      const app = await brokenApp(error, { authentication: true });
      for (const [key, method, path] of SIGNED_IN) {
        expectAnswer(key, await ask(app, method, path), status, code);
      }
    }
  });
});

it('has seen every status and code the document lists for refresh and sign-out answered', () => {
  expect(contract.unanswered(isSessionOperation)).toEqual([]);
});
