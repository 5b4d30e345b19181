import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../../src/application/errors.ts';
import type { FakeWeiboUser } from '../support/fake-weibo.ts';
import { InMemoryStore } from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';
import {
  answerOf,
  failingApp,
  isAccountOperation,
  openApiConformance,
  rejecting,
} from '../support/openapi-conformance.ts';
import {
  type Answer,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// The account API (SPEC endpoints 4-9) against the document; the rest is walked in
// openapi-conformance.test.ts.

const TOKENS = 'post /v1/tokens';
const ME = 'get /v1/users/me';
const FRIENDS = 'get /v1/users/weibo/friends';
const ACTIVITY = 'get /v1/users/me/activity';
const LINK = 'post /v1/users/weibo/bindings';
const UNBIND = 'delete /v1/users/weibo/binding';
const DELETE_ME = 'delete /v1/users/me';
const PASSWORD = 'correct horse battery';
const PER_MINUTE = 300;
const FAILURES_PER_HOUR = 3;

let sut: ServiceUnderTest;
const contract = openApiConformance();
const { expectAnswer, expectValid } = contract;

beforeAll(async () => {
  sut = await startServiceUnderTest({
    // In-process counters: the limits count this file's requests only.
    REDIS_URL: undefined,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    TRUST_PROXY: 'true',
    LOGIN_RATE_LIMIT_PER_HOUR: String(FAILURES_PER_HOUR),
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

/** A Weibo login up to the callback's 201, which approves the app for that Weibo user. */
async function weiboLogin(weiboUser: FakeWeiboUser = { uid: freshUid() }) {
  const browser = sut.browser();
  const state = await browser.startLogin();
  const answer = await browser.callback(sut.weibo.issueCode(weiboUser), state);
  expect(answer.body.code).toBe(201);
  return { browser, uid: weiboUser.uid, bindToken: answer.body.bind_token as string };
}

/** A new account bound to a Weibo account through the bind form, with its login token. */
async function newUser(weiboUser?: FakeWeiboUser) {
  const { browser, uid, bindToken } = await weiboLogin(weiboUser);
  const username = `acct_${freshUid()}`;
  const bound = await browser.post('/v1/users/weibo/users', {
    bind_token: bindToken,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'acct@example.com',
  });
  expect(bound.body.code).toBe(200);
  const token = bound.body.token as string;
  const me = expectAnswer(ME, await request('GET', '/v1/users/me', { token }), 200, 200);
  return { id: me.body.user.id as string, uid, bindToken, username, token };
}

/** Unbinds the Weibo account of the user of `token`: 200, as documented. */
async function unbindWeibo(token: string) {
  const answer = await request('DELETE', '/v1/users/weibo/binding', { token });
  return expectAnswer(UNBIND, answer, 200, 200);
}

/** The outbox row of the event `type` about user `id`, as it is published. */
async function eventOf(type: string, id: string) {
  const row = await sut.database.db
    .selectFrom('outbox')
    .select('payload')
    .where('type', '=', type)
    .where('aggregate_id', '=', id)
    .executeTakeFirstOrThrow();
  return row.payload;
}

/** The signed-in operations, each with a request its checks would otherwise accept. */
const SIGNED_IN: Array<[string, string, string, unknown?]> = [
  [ME, 'GET', '/v1/users/me'],
  [FRIENDS, 'GET', '/v1/users/weibo/friends'],
  [ACTIVITY, 'GET', '/v1/users/me/activity'],
  [UNBIND, 'DELETE', '/v1/users/weibo/binding'],
  [DELETE_ME, 'DELETE', '/v1/users/me', { password: PASSWORD }],
];

describe('the running service answers the account API as its document says', () => {
  it('POST /v1/tokens, up to its limit of failed attempts per username', async () => {
    const { username } = await newUser();
    const signIn = (body: unknown) => request('POST', '/v1/tokens', { body });
    const signedIn = await signIn({ username: username.toUpperCase(), password: PASSWORD });
    expect(expectAnswer(TOKENS, signedIn, 200, 200).body.username).toBe(username);
    const tooBig = { username: 'a'.repeat(17 * 1024), password: PASSWORD };
    for (const bad of ['{"username":', '[]', tooBig]) {
      expectAnswer(TOKENS, await signIn(bad), 400, 10155);
    }
    expectAnswer(TOKENS, await signIn({ username: 1, password: PASSWORD }), 400, 10150);
    expectAnswer(TOKENS, await signIn({ username, password: null }), 400, 10108);
    const right = { username, password: PASSWORD };
    const unknown = { username: `nobody_${freshUid()}`, password: PASSWORD };
    expectAnswer(TOKENS, await signIn(unknown), 401, 10162);
    for (let failed = 0; failed < FAILURES_PER_HOUR; failed += 1) {
      expectAnswer(TOKENS, await signIn({ username, password: 'wrong password' }), 401, 10162);
    }
    const limited = expectAnswer(TOKENS, await signIn(right), 429, 10156);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refuses each signed-in operation without a valid login token: 401 10160, Bearer', async () => {
    const { token } = await newUser();
    const { bindToken } = await weiboLogin();
    const forged = `${token.slice(0, -6)}${token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
    for (const [key, method, path, body] of SIGNED_IN) {
      for (const bad of [undefined, 'garbage', forged, bindToken]) {
        const refused = await request(method, path, { token: bad, body });
        expectAnswer(key, refused, 401, 10160);
        expect(refused.headers.get('www-authenticate'), `${key} ${bad}`).toBe('Bearer');
      }
    }
  });

  it('GET /v1/users/me', async () => {
    const { uid, username, token } = await newUser();
    const me = expectAnswer(ME, await request('GET', '/v1/users/me', { token }), 200, 200);
    expect(me.body).toMatchObject({ user: { username }, weibo: { uid } });
  });

  it('GET /v1/users/me/activity', async () => {
    const { token } = await newUser();
    const page = expectAnswer(
      ACTIVITY,
      await request('GET', '/v1/users/me/activity', { token }),
      200,
      200,
    );
    expect(page.body.events.map((event: { action: string }) => event.action)).toEqual(['bound']);
    for (const bad of ['?limit=0', '?cursor=*']) {
      expectAnswer(
        ACTIVITY,
        await request('GET', `/v1/users/me/activity${bad}`, { token }),
        400,
        10100,
      );
    }
  });

  it('GET /v1/users/weibo/friends', async () => {
    const friend = {
      uid: freshUid(),
      screenName: 'Alice 爱丽丝',
      avatarHd: 'https://tva1.example/hd.jpg',
      location: '上海',
      description: 'A friend.',
      gender: 'f',
      verified: true,
    } satisfies FakeWeiboUser;
    await weiboLogin(friend);
    const { token } = await newUser({ uid: freshUid(), friends: [friend.uid] });
    const friends = (query = '') => request('GET', `/v1/users/weibo/friends${query}`, { token });
    const page = expectAnswer(FRIENDS, await friends('?cursor=0&count=1'), 200, 200);
    expect(page.body.users).toMatchObject([
      { uid: friend.uid, screen_name: friend.screenName, avatar: friend.avatarHd, gender: 'f' },
    ]);
    for (const bad of ['?count=6', '?count=0', '?cursor=-1', '?cursor=1.5', '?count=1&count=2']) {
      expectAnswer(FRIENDS, await friends(bad), 400, 10100);
    }
    sut.weibo.failNext('friendsDown');
    expectAnswer(FRIENDS, await friends(), 502, 10142);
    sut.weibo.failNext('friendsRateLimited', { errorCode: 10023 });
    expectAnswer(FRIENDS, await friends(), 503, 10167);
    sut.weibo.failNext('friendsExpired');
    expectAnswer(FRIENDS, await friends(), 401, 10161);

    sut.weibo.failNext('absurdExpiry', { expiresIn: 1 });
    const expiring = await newUser();
    await sleep(1_100);
    const stale = await request('GET', '/v1/users/weibo/friends', { token: expiring.token });
    expectAnswer(FRIENDS, stale, 401, 10161);
  });

  it('DELETE /v1/users/weibo/binding, and what an unbound account answers', async () => {
    const { id, token } = await newUser();
    const unbind = () => request('DELETE', '/v1/users/weibo/binding', { token });
    expectAnswer(UNBIND, await unbind(), 200, 200);
    const event = await eventOf('UserUnboundFromWeibo', id);
    expectValid('components/schemas/UserUnboundFromWeibo', event, 'the outbox event');
    expectAnswer(UNBIND, await unbind(), 409, 10164);
    const friends = await request('GET', '/v1/users/weibo/friends', { token });
    expectAnswer(FRIENDS, friends, 409, 10164);
    const me = await request('GET', '/v1/users/me', { token });
    expect(expectAnswer(ME, me, 200, 200).body.weibo).toBeNull();
  });

  it('POST /v1/users/weibo/bindings (link Weibo to an existing account)', async () => {
    const owner = await newUser();
    await unbindWeibo(owner.token);
    const other = await newUser();
    const { bindToken } = await weiboLogin();
    const link = (body: unknown) => request('POST', '/v1/users/weibo/bindings', { body });
    const form = { bind_token: bindToken, username: owner.username, password: PASSWORD };
    for (const bad of ['{"bind_token":', '[]']) expectAnswer(LINK, await link(bad), 400, 10155);
    for (const forged of ['forged', owner.token]) {
      expectAnswer(LINK, await link({ ...form, bind_token: forged }), 401, 10130);
    }
    expectAnswer(LINK, await link({ ...form, username: 7 }), 400, 10150);
    expectAnswer(LINK, await link({ ...form, password: ['x'] }), 400, 10108);
    expectAnswer(LINK, await link({ ...form, password: 'wrong password' }), 401, 10162);
    expectAnswer(LINK, await link({ ...form, username: other.username }), 409, 10163);
    expectAnswer(LINK, await link({ ...form, bind_token: other.bindToken }), 409, 10153);
    const linked = expectAnswer(LINK, await link(form), 200, 200);
    expect(linked.body.username).toBe(owner.username);

    const { username } = await newUser();
    for (let failed = 0; failed < FAILURES_PER_HOUR; failed += 1) {
      const wrong = { ...form, username, password: 'wrong password' };
      expectAnswer(LINK, await link(wrong), 401, 10162);
    }
    const limited = expectAnswer(LINK, await link({ ...form, username }), 429, 10156);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('DELETE /v1/users/me (delete the account), with or without Weibo bound', async () => {
    const { id, token } = await newUser();
    const remove = (body: unknown) => request('DELETE', '/v1/users/me', { token, body });
    expectAnswer(DELETE_ME, await remove('{"password":'), 400, 10155);
    expectAnswer(DELETE_ME, await remove({ password: 7 }), 400, 10108);
    expectAnswer(DELETE_ME, await remove({ password: 'not the password' }), 401, 10162);
    const confirmed = { password: PASSWORD };
    expectAnswer(DELETE_ME, await remove(confirmed), 200, 200);
    const event = await eventOf('UserDeleted', id);
    expectValid('components/schemas/UserDeleted', event, 'the outbox event');
    expectAnswer(DELETE_ME, await remove(confirmed), 401, 10160);
    expectAnswer(ME, await request('GET', '/v1/users/me', { token }), 401, 10160);

    const unbound = await newUser();
    await unbindWeibo(unbound.token);
    const deleted = await request('DELETE', '/v1/users/me', {
      token: unbound.token,
      body: confirmed,
    });
    expectAnswer(DELETE_ME, deleted, 200, 200);
    const without = await eventOf('UserDeleted', unbound.id);
    expect(without).toMatchObject({ data: { weiboUid: null } });
    expectValid('components/schemas/UserDeleted', without, 'the outbox event without Weibo');
  });

  it('refuses a query parameter given twice with 400 10100, on every operation', async () => {
    const user = await newUser();
    const owner = await newUser();
    await unbindWeibo(owner.token);
    const { bindToken } = await weiboLogin();
    const { token } = user;
    const link = { bind_token: bindToken, username: owner.username, password: PASSWORD };
    // Requests the operations would otherwise accept; the deletion last.
    const requests: Array<[string, string, string, { token?: string; body?: unknown }]> = [
      [TOKENS, 'POST', '/v1/tokens', { body: { username: user.username, password: PASSWORD } }],
      [ME, 'GET', '/v1/users/me', { token }],
      [FRIENDS, 'GET', '/v1/users/weibo/friends', { token }],
      [LINK, 'POST', '/v1/users/weibo/bindings', { body: link }],
      [UNBIND, 'DELETE', '/v1/users/weibo/binding', { token }],
      [DELETE_ME, 'DELETE', '/v1/users/me', { token, body: { password: PASSWORD } }],
    ];
    const answers: Array<[string, Answer]> = [];
    for (const [key, method, path, options] of requests) {
      answers.push([key, await request(method, `${path}?a=1&a=2`, options)]);
    }
    const refused = ([, answer]: [string, Answer]) =>
      answer.status === 400 && answer.body?.code === 10100;
    for (const [key, answer] of answers.filter(refused)) expectAnswer(key, answer, 400, 10100);
    // Every operation that answers otherwise, named at once.
    const accepted = answers
      .filter((entry) => !refused(entry))
      .map(([key, answer]) => `${key} answered ${answer.status} ${answer.body?.code}`);
    expect(accepted).toEqual([]);
  });

  it('answers 429 past the per-client limit on each signed-in operation', async () => {
    const { token } = await newUser();
    for (const [index, [key, method, path, body]] of SIGNED_IN.entries()) {
      const headers = { 'x-forwarded-for': `203.0.113.${index + 1}` };
      // Over the limit of one window: at most two windows' worth, if a minute turns meanwhile.
      for (let sent = 0; sent <= 2 * PER_MINUTE; sent += 1) {
        if ((await request('GET', '/v1/users/me', { headers })).status === 429) break;
      }
      const limited = await request(method, path, { token, body, headers });
      expectAnswer(key, limited, 429, 10156);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});

describe('what no request can make a healthy service answer, from the same app', () => {
  const user = {
    id: '00000000-0000-4000-8000-00000000a11c',
    username: 'alice',
    passwordHash: `hashed(${PASSWORD})`,
    phone: '+8613800138000',
    email: 'alice@example.com',
    createdAt: new Date(),
    lockedAt: null,
  };
  const credentials = { username: user.username, password: PASSWORD };
  const sessionId = '00000000-0000-4000-8000-0000000005e5';

  /**
   * The app over fakes with `user` in it and signed in (a live session), its storage failing
   * at reads or at transactions.
   */
  async function brokenApp(error: () => Error, failing: 'reads' | 'transactions') {
    const store = new InMemoryStore();
    await store.userRepository.add(user);
    const sessions = new InMemorySessionRepository(store);
    await sessions.start(
      {
        id: sessionId,
        userId: user.id,
        createdAt: user.createdAt,
        lastUsedAt: user.createdAt,
        expiresAt: new Date('2099-01-01T00:00:00Z'),
        userAgent: null,
        refreshHash: 'a-hash-of-no-token',
      },
      null,
    );
    if (failing === 'transactions') {
      return failingApp({ store, sessions, unitOfWork: { transaction: rejecting(error) } });
    }
    store.userRepository.findByUsername = rejecting(error);
    store.weiboAccountRepository.findByUserId = rejecting(error);
    store.auditLog.page = rejecting(error);
    return failingApp({ store, sessions });
  }

  /** `method path` signed in as `user` (a login token of the fake issuer), with a JSON body. */
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
    const reads = await brokenApp(error, 'reads');
    expectAnswer(TOKENS, await ask(reads, 'POST', '/v1/tokens', credentials), status, code);
    expectAnswer(ME, await ask(reads, 'GET', '/v1/users/me'), status, code);
    expectAnswer(FRIENDS, await ask(reads, 'GET', '/v1/users/weibo/friends'), status, code);
    expectAnswer(ACTIVITY, await ask(reads, 'GET', '/v1/users/me/activity'), status, code);

    const transactions = await brokenApp(error, 'transactions');
    const linkForm = { bind_token: 'bind:1404376560', ...credentials };
    const linked = await ask(transactions, 'POST', '/v1/users/weibo/bindings', linkForm);
    expectAnswer(LINK, linked, status, code);
    const unbound = await ask(transactions, 'DELETE', '/v1/users/weibo/binding');
    expectAnswer(UNBIND, unbound, status, code);
    const deleted = await ask(transactions, 'DELETE', '/v1/users/me', { password: PASSWORD });
    expectAnswer(DELETE_ME, deleted, status, code);
  });
});

it('has seen every status and code the document lists for the account API answered', () => {
  expect(contract.unanswered(isAccountOperation)).toEqual([]);
});
