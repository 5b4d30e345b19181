import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../../src/application/errors.ts';
import { signUp } from '../support/accounts.ts';
import { InMemoryStore } from '../support/fakes.ts';
import {
  answerOf,
  failingApp,
  isAdminOperation,
  openApiConformance,
  rejecting,
} from '../support/openapi-conformance.ts';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

// The admin API against the document; the rest is walked in the other conformance files.

const KEY = 'a-conformance-admin-key-of-32-characters-or-more';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const routes = {
  search: 'get /admin/v1/users',
  get: 'get /admin/v1/users/{id}',
  lock: 'post /admin/v1/users/{id}/lock',
  unlock: 'post /admin/v1/users/{id}/unlock',
  unbind: 'delete /admin/v1/users/{id}/weibo-binding',
  signOut: 'delete /admin/v1/users/{id}/sessions',
  audit: 'get /admin/v1/users/{id}/audit',
};

let sut: ServiceUnderTest;
const contract = openApiConformance();
const { expectAnswer } = contract;

beforeAll(async () => {
  sut = await startServiceUnderTest({ ADMIN_API_KEYS: KEY });
  await contract.load(sut.service.url);
});
afterAll(() => sut?.stop());

const request = (
  app: { request: typeof fetch } | null,
  method: string,
  path: string,
  init: { body?: string; key?: string } = {},
) => {
  const options: RequestInit = {
    method,
    headers: {
      authorization: `Bearer ${init.key ?? KEY}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    body: init.body,
  };
  return app
    ? app.request(`/admin/v1${path}`, options)
    : fetch(`${sut.service.url}/admin/v1${path}`, options);
};
const ask = async (method: string, path: string, init?: { body?: string; key?: string }) =>
  answerOf(await request(null, method, path, init));

describe('the running service answers the admin API as its document says', () => {
  it('walks every operation', async () => {
    const { uid, userId } = await signUp(sut);
    expectAnswer(routes.search, await ask('GET', `/users?weibo_uid=${uid}`), 200, 200);
    expectAnswer(routes.search, await ask('GET', '/users'), 400, 10100);
    expectAnswer(
      routes.search,
      await ask('GET', '/users?username=a', { key: 'wrong' }),
      401,
      10170,
    );
    expectAnswer(routes.get, await ask('GET', `/users/${userId}`), 200, 200);
    expectAnswer(routes.get, await ask('GET', `/users/${UNKNOWN}`), 404, 404);
    expectAnswer(routes.get, await ask('GET', `/users/${userId}`, { key: 'wrong' }), 401, 10170);
    const reason = JSON.stringify({ reason: 'conformance' });
    expectAnswer(
      routes.lock,
      await ask('POST', `/users/${userId}/lock`, { body: reason }),
      200,
      200,
    );
    expectAnswer(
      routes.lock,
      await ask('POST', `/users/${userId}/lock`, { body: '{}' }),
      400,
      10100,
    );
    expectAnswer(
      routes.lock,
      await ask('POST', `/users/${userId}/lock`, { body: '{' }),
      400,
      10155,
    );
    expectAnswer(
      routes.lock,
      await ask('POST', `/users/${UNKNOWN}/lock`, { body: reason }),
      404,
      404,
    );
    expectAnswer(
      routes.lock,
      await ask('POST', `/users/${userId}/lock`, { key: 'x', body: reason }),
      401,
      10170,
    );
    expectAnswer(routes.unlock, await ask('POST', `/users/${userId}/unlock`), 200, 200);
    expectAnswer(routes.unlock, await ask('POST', `/users/${UNKNOWN}/unlock`), 404, 404);
    expectAnswer(
      routes.unlock,
      await ask('POST', `/users/${userId}/unlock`, { key: 'x' }),
      401,
      10170,
    );
    expectAnswer(routes.unbind, await ask('DELETE', `/users/${userId}/weibo-binding`), 200, 200);
    expectAnswer(routes.unbind, await ask('DELETE', `/users/${userId}/weibo-binding`), 409, 10164);
    expectAnswer(routes.unbind, await ask('DELETE', `/users/${UNKNOWN}/weibo-binding`), 404, 404);
    expectAnswer(
      routes.unbind,
      await ask('DELETE', `/users/${userId}/weibo-binding`, { key: 'x' }),
      401,
      10170,
    );
    expectAnswer(routes.signOut, await ask('DELETE', `/users/${userId}/sessions`), 200, 200);
    expectAnswer(routes.signOut, await ask('DELETE', `/users/${UNKNOWN}/sessions`), 404, 404);
    expectAnswer(
      routes.signOut,
      await ask('DELETE', `/users/${userId}/sessions`, { key: 'x' }),
      401,
      10170,
    );
    expectAnswer(routes.audit, await ask('GET', `/users/${userId}/audit`), 200, 200);
    expectAnswer(routes.audit, await ask('GET', `/users/${userId}/audit?limit=0`), 400, 10100);
    expectAnswer(routes.audit, await ask('GET', `/users/${UNKNOWN}/audit`), 404, 404);
    expectAnswer(
      routes.audit,
      await ask('GET', `/users/${userId}/audit`, { key: 'x' }),
      401,
      10170,
    );
  });
});

describe('what no request can make a healthy service answer, from the same app', () => {
  it.each([
    ['503 10154 to a storage outage', () => new StorageUnavailable('down'), 503, 10154],
    ['500 10500 to a bug', () => new Error('a bug'), 500, 10500],
  ])('answers %s on every operation', async (_, error, status, code) => {
    const store = new InMemoryStore();
    store.userRepository.findById = rejecting(error);
    store.userRepository.findByUsername = rejecting(error);
    store.auditLog.page = rejecting(error);
    const app = failingApp({
      store,
      unitOfWork: { transaction: rejecting(error) },
      adminApiKeys: [KEY],
    });
    const call = async (method: string, path: string, body?: string) =>
      answerOf(await request(app as unknown as { request: typeof fetch }, method, path, { body }));
    const id = `/users/${UNKNOWN}`;
    expectAnswer(routes.search, await call('GET', '/users?username=alice'), status, code);
    expectAnswer(routes.get, await call('GET', id), status, code);
    expectAnswer(routes.lock, await call('POST', `${id}/lock`, '{"reason":"x"}'), status, code);
    expectAnswer(routes.unlock, await call('POST', `${id}/unlock`), status, code);
    expectAnswer(routes.unbind, await call('DELETE', `${id}/weibo-binding`), status, code);
    expectAnswer(routes.signOut, await call('DELETE', `${id}/sessions`), status, code);
    expectAnswer(routes.audit, await call('GET', `${id}/audit`), status, code);
  });
});

it('has seen every status and code the document lists for the admin API answered', () => {
  expect(contract.unanswered(isAdminOperation)).toEqual([]);
});
