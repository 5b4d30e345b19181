import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../../src/application/errors.ts';
import { FAKE_APP_KEY } from '../support/app-with-fakes.ts';
import { FakeOAuthProvider, InMemoryStore } from '../support/fakes.ts';
import {
  answerOf,
  failingApp,
  isWeiboAppOperation,
  openApiConformance,
  rejecting,
} from '../support/openapi-conformance.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// Endpoints 12 and 13 against the document; the rest is walked in the other conformance files.

const APP_LOGIN = 'post /v1/users/weibo/app-login';
const APP_LOGIN_PATH = '/v1/users/weibo/app-login';
const DEAUTHORIZATION_PATH = '/v1/users/weibo/deauthorization';
const PER_MINUTE = 40;

let sut: ServiceUnderTest;
const contract = openApiConformance();
const { expectAnswer } = contract;

beforeAll(async () => {
  sut = await startServiceUnderTest({
    // In-process counters: the limits count this file's requests only.
    REDIS_URL: undefined,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    TRUST_PROXY: 'true',
  });
  await contract.load(sut.service.url);
});
afterAll(() => sut?.stop());

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const appLogin = async (body: unknown, headers: Record<string, string> = {}) =>
  answerOf(await fetch(`${sut.service.url}${APP_LOGIN_PATH}`, post(body, headers)));

describe('the running service answers endpoints 12 and 13 as its document says', () => {
  it('POST /v1/users/weibo/app-login', async () => {
    const uid = freshUid();
    const token = () => sut.weibo.issueAppToken({ uid });
    const unbound = expectAnswer(
      APP_LOGIN,
      await appLogin({ access_token: token(), uid }),
      200,
      201,
    );
    const bound = await fetch(`${sut.service.url}/v1/users/weibo/users`, {
      ...post({
        bind_token: unbound.body.bind_token,
        username: `conf_${uid}`,
        password: 'correct horse battery',
        phone: '+8613800138000',
        email: 'conf@example.com',
      }),
    });
    expect(bound.status).toBe(200);
    expectAnswer(APP_LOGIN, await appLogin({ access_token: token(), uid }), 200, 200);

    expectAnswer(APP_LOGIN, await appLogin({ access_token: '', uid }), 400, 10100);
    expectAnswer(APP_LOGIN, await appLogin('{"uid":'), 400, 10155);
    const foreign = sut.weibo.issueAppToken({ uid }, { appKey: '3000000001' });
    expectAnswer(APP_LOGIN, await appLogin({ access_token: foreign, uid }), 401, 10166);
    sut.weibo.failNext('tokenInfoDown');
    expectAnswer(APP_LOGIN, await appLogin({ access_token: token(), uid }), 502, 10142);
    sut.weibo.failNext('tokenInfoRateLimited', { errorCode: 10023 });
    expectAnswer(APP_LOGIN, await appLogin({ access_token: token(), uid }), 503, 10167);

    const client = { 'x-forwarded-for': '203.0.113.12' };
    for (let i = 0; i < PER_MINUTE; i += 1) await appLogin({ uid }, client);
    expectAnswer(APP_LOGIN, await appLogin({ uid }, client), 429, 10156);
  });

  it('GET and POST /v1/users/weibo/deauthorization', async () => {
    for (const [method, init] of [
      ['get', {}],
      ['post', { method: 'POST', body: new URLSearchParams({ uid: freshUid() }) }],
    ] as const) {
      const answer = await answerOf(
        await fetch(`${sut.service.url}${DEAUTHORIZATION_PATH}?uid=${freshUid()}`, init),
      );
      expectAnswer(`${method} ${DEAUTHORIZATION_PATH}`, answer, 200, 200);
    }
  });
});

describe('what no request can make a healthy service answer, from the same app', () => {
  it('answers outages with 503 and unexpected failures with 500', async () => {
    const uid = '1404376560';
    const vouched = () => {
      const oauth = new FakeOAuthProvider();
      oauth.tokenInfos.set('t', { uid, appKey: FAKE_APP_KEY, expiresIn: 60 });
      return oauth;
    };
    const request = post({ access_token: 't', uid });
    const store = new InMemoryStore();
    store.weiboAccountRepository.saveGrant = rejecting(() => new StorageUnavailable('down'));
    const outage = failingApp({ oauth: vouched(), store });
    expectAnswer(
      APP_LOGIN,
      await answerOf(await outage.request(APP_LOGIN_PATH, request)),
      503,
      10154,
    );

    const oauth = vouched();
    oauth.tokenInfoFailure = new Error('a bug');
    const broken = failingApp({ oauth });
    expectAnswer(
      APP_LOGIN,
      await answerOf(await broken.request(APP_LOGIN_PATH, request)),
      500,
      10500,
    );
  });
});

it('has seen every status and code the document lists for endpoints 12 and 13 answered', () => {
  expect(contract.unanswered(isWeiboAppOperation)).toEqual([]);
});
