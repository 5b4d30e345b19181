import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/adapters/http/app.ts';
import { StateStoreUnavailable, StorageUnavailable } from '../../src/application/errors.ts';
import {
  answerOf,
  failingApp,
  isAccountOperation,
  isAdminOperation,
  isSessionOperation,
  isWeiboAppOperation,
  type Json,
  openApiConformance,
  pointer,
  rejecting,
} from '../support/openapi-conformance.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// The account API (SPEC endpoints 4-9) is walked in openapi-conformance-account.test.ts.

const AUTHORIZE = 'get /v1/users/weibo/authorization';
const CALLBACK = 'get /v1/users/weibo/users';
const BIND = 'post /v1/users/weibo/users';
const BIND_PATH = '/v1/users/weibo/users';
const PER_MINUTE = 150;

let sut: ServiceUnderTest;
const contract = openApiConformance();
const { expectAnswer, expectValid } = contract;

beforeAll(async () => {
  sut = await startServiceUnderTest({
    // In-process state and counters: the limits count this file's requests only.
    REDIS_URL: undefined,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    TRUST_PROXY: 'true',
    BIND_RATE_LIMIT_PER_HOUR: '2',
  });
  await contract.load(sut.service.url);
});
afterAll(() => sut?.stop());

const send = async (path: string, init: RequestInit = {}) =>
  answerOf(await fetch(`${sut.service.url}${path}`, init));

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const form = (bindToken: string, fields: Record<string, unknown> = {}) => ({
  bind_token: bindToken,
  username: `user_${freshUid()}`,
  password: 'correct horse battery',
  phone: '+86 138-0013-8000',
  email: 'someone@example.com',
  ...fields,
});

/** A browser through the callback of a fresh Weibo uid, with its bind token. */
async function unbound() {
  const uid = freshUid();
  const browser = sut.browser();
  const answer = await browser.callback(sut.weibo.issueCode({ uid }), await browser.startLogin());
  expectAnswer(CALLBACK, answer, 200, 201);
  return { browser, uid, bindToken: answer.body.bind_token as string, answer };
}

