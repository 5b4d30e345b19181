import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD, send, signUp, weiboLogin } from '../support/accounts.ts';
import { eventually } from '../support/outbox.ts';
import {
  CLIENT,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const DEAUTHORIZATION = '/v1/users/weibo/deauthorization';
const NOT_SIGNED_IN = { status: 401, body: { code: 10160 } };

async function lostEvents(sut: ServiceUnderTest, uid: string) {
  const { rows } = await sql<{ payload: { data: Record<string, unknown> } }>`
    select payload from outbox
    where type = 'WeiboAuthorizationLost' and payload->'data'->>'weiboUid' = ${uid}`.execute(
    sut.database.db,
  );
  return rows.map((row) => row.payload.data);
}

async function stored(sut: ServiceUnderTest, uid: string) {
  return sut.database.db
    .selectFrom('weibo_accounts')
    .selectAll()
    .where('uid', '=', uid)
    .executeTakeFirstOrThrow();
}

/** Signs in with the password and reads /me: the way back in once Weibo sessions ended. */
async function meByPassword(sut: ServiceUnderTest, username: string) {
  const browser = sut.browser();
  const signIn = await send(browser, 'POST', '/v1/tokens', undefined, {
    username,
    password: PASSWORD,
  });
  return (await send(browser, 'GET', '/v1/users/me', signIn.body.token)).body;
}

describe('Weibo telling the service the user removed the app', () => {
  let sut: ServiceUnderTest;
  let removeApp: (uid: string) => Promise<unknown>;
  beforeAll(async () => {
    sut = await startServiceUnderTest();
    sut.weibo.deauthorizeTo(`${sut.service.url}${DEAUTHORIZATION}`);
    removeApp = async (uid) => {
      const answer = await fetch(`${sut.weibo.url()}/sdk/remove-app`, {
        method: 'POST',
        body: new URLSearchParams({ uid }),
      });
      return JSON.parse(await answer.text());
    };
  });
  afterAll(() => sut.stop());
  beforeEach(() => sut.weibo.reset());
  const deauthorize = (query: string, init: RequestInit = {}) =>
    fetch(`${sut.service.url}${DEAUTHORIZATION}${query}`, init);

  it('ends every session and revokes the authorization, with one event, keeping the binding', async () => {
    const { browser, uid, username, token, userId } = await signUp(sut);
    const second = await send(browser, 'POST', '/v1/tokens', undefined, {
      username,
      password: PASSWORD,
    });
    expect((await send(browser, 'GET', '/v1/users/me', token)).status).toBe(200);

    expect(await removeApp(uid)).toMatchObject({ notified: true });
    const check = sut.weibo.calls.filter((call) => call.path === '/oauth2/get_token_info');
    expect(check).toHaveLength(1);
    for (const dead of [token, second.body.token]) {
      expect(await send(browser, 'GET', '/v1/users/me', dead)).toMatchObject(NOT_SIGNED_IN);
    }
    const refresh = await browser.post('/v1/tokens/refresh', {
      refresh_token: second.body.refresh_token,
    });
    expect(refresh).toMatchObject({ status: 401, body: { code: 10165 } });
    const row = await stored(sut, uid);
    expect(row).toMatchObject({
      user_id: userId,
      access_token_encrypted: null,
      access_token_expires_at: null,
      authorization_state: 'revoked',
    });
    const me = await meByPassword(sut, username);
    expect(me.weibo).toMatchObject({ uid, authorization: 'revoked', token_expires_at: null });
    expect(await lostEvents(sut, uid)).toEqual([
      { userId, weiboUid: uid, reason: 'deauthorized', lostAt: expect.any(String) },
    ]);

    // Idempotent: Weibo calling again changes nothing more.
    expect((await deauthorize(`?uid=${uid}&source=${CLIENT.clientId}`)).status).toBe(200);
    expect(await lostEvents(sut, uid)).toHaveLength(1);
    // The binding stayed: approving the app again signs the person in as before.
    const again = await weiboLogin(sut, uid);
    expect(again.answer.body).toMatchObject({ code: 200, username });
    const renewed = await send(again.browser, 'GET', '/v1/users/me', again.answer.body.token);
    expect(renewed.body.weibo).toMatchObject({ authorization: 'valid' });
    expect(renewed.body.weibo.token_expires_at).toEqual(expect.any(String));
  });

  it('changes nothing for a token that still works, and checks a uid at most once a minute', async () => {
    const { browser, uid, token } = await signUp(sut);
    for (let i = 0; i < 3; i += 1) {
      const answer = await deauthorize(`?uid=${uid}`, { method: 'POST' });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ code: 200 });
    }
    const checks = sut.weibo.calls.filter((call) => call.path === '/oauth2/get_token_info');
    expect(checks).toHaveLength(1);
    expect((await send(browser, 'GET', '/v1/users/me', token)).status).toBe(200);
    expect((await stored(sut, uid)).authorization_state).toBe('valid');
    expect(await lostEvents(sut, uid)).toEqual([]);
  });

  it("changes nothing while Weibo cannot be reached, or for another app's source", async () => {
    const down = await signUp(sut);
    sut.weibo.failNext('tokenInfoDown');
    await deauthorize('', {
      method: 'POST',
      body: new URLSearchParams({ uid: down.uid, source: CLIENT.clientId }),
    });
    expect((await send(down.browser, 'GET', '/v1/users/me', down.token)).status).toBe(200);

    const other = await signUp(sut);
    sut.weibo.reset();
    await deauthorize(`?uid=${other.uid}&source=3000000001`);
    expect(sut.weibo.calls).toEqual([]);
    expect((await send(other.browser, 'GET', '/v1/users/me', other.token)).status).toBe(200);
  });

  it('answers 200 {"code":200} whatever it is sent', async () => {
    const answers = await Promise.all([
      deauthorize(''),
      deauthorize(`?uid=${freshUid()}`),
      deauthorize('?uid=abc&uid=def'),
      deauthorize('?uid=%00'),
      deauthorize('', { method: 'POST', body: '{"uid":' }),
      deauthorize('', {
        method: 'POST',
        body: 'uid=1&uid=2',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      ...Array.from({ length: 6 }, () => deauthorize(`?uid=${freshUid()}`)),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ code: 200 });
    }
  });
});

