import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/adapters/http/app.ts';
import { StateStoreUnavailable, StorageUnavailable } from '../../src/application/errors.ts';
import type { StateStore, UnitOfWork } from '../../src/application/ports.ts';
import { appWithFakes } from '../support/app-with-fakes.ts';
import {
  type Answer,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked by hand
type Json = any;

const AUTHORIZE = 'get /v1/users/weibo/authorization';
const CALLBACK = 'get /v1/users/weibo/users';
const BIND = 'post /v1/users/weibo/users';
const BIND_PATH = '/v1/users/weibo/users';
const PER_MINUTE = 150;

let sut: ServiceUnderTest;
let doc: Json;
const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
addFormats.default(ajv);
const validators = new Map<string, ValidateFunction>();
/** Every `operation status code` answered so far, for the coverage check at the end. */
const answered = new Set<string>();

beforeAll(async () => {
  sut = await startServiceUnderTest({
    // In-process state and counters: the limits count this file's requests only.
    REDIS_URL: undefined,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    TRUST_PROXY: 'true',
    BIND_RATE_LIMIT_PER_HOUR: '2',
  });
  doc = await (await fetch(`${sut.service.url}/openapi.json`)).json();
  ajv.addSchema(doc, 'openapi.json');
});
afterAll(() => sut?.stop());

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

function resolve(node: Json): Json {
  if (typeof node?.$ref !== 'string') return node;
  const parts = node.$ref.replace(/^#\//, '').split('/');
  return resolve(parts.reduce((at: Json, part: string) => at?.[part.replaceAll('~1', '/')], doc));
}

/** The `code` values a schema allows, through references and alternatives. */
function codesOf(schema: Json): number[] {
  const node = resolve(schema);
  const alternatives = [...(node?.anyOf ?? []), ...(node?.oneOf ?? []), ...(node?.allOf ?? [])];
  const code = resolve(node?.properties?.code);
  const own = code?.enum ?? (code?.const === undefined ? [] : [code.const]);
  return [...new Set<number>([...own, ...alternatives.flatMap(codesOf)])];
}

/** Validates `body` against the schema at `path` in the document, naming what failed. */
function expectValid(path: string, body: unknown, label: string) {
  const ref = `openapi.json#/${path}`;
  const validate = validators.get(ref) ?? ajv.compile({ $ref: ref });
  validators.set(ref, validate);
  expect(validate(body), `${label}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

/**
 * The contract's answer (status and code, as SPEC says), and the document's: the status is
 * documented for the operation, the body validates against its schema, and the code is listed.
 */
function expectAnswer(key: string, answer: Answer, status: number, code?: number): Answer {
  const label = `${key} answered ${answer.status} ${JSON.stringify(answer.body)}`;
  expect({ status: answer.status, code: answer.body?.code }, label).toEqual({ status, code });
  const [method = '', route = ''] = key.split(' ');
  const responses = doc.paths[route]?.[method]?.responses ?? {};
  expect(Object.keys(responses), `${label}: status not documented`).toContain(String(status));
  const schemaPath = ['paths', route, method, 'responses', String(status), 'content'];
  expectValid(`${pointer(...schemaPath, 'application/json', 'schema')}`, answer.body, label);
  const listed = codesOf(responses[status].content['application/json'].schema);
  if (code !== undefined || listed.length > 0) expect(listed, label).toContain(code);
  answered.add(`${key} ${status} ${code ?? ''}`);
  return answer;
}

async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, body: await response.json() };
}

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

  it('serves the health endpoints and the JWKS as documented', async () => {
    expectAnswer('get /healthz', await send('/healthz'), 200);
    expectAnswer('get /readyz', await send('/readyz'), 200);
    const jwks = await send('/.well-known/jwks.json');
    expect(expectAnswer('get /.well-known/jwks.json', jwks, 200).body.keys).toHaveLength(1);
    const metrics = await fetch(`${sut.service.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    expect(await metrics.text()).toContain('weibo_auth_http_requests_total');
    answered.add('get /metrics 200 ');
  });
});

/** The app of a service whose stores fail: states and storage as given, readiness down. */
function failingApp(states: StateStore, unitOfWork: UnitOfWork) {
  return appWithFakes({
    states,
    unitOfWork,
    trustProxy: false,
    readiness: [{ name: 'postgres', check: () => Promise.reject(new Error('down')) }],
  });
}

describe('what no request can make a healthy service answer, from the same app', () => {
  const failing = (error: () => Error) => () => Promise.reject(error());
  const answer = async (app: ReturnType<typeof createApp>, path: string, init?: RequestInit) =>
    answerOf(await app.request(path, init));
  const bindForm = post(form('bind:1404376560'));

  it('answers outages with 503 and unexpected failures with 500', async () => {
    const down = failing(() => new StateStoreUnavailable('down'));
    const storageDown = failing(() => new StorageUnavailable('down'));
    const outage = failingApp({ save: down, consume: down }, { transaction: storageDown });
    expectAnswer(AUTHORIZE, await answer(outage, '/v1/users/weibo/authorization'), 503, 10124);
    expectAnswer(CALLBACK, await answer(outage, `${BIND_PATH}?code=c&state=s`), 503, 10154);
    expectAnswer(BIND, await answer(outage, BIND_PATH, bindForm), 503, 10154);
    expectAnswer('get /readyz', await answer(outage, '/readyz'), 503, 10154);

    const bug = failing(() => new Error('a bug'));
    const broken = failingApp({ save: bug, consume: bug }, { transaction: bug });
    expectAnswer(AUTHORIZE, await answer(broken, '/v1/users/weibo/authorization'), 500, 10500);
    expectAnswer(CALLBACK, await answer(broken, `${BIND_PATH}?code=c&state=s`), 500, 10500);
    expectAnswer(BIND, await answer(broken, BIND_PATH, bindForm), 500, 10128);
  });
});

it('has seen every status and code the document lists answered', () => {
  const documented = Object.entries(doc.paths).flatMap(([route, item]) =>
    Object.entries(item as Json).flatMap(([method, operation]) =>
      Object.entries((operation as Json).responses).flatMap(([status, response]) => {
        const codes = codesOf((response as Json).content?.['application/json']?.schema);
        const key = `${method} ${route} ${status}`;
        return codes.length === 0 ? [`${key} `] : codes.map((code) => `${key} ${code}`);
      }),
    ),
  );
  expect(documented.filter((entry) => !answered.has(entry))).toEqual([]);
});