describe('the running service answers as its document says', () => {
  it('GET /v1/users/weibo/authorization', async () => {
    const browser = sut.browser();
    const get = (query: string) => browser.get(`/v1/users/weibo/authorization${query}`);
    expectAnswer(AUTHORIZE, await get(''), 200, 200);
    const all = '?return_to=/home&display=mobile&forcelogin=true&language=en';
    expectAnswer(AUTHORIZE, await get(all), 200, 200);
    for (const bad of ['?display=tv', '?forcelogin=yes', '?language=fr', '?return_to=//evil.com']) {
      expectAnswer(AUTHORIZE, await get(bad), 400, 10100);
    }
    expectAnswer(AUTHORIZE, await get('?display=wap&display=client'), 400, 10100);
  });

  it('GET /v1/users/weibo/users (the callback)', async () => {
    const { browser, answer } = await unbound();
    expect(answer.body.profile).toBeDefined();
    sut.weibo.failNext('profileDown');
    expect((await unbound()).answer.body.profile).toBeUndefined();
    const state = await browser.startLogin();
    expectAnswer(CALLBACK, await browser.get(`${BIND_PATH}?state=${state}`), 400, 10100);
    expectAnswer(CALLBACK, await browser.callback('not-issued', state), 400, 12345);
    expectAnswer(CALLBACK, await browser.callback('not-issued', state), 403, 10151);
    sut.weibo.failNext('http500');
    const code = sut.weibo.issueCode({ uid: freshUid() });
    expectAnswer(CALLBACK, await browser.callback(code, await browser.startLogin()), 502, 10142);
    sut.weibo.failNext('rateLimited', { errorCode: 10024 });
    const limited = await browser.callback(code, await browser.startLogin());
    expectAnswer(CALLBACK, limited, 503, 10167);
  });

  it('POST /v1/users/weibo/users (the bind), its event, and the next sign-in', async () => {
    const other = await unbound();
    const bad = (fields: Record<string, unknown>) =>
      other.browser.post(BIND_PATH, form(other.bindToken, fields));
    expectAnswer(BIND, await other.browser.post(BIND_PATH, '{"username":'), 400, 10155);
    expectAnswer(BIND, await other.browser.post(BIND_PATH, '[]'), 400, 10155);
    expectAnswer(BIND, await bad({ username: 'a b', password: 'short' }), 400, 10150);
    expectAnswer(BIND, await bad({ password: 'short' }), 400, 10108);
    expectAnswer(BIND, await bad({ email: 'not-an-email' }), 400, 10126);
    expectAnswer(BIND, await bad({ phone: '12' }), 400, 10117);
    expectAnswer(BIND, await bad({ bind_token: 'forged' }), 401, 10130);
    expectAnswer(BIND, await send(`${BIND_PATH}?a=1&a=2`, post(form(other.bindToken))), 400, 10100);

    const user = await unbound();
    const username = `Bound_${user.uid}`;
    const bound = await user.browser.post(BIND_PATH, form(user.bindToken, { username }));
    expectAnswer(BIND, bound, 200, 200);
    const event = await sut.database.db
      .selectFrom('outbox')
      .select('payload')
      .where(sql<string>`payload->'data'->>'weiboUid'`, '=', user.uid)
      .executeTakeFirstOrThrow();
    expectValid('components/schemas/UserBoundToWeibo', event.payload, 'the outbox event');

    const again = sut.browser();
    const signIn = await again.callback(
      sut.weibo.issueCode({ uid: user.uid }),
      await again.startLogin(),
    );
    expectAnswer(CALLBACK, signIn, 200, 200);
    const taken = form(other.bindToken, { username: username.toLowerCase() });
    expectAnswer(BIND, await other.browser.post(BIND_PATH, taken), 409, 10152);
    expectAnswer(BIND, await user.browser.post(BIND_PATH, form(user.bindToken)), 409, 10153);
    const limited = await user.browser.post(BIND_PATH, form(user.bindToken));
    expectAnswer(BIND, limited, 429, 10156);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers 429 past the per-client limit on each login endpoint', async () => {
    const requests: Array<[string, string, RequestInit]> = [
      [AUTHORIZE, '/v1/users/weibo/authorization', {}],
      [CALLBACK, `${BIND_PATH}?code=c&state=s`, {}],
      [BIND, BIND_PATH, post(form('token'))],
    ];
    for (const [index, [key, path, init]] of requests.entries()) {
      const from = { 'x-forwarded-for': `203.0.113.${index + 1}` };
      // Over the limit of one window: at most two windows' worth, if a minute turns meanwhile.
      for (let sent = 0; sent <= 2 * PER_MINUTE; sent += 1) {
        const answer = await send('/v1/users/weibo/authorization', { headers: from });
        if (answer.status === 429) break;
      }
      const headers = { ...(init.headers as Record<string, string>), ...from };
      const limited = expectAnswer(key, await send(path, { ...init, headers }), 429, 10156);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('answers the shared NotFound response for a path or method no route serves', async () => {
    const requests: Array<[string, string]> = [
      ['/v2', 'GET'],
      [BIND_PATH, 'PUT'],
      ['/openapi.json/x', 'GET'],
    ];
    for (const [path, method] of requests) {
      const answer = await send(path, { method });
      expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 404, code: 404 });
      expectValid(
        pointer('components', 'responses', 'NotFound', 'content', 'application/json', 'schema'),
        answer.body,
        `${method} ${path}`,
      );
    }
  });

  it('serves the health endpoints, the JWKS and the discovery document as documented', async () => {
    expectAnswer('get /healthz', await send('/healthz'), 200);
    expectAnswer('get /readyz', await send('/readyz'), 200);
    const jwks = await send('/.well-known/jwks.json');
    expect(expectAnswer('get /.well-known/jwks.json', jwks, 200).body.keys).toHaveLength(1);
    const discovery = await send('/.well-known/openid-configuration');
    expect(
      expectAnswer('get /.well-known/openid-configuration', discovery, 200).body,
    ).toMatchObject({
      jwks_uri: `${sut.service.url}/.well-known/jwks.json`,
    });
    const metrics = await fetch(`${sut.service.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const documented = contract.document().paths['/metrics'].get.responses['200'].content;
    expect(Object.keys(documented)).toEqual(['text/plain']);
    expect(await metrics.text()).toContain('weibo_auth_http_requests_total');
    contract.seen('get /metrics', 200);
  });
});

describe('what no request can make a healthy service answer, from the same app', () => {
  const answer = async (app: ReturnType<typeof createApp>, path: string, init?: RequestInit) =>
    answerOf(await app.request(path, init));
  const bindForm = post(form('bind:1404376560'));

  it('answers outages with 503 and unexpected failures with 500', async () => {
    const down = rejecting(() => new StateStoreUnavailable('down'));
    const storageDown = { transaction: rejecting(() => new StorageUnavailable('down')) };
    const outage = failingApp({ states: { save: down, consume: down }, unitOfWork: storageDown });
    expectAnswer(AUTHORIZE, await answer(outage, '/v1/users/weibo/authorization'), 503, 10124);
    expectAnswer(CALLBACK, await answer(outage, `${BIND_PATH}?code=c&state=s`), 503, 10154);
    expectAnswer(BIND, await answer(outage, BIND_PATH, bindForm), 503, 10154);
    expectAnswer('get /readyz', await answer(outage, '/readyz'), 503, 10154);

    const bug = rejecting(() => new Error('a bug'));
    const broken = failingApp({
      states: { save: bug, consume: bug },
      unitOfWork: { transaction: bug },
    });
    expectAnswer(AUTHORIZE, await answer(broken, '/v1/users/weibo/authorization'), 500, 10500);
    expectAnswer(CALLBACK, await answer(broken, `${BIND_PATH}?code=c&state=s`), 500, 10500);
    expectAnswer(BIND, await answer(broken, BIND_PATH, bindForm), 500, 10128);
  });
});

it('has seen every status and code the document lists answered, but the account, session, native app and admin APIs', () => {
  expect(
    contract.unanswered(
      (operation: Json) =>
        !isAccountOperation(operation) &&
        !isSessionOperation(operation) &&
        !isWeiboAppOperation(operation) &&
        !isAdminOperation(operation),
    ),
  ).toEqual([]);
});