describe('a stored token that stops working', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest({ WEIBO_EXPIRY_SWEEP_SECONDS: '1' });
  });
  afterAll(() => sut.stop());

  it('is marked revoked on 21319 from the friends list, reported once, and valid after a sign-in', async () => {
    const { browser, uid, username, token, userId } = await signUp(sut);
    const me = await send(browser, 'GET', '/v1/users/me', token);
    expect(me.body.weibo).toMatchObject({ uid, authorization: 'valid' });
    expect(Date.parse(me.body.weibo.token_expires_at)).toBeGreaterThan(Date.now());

    sut.weibo.failNext('friendsExpired', { errorCode: 21319 });
    const friends = () => send(browser, 'GET', '/v1/users/weibo/friends', token);
    expect(await friends()).toMatchObject({ status: 401, body: { code: 10161 } });
    sut.weibo.reset();
    expect(await friends()).toMatchObject({ status: 401, body: { code: 10161 } });
    expect(sut.weibo.calls).toEqual([]);
    expect((await send(browser, 'GET', '/v1/users/me', token)).body.weibo).toMatchObject({
      authorization: 'revoked',
    });
    expect(await lostEvents(sut, uid)).toEqual([
      { userId, weiboUid: uid, reason: 'revoked', lostAt: expect.any(String) },
    ]);

    expect((await weiboLogin(sut, uid)).answer.body).toMatchObject({ code: 200, username });
    expect((await friends()).status).toBe(200);
    sut.weibo.failNext('friendsExpired', { errorCode: 21327 });
    expect((await friends()).status).toBe(401);
    expect((await lostEvents(sut, uid)).map((event) => event.reason)).toEqual([
      'revoked',
      'expired',
    ]);
  });

  it('is found by the sweep once its expiry passes, reported once as expired', async () => {
    const uid = freshUid();
    const token = sut.weibo.issueAppToken({ uid }, { expiresIn: 2 });
    const first = await send(sut.browser(), 'POST', '/v1/users/weibo/app-login', undefined, {
      access_token: token,
      uid,
    });
    const bound = await sut.browser().post('/v1/users/weibo/users', {
      bind_token: first.body.bind_token,
      username: `sweep_${uid}`,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'sweep@example.com',
    });
    expect(bound.body.code).toBe(200);
    await eventually(async () => (await lostEvents(sut, uid)).length > 0, 10_000);
    expect((await stored(sut, uid)).authorization_state).toBe('expired');
    await sleep(2_500);
    expect(await lostEvents(sut, uid)).toEqual([
      expect.objectContaining({ weiboUid: uid, reason: 'expired' }),
    ]);
    const me = await send(sut.browser(), 'GET', '/v1/users/me', bound.body.token);
    expect(me.body.weibo).toMatchObject({ authorization: 'expired' });
  }, 20_000);
});

describe('the deauthorization URL and the per-client limit', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    // In-process counters: the shared Redis counts other tests' requests from 127.0.0.1 too.
    sut = await startServiceUnderTest({ RATE_LIMIT_PER_MINUTE: '2', REDIS_URL: undefined });
  });
  afterAll(() => sut.stop());

  it('answers Weibo 200 past the limit that refuses the same client elsewhere', async () => {
    const authorize = () => fetch(`${sut.service.url}/v1/users/weibo/authorization`);
    expect((await authorize()).status).toBe(200);
    expect((await authorize()).status).toBe(200);
    expect((await authorize()).status).toBe(429);
    for (let i = 0; i < 5; i += 1) {
      const answer = await fetch(`${sut.service.url}${DEAUTHORIZATION}?uid=${freshUid()}`);
      expect(answer.status).toBe(200);
    }
  });
});
