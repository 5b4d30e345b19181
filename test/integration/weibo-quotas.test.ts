import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import { send, signUp, weiboLogin } from '../support/accounts.ts';
import {
  Browser,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const BACKOFF = 3;
const RATE_LIMITED = { status: 503, body: { code: 10167, error: 'Weibo rate limit, retry later' } };

const tokenCalls = (sut: ServiceUnderTest) =>
  sut.weibo.calls.filter((call) => call.path === '/oauth2/access_token');

describe("Weibo's rate limits", () => {
  let sut: ServiceUnderTest;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lines.push(JSON.parse(line));
        }
        done();
      },
    });
    // In-process stores: the pause this file starts must not reach other files' services.
    sut = await startServiceUnderTest(
      { REDIS_URL: undefined, WEIBO_BACKOFF_SECONDS: String(BACKOFF) },
      createLogger('info', sink),
    );
  });
  afterAll(() => sut.stop());
  beforeEach(() => sut.weibo.reset());

  it('pauses every Weibo call after a 10022, answering 10167 at once, until the pause ends', async () => {
    const { browser, token } = await signUp(sut);
    expect((await weiboLogin(sut)).answer.body.code).toBe(201);

    sut.weibo.reset();
    sut.weibo.failNext('rateLimited', { errorCode: 10022 });
    const limited = await weiboLogin(sut);
    expect(limited.answer).toMatchObject(RATE_LIMITED);
    expect(limited.answer.headers.get('retry-after')).toBe(String(BACKOFF));
    expect(tokenCalls(sut)).toHaveLength(1);

    sut.weibo.reset();
    const paused = await weiboLogin(sut);
    expect(paused.answer).toMatchObject(RATE_LIMITED);
    const left = Number(paused.answer.headers.get('retry-after'));
    expect(left).toBeGreaterThanOrEqual(1);
    expect(left).toBeLessThanOrEqual(BACKOFF);
    const friends = await send(browser, 'GET', '/v1/users/weibo/friends', token);
    expect(friends).toMatchObject(RATE_LIMITED);
    expect(sut.weibo.calls).toEqual([]);
    expect((await fetch(`${sut.service.url}/readyz`)).status).toBe(200);
    expect(lines.some((line) => line.error_code === 10022 && line.level === 40)).toBe(true);

    await sleep(BACKOFF * 1000 + 200);
    expect((await weiboLogin(sut)).answer.body.code).toBe(201);
    expect((await send(browser, 'GET', '/v1/users/weibo/friends', token)).status).toBe(200);
  }, 15_000);

  it.each([10023, 10024])(
    'answers a user limit (%i) with 10167 but pauses nothing',
    async (code) => {
      sut.weibo.failNext('rateLimited', { errorCode: code });
      const limited = await weiboLogin(sut);
      expect(limited.answer).toMatchObject(RATE_LIMITED);
      expect(limited.answer.headers.get('retry-after')).toBe(String(BACKOFF));
      expect((await weiboLogin(sut)).answer.body.code).toBe(201);
      expect(tokenCalls(sut)).toHaveLength(2);
    },
  );

  it('only leaves the profile out when the profile read is rate limited', async () => {
    sut.weibo.failNext('profileRateLimited', { errorCode: 10023 });
    const { answer } = await weiboLogin(sut);
    expect(answer).toMatchObject({ status: 200, body: { code: 201 } });
    expect(answer.body).not.toHaveProperty('profile');
  });

  it('keeps the answer of an operator error, logs it at error with its code, and counts it', async () => {
    const before = lines.length;
    sut.weibo.failNext('operatorError', { errorCode: 21323 });
    const refused = await weiboLogin(sut);
    expect(refused.answer).toMatchObject({ status: 400, body: { code: 12345 } });
    const { browser, token } = await signUp(sut);
    sut.weibo.failNext('friendsOtherError', { errorCode: 21321, status: 403 });
    const friends = await send(browser, 'GET', '/v1/users/weibo/friends', token);
    expect(friends).toMatchObject({ status: 502, body: { code: 10142 } });

    const errors = lines.slice(before).filter((line) => line.level === 50 && 'error_code' in line);
    expect(errors.map((line) => line.error_code)).toEqual([21323, 21321]);
    const metrics = await (await fetch(`${sut.service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^weibo_auth_weibo_calls_total\{endpoint="oauth2\/access_token",outcome="refused",error_code="21323"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^weibo_auth_weibo_calls_total\{endpoint="2\/friendships\/friends.json",outcome="unavailable",error_code="21321"\} 1$/m,
    );
  });
});

describe('the pause with two instances on one Redis', () => {
  let first: ServiceUnderTest;
  let second: ServiceUnderTest;
  beforeAll(async () => {
    // A database of Redis of its own: the pause must reach these two instances only.
    const redis = new URL(inject('redisUrl'));
    redis.pathname = '/9';
    const env = { REDIS_URL: redis.toString(), WEIBO_BACKOFF_SECONDS: String(BACKOFF) };
    [first, second] = await Promise.all([startServiceUnderTest(env), startServiceUnderTest(env)]);
  });
  afterAll(async () => {
    await first.stop();
    await second.stop();
  });

  it('holds on the other instance too, which does not call Weibo meanwhile', async () => {
    expect((await weiboLogin(second)).answer.body.code).toBe(201);
    first.weibo.failNext('rateLimited', { errorCode: 10022 });
    expect((await weiboLogin(first)).answer).toMatchObject(RATE_LIMITED);
    // Another instance asks Redis at most once a second.
    await sleep(1_100);
    second.weibo.reset();
    const paused = await weiboLogin(second);
    expect(paused.answer).toMatchObject(RATE_LIMITED);
    expect(Number(paused.answer.headers.get('retry-after'))).toBeLessThanOrEqual(BACKOFF - 1);
    expect(tokenCalls(second)).toEqual([]);
    await sleep(BACKOFF * 1000);
    expect((await weiboLogin(second)).answer.body.code).toBe(201);
  }, 15_000);
});

describe('WEIBO_FORWARD_CLIENT_IP', () => {
  let forwarding: ServiceUnderTest;
  let plain: ServiceUnderTest;
  beforeAll(async () => {
    [forwarding, plain] = await Promise.all([
      startServiceUnderTest({ WEIBO_FORWARD_CLIENT_IP: 'true', TRUST_PROXY: 'true' }),
      startServiceUnderTest({ TRUST_PROXY: 'true' }),
    ]);
  });
  afterAll(async () => {
    await forwarding.stop();
    await plain.stop();
  });

  /** A login and a friends read from 203.0.113.7, behind the load balancer. */
  async function fromClient(sut: ServiceUnderTest) {
    const { browser, token } = await signUp(sut);
    sut.weibo.reset();
    const proxied = new Browser(sut.service.url);
    const headers = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' };
    const start = await proxied.request('/v1/users/weibo/authorization', { headers });
    const state = new URL(start.body.oauth_url).searchParams.get('state') ?? '';
    const code = sut.weibo.issueCode({ uid: freshUid() });
    await proxied.request(`/v1/users/weibo/users?${new URLSearchParams({ code, state })}`, {
      headers,
    });
    await browser.request('/v1/users/weibo/friends', {
      headers: { ...headers, authorization: `Bearer ${token}` },
    });
    return sut.weibo.calls;
  }

  it("sends API-RemoteIP with the client's IP on every call made for a user", async () => {
    const calls = await fromClient(forwarding);
    const paths = calls.map((call) => call.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/oauth2/access_token', '/2/friendships/friends.json']),
    );
    for (const call of calls) expect(call.remoteIp, call.path).toBe('203.0.113.7');
  });

  it('sends no API-RemoteIP when it is off', async () => {
    const calls = await fromClient(plain);
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(call.remoteIp).toBeUndefined();
  });
});
