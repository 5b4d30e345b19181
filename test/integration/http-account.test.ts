import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weiboLogin as login, PASSWORD, send, signUp } from '../support/accounts.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const NOT_SIGNED_IN = { status: 401, body: { code: 10160, error: 'Not signed in' } };
const WRONG = { status: 401, body: { code: 10162, error: 'Wrong username or password' } };

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest({ LOGIN_RATE_LIMIT_PER_HOUR: '3' });
});
afterAll(() => sut.stop());

const weiboLogin = (uid?: string) => login(sut, uid);
const newUser = () => signUp(sut);

const events = async (type: string, userId: string) =>
  (
    await sql<{ payload: { data: Record<string, unknown> } }>`
      select payload from outbox where type = ${type} and aggregate_id = ${userId}`.execute(
      sut.database.db,
    )
  ).rows.map((row) => row.payload);

describe('POST /v1/tokens', () => {
  it('signs in with the password in any ASCII letter case, giving a working login token', async () => {
    const { browser, username } = await newUser();
    const signIn = await send(browser, 'POST', '/v1/tokens', undefined, {
      username: username.toUpperCase(),
      password: PASSWORD,
    });
    expect(signIn).toMatchObject({ status: 200, body: { code: 200, username } });
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    const me = await send(browser, 'GET', '/v1/users/me', signIn.body.token);
    expect(me.body.user.username).toBe(username);
  });

  it('answers an unknown user and a wrong password alike with 401 10162', async () => {
    const { browser, username } = await newUser();
    const wrong = await send(browser, 'POST', '/v1/tokens', undefined, { username, password: 'x' });
    const unknown = await send(browser, 'POST', '/v1/tokens', undefined, {
      username: `nobody_${freshUid()}`,
      password: PASSWORD,
    });
    expect(wrong).toMatchObject(WRONG);
    expect(unknown).toMatchObject(WRONG);
  });

  it.each([
    ['a username that is not a string', { username: 1, password: PASSWORD }, 400, 10150],
    ['a password that is not a string', { username: 'someone', password: null }, 400, 10108],
    ['a body that is not JSON', '{"username":', 400, 10155],
    ['a body over 16 KiB', { username: 'a'.repeat(17 * 1024), password: 'x' }, 400, 10155],
  ])('refuses %s with %i %i', async (_, body, status, code) => {
    const answer = await send(sut.browser(), 'POST', '/v1/tokens', undefined, body);
    expect(answer).toMatchObject({ status, body: { code } });
  });

  it('limits failed attempts per username: past them even the right password waits', async () => {
    const { browser, username } = await newUser();
    for (let i = 0; i < 3; i += 1) {
      const failed = await send(browser, 'POST', '/v1/tokens', undefined, {
        username: i % 2 ? username : username.toUpperCase(),
        password: 'wrong password',
      });
      expect(failed).toMatchObject(WRONG);
    }
    const limited = await send(browser, 'POST', '/v1/tokens', undefined, {
      username,
      password: PASSWORD,
    });
    expect(limited).toMatchObject({ status: 429, body: { code: 10156 } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('signed-in requests', () => {
  it('answer /v1/users/me with the user and its Weibo account', async () => {
    const { browser, uid, username, token } = await newUser();
    const me = await send(browser, 'GET', '/v1/users/me', token);
    expect(me).toMatchObject({
      status: 200,
      body: {
        code: 200,
        user: { username, email: 'acct@example.com', phone: '+8613800138000' },
        weibo: { uid },
      },
    });
    expect(new Date(me.body.weibo.bound_at).toISOString()).toBe(me.body.weibo.bound_at);
    expect(me.headers.get('cache-control')).toBe('no-store');
  });

  it('refuse a missing, malformed or forged token and a bind token with 401 10160', async () => {
    const { browser, token } = await newUser();
    const { answer } = await weiboLogin();
    expect((await send(browser, 'GET', '/v1/users/me', token)).status).toBe(200);
    const forged = `${token.slice(0, -6)}AAAAAA`;
    for (const bad of [undefined, 'garbage', forged, answer.body.bind_token]) {
      const refused = await send(browser, 'GET', '/v1/users/me', bad);
      expect(refused).toMatchObject(NOT_SIGNED_IN);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    }
  });
});

describe('GET /v1/users/weibo/friends', () => {
  it.each(['count=6', 'count=0', 'cursor=-1', 'cursor=abc', 'count=1&count=2'])(
    'refuses %s with 400 10100',
    async (query) => {
      const { browser, token } = await newUser();
      const answer = await send(browser, 'GET', `/v1/users/weibo/friends?${query}`, token);
      expect(answer).toMatchObject({ status: 400, body: { code: 10100 } });
    },
  );

  it("reads the friends with the stored token and the bound uid, Weibo's way", async () => {
    const { browser, uid, token } = await newUser();
    sut.weibo.reset();
    const answer = await send(browser, 'GET', '/v1/users/weibo/friends?count=2&cursor=0', token);
    expect(answer).toMatchObject({ status: 200, body: { code: 200, next_cursor: 0 } });
    expect(Array.isArray(answer.body.users)).toBe(true);
    const [call] = sut.weibo.calls.filter((c) => c.path === '/2/friendships/friends.json');
    expect(call?.query).toMatchObject({ uid, count: '2', cursor: '0', trim_status: '1' });
    expect(call?.query.access_token).toMatch(/.{8,}/);
  });

  it('answers 502 10142 when Weibo fails, 401 10161 when it refuses the token', async () => {
    const { browser, token } = await newUser();
    sut.weibo.failNext('friendsDown');
    const down = await send(browser, 'GET', '/v1/users/weibo/friends', token);
    expect(down).toMatchObject({ status: 502, body: { code: 10142 } });
    sut.weibo.failNext('friendsExpired');
    const expired = await send(browser, 'GET', '/v1/users/weibo/friends', token);
    expect(expired).toMatchObject({ status: 401, body: { code: 10161 } });
  });

  it('answers 401 10161 without calling Weibo once the stored token has expired', async () => {
    const browser = sut.browser();
    const state = await browser.startLogin();
    sut.weibo.failNext('absurdExpiry', { expiresIn: 1 });
    const login = await browser.callback(sut.weibo.issueCode({ uid: freshUid() }), state);
    const bound = await browser.post('/v1/users/weibo/users', {
      bind_token: login.body.bind_token,
      username: `exp_${freshUid()}`,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'e@example.com',
    });
    await sleep(1_100);
    sut.weibo.reset();
    const answer = await send(browser, 'GET', '/v1/users/weibo/friends', bound.body.token);
    expect(answer).toMatchObject({ status: 401, body: { code: 10161 } });
    expect(sut.weibo.calls.filter((c) => c.path === '/2/friendships/friends.json')).toEqual([]);
  });
});

describe('unbinding, linking and deleting', () => {
  it('unbinds: 200, an event, the token revoked, no ciphertext left, and 201 at the next login', async () => {
    const { browser, uid, username, token } = await newUser();
    const me = await send(browser, 'GET', '/v1/users/me', token);
    sut.weibo.reset();
    expect(await send(browser, 'DELETE', '/v1/users/weibo/binding', token)).toMatchObject({
      status: 200,
      body: { code: 200 },
    });
    expect(sut.weibo.calls.filter((c) => c.path === '/oauth2/revokeoauth2')).toHaveLength(1);
    expect(await events('UserUnboundFromWeibo', me.body.user.id)).toMatchObject([
      { subject: me.body.user.id, data: { username, weiboUid: uid } },
    ]);
    const left = await sut.database.db
      .selectFrom('weibo_accounts')
      .select('uid')
      .where('uid', '=', uid)
      .execute();
    expect(left).toEqual([]);
    expect(await send(browser, 'DELETE', '/v1/users/weibo/binding', token)).toMatchObject({
      status: 409,
      body: { code: 10164 },
    });
    expect((await weiboLogin(uid)).answer.body.code).toBe(201);
  });

  it('links Weibo to an existing account, in the order the contract gives', async () => {
    const { browser, username, token } = await newUser();
    await send(browser, 'DELETE', '/v1/users/weibo/binding', token);
    const other = await newUser();
    const fresh = (await weiboLogin()).answer.body.bind_token;
    const link = (body: unknown) =>
      send(browser, 'POST', '/v1/users/weibo/bindings', undefined, body);
    const form = { bind_token: fresh, username, password: PASSWORD };
    expect(await link('nope')).toMatchObject({ status: 400, body: { code: 10155 } });
    expect(await link({ ...form, bind_token: token })).toMatchObject({ body: { code: 10130 } });
    expect(await link({ ...form, password: 'wrong one' })).toMatchObject(WRONG);
    expect(await link({ ...form, username: other.username })).toMatchObject({
      status: 409,
      body: { code: 10163 },
    });
    const taken = (await weiboLogin(other.uid)).answer;
    expect(taken.body.code).toBe(200);
    const linked = await link(form);
    expect(linked).toMatchObject({ status: 200, body: { code: 200, username } });
    expect((await weiboLogin()).answer.body.code).toBe(201);
  });

  it('lets exactly one of two concurrent links of one uid win', async () => {
    const [first, second] = [await newUser(), await newUser()];
    for (const user of [first, second]) {
      await send(user.browser, 'DELETE', '/v1/users/weibo/binding', user.token);
    }
    const bindToken = (await weiboLogin()).answer.body.bind_token;
    const answers = await Promise.all(
      [first, second].map((user) =>
        send(user.browser, 'POST', '/v1/users/weibo/bindings', undefined, {
          bind_token: bindToken,
          username: user.username,
          password: PASSWORD,
        }),
      ),
    );
    expect(answers.map((a) => a.body.code).sort((a, b) => a - b)).toEqual([200, 10153]);
  });

  it('lets exactly one of two concurrent links of one account win', async () => {
    const user = await newUser();
    await send(user.browser, 'DELETE', '/v1/users/weibo/binding', user.token);
    const tokens = [(await weiboLogin()).answer, (await weiboLogin()).answer];
    const answers = await Promise.all(
      tokens.map((answer) =>
        send(user.browser, 'POST', '/v1/users/weibo/bindings', undefined, {
          bind_token: answer.body.bind_token,
          username: user.username,
          password: PASSWORD,
        }),
      ),
    );
    expect(answers.map((a) => a.body.code).sort((a, b) => a - b)).toEqual([200, 10163]);
  });

  it('deletes the account: confirmed, an event, revoked, its tokens refused, the name free', async () => {
    const { browser, uid, username, token } = await newUser();
    const id = (await send(browser, 'GET', '/v1/users/me', token)).body.user.id;
    const remove = (body: unknown) => send(browser, 'DELETE', '/v1/users/me', token, body);
    expect(await remove({ password: 7 })).toMatchObject({ status: 400, body: { code: 10108 } });
    expect(await remove({ password: 'not the password' })).toMatchObject(WRONG);
    sut.weibo.reset();
    expect(await remove({ password: PASSWORD })).toMatchObject({
      status: 200,
      body: { code: 200 },
    });
    expect(sut.weibo.calls.filter((c) => c.path === '/oauth2/revokeoauth2')).toHaveLength(1);
    expect(await events('UserDeleted', id)).toMatchObject([{ data: { username, weiboUid: uid } }]);
    expect(await send(browser, 'GET', '/v1/users/me', token)).toMatchObject(NOT_SIGNED_IN);
    const again = await weiboLogin();
    const reused = await again.browser.post('/v1/users/weibo/users', {
      bind_token: again.answer.body.bind_token,
      username,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'acct@example.com',
    });
    expect(reused.body).toMatchObject({ code: 200, username });
  });
});
