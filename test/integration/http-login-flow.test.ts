import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Browser,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest();
});
afterAll(() => sut.stop());
beforeEach(() => sut.weibo.reset());

const AUTHORIZATION = '/v1/users/weibo/authorization';
/** 256 random bits as base64url. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** JWT_TTL_SECONDS by default. */
const LOGIN_TTL = 3600;
const exchanges = () => sut.weibo.calls.filter((call) => call.path === '/oauth2/access_token');

describe('GET /v1/users/weibo/authorization', () => {
  it('answers the Weibo authorize URL and sets the browser-binding cookie', async () => {
    const answer = await sut.browser().get(`${AUTHORIZATION}?return_to=/cart&forcelogin=true`);
    expect(answer.status).toBe(200);
    expect(answer.body.code).toBe(200);
    const url = new URL(answer.body.oauth_url);
    expect(url.pathname).toBe('/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'test-client',
      redirect_uri: 'http://127.0.0.1/callback.html',
      response_type: 'code',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      forcelogin: 'true',
    });
    const cookie = answer.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^weibo_auth_binding=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/v1/users/weibo');
    expect(cookie).not.toContain('Secure');
  });

  it.each([
    'display=popup',
    'forcelogin=yes',
    'language=zh',
    'return_to=//evil.com',
    'return_to=/\\evil.com',
    'return_to=https://evil.com',
    `return_to=/${'a'.repeat(2048)}`,
    'return_to=/a%0Ab',
    'display=mobile&display=wap',
  ])('refuses %s with 10100', async (query) => {
    const answer = await sut.browser().get(`${AUTHORIZATION}?${query}`);
    expect(answer).toMatchObject({
      status: 400,
      body: { code: 10100, error: 'Invalid parameters' },
    });
  });
});

describe('GET /v1/users/weibo/users (the callback)', () => {
  it('gives a new Weibo user a bind token and profile, then signs the bound user in', async () => {
    const browser = sut.browser();
    const uid = freshUid();
    const first = await browser.callback(
      sut.weibo.issueCode({ uid, screenName: '小明', avatarLarge: 'https://tva.example/l.jpg' }),
      await browser.startLogin('?return_to=/orders'),
    );
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      code: 201,
      uid,
      bind_token: expect.any(String),
      return_to: '/orders',
      profile: { screen_name: '小明', avatar: 'https://tva.example/l.jpg' },
    });
    const bound = await browser.post('/v1/users/weibo/users', {
      bind_token: first.body.bind_token,
      uid,
      username: 'xiaoming',
      password: 'correct horse battery',
      phone: '138 0013 8000',
      email: 'xm@example.com',
    });
    expect(bound.body).toEqual({
      code: 200,
      username: 'xiaoming',
      token: expect.any(String),
      refresh_token: expect.stringMatching(REFRESH_TOKEN),
      expires_in: LOGIN_TTL,
    });

    const again = await browser.callback(sut.weibo.issueCode({ uid }), await browser.startLogin());
    expect(again.body).toEqual({
      code: 200,
      username: 'xiaoming',
      token: expect.any(String),
      refresh_token: expect.stringMatching(REFRESH_TOKEN),
      expires_in: LOGIN_TTL,
      return_to: '/',
    });
    expect(again.body.refresh_token).not.toBe(bound.body.refresh_token);

    const jwks = createRemoteJWKSet(new URL(`${sut.service.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(again.body.token, jwks, {
      issuer: 'weibo-auth',
      audience: 'weibo-auth',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({
      username: 'xiaoming',
      sub: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(LOGIN_TTL);
  });

  it('answers without a profile when Weibo users/show fails', async () => {
    const browser = sut.browser();
    sut.weibo.failNext('profileDown');
    const answer = await browser.callback(
      sut.weibo.issueCode({ uid: freshUid() }),
      await browser.startLogin(),
    );
    expect(answer.body.code).toBe(201);
    expect(answer.body).not.toHaveProperty('profile');
  });

  it.each(['', '?code=abc', '?state=abc', '?code=&state=abc'])(
    'refuses %j with 10100',
    async (query) => {
      const answer = await sut.browser().get(`/v1/users/weibo/users${query}`);
      expect(answer).toMatchObject({ status: 400, body: { code: 10100 } });
    },
  );

  it('refuses a replayed state with 10151 and calls Weibo only once', async () => {
    const browser = sut.browser();
    const state = await browser.startLogin();
    const uid = freshUid();
    await browser.callback(sut.weibo.issueCode({ uid }), state);
    const replay = await browser.callback(sut.weibo.issueCode({ uid }), state);
    expect(replay).toMatchObject({
      status: 403,
      body: { code: 10151, error: 'Invalid or expired state' },
    });
    expect(exchanges()).toHaveLength(1);
  });

  it('refuses a state from another browser, burns it, and never calls Weibo', async () => {
    const victim = sut.browser();
    const state = await victim.startLogin();
    const attacker = sut.browser();
    await attacker.startLogin();
    const code = sut.weibo.issueCode({ uid: freshUid() });
    expect((await attacker.callback(code, state)).body.code).toBe(10151);
    expect((await victim.callback(code, state)).body.code).toBe(10151);
    expect(exchanges()).toHaveLength(0);
  });

  it('refuses a state presented without the binding cookie, or an unknown one', async () => {
    const state = await sut.browser().startLogin();
    const cookieless = new Browser(sut.service.url);
    expect((await cookieless.callback('any', state)).status).toBe(403);
    expect((await sut.browser().callback('any', 'unknown-state')).body.code).toBe(10151);
  });

  it.each([
    ['a used code (HTTP 400, 21325)', 'reused', 400, 12345],
    ['an OAuth error sent with HTTP 200', 'error200', 400, 12345],
    ['HTTP 500', 'http500', 502, 10142],
    ['an HTML 400', 'html400', 502, 10142],
    ['no answer within the timeout', 'slow', 502, 10142],
  ] as const)(
    'maps Weibo answering %s (%s) to HTTP %s, code %s',
    async (_case, fault, status, code) => {
      const browser = sut.browser();
      const weiboCode = sut.weibo.issueCode({ uid: freshUid() });
      if (fault === 'reused') await browser.callback(weiboCode, await browser.startLogin());
      else sut.weibo.failNext(fault, { delayMs: 1500 });
      const answer = await browser.callback(weiboCode, await browser.startLogin());
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({
        code,
        error: code === 12345 ? 'Unable get token' : 'Cant reach weibo server',
      });
    },
  );
});

describe('service endpoints', () => {
  it('answers 404 with the contract body for an unknown path', async () => {
    expect(await sut.browser().get('/v1/users/nothing')).toMatchObject({
      status: 404,
      body: { code: 404, error: 'Not found' },
    });
  });

  it('reports itself healthy and ready', async () => {
    expect((await sut.browser().get('/healthz')).status).toBe(200);
    expect((await sut.browser().get('/readyz')).status).toBe(200);
  });
});
