import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditAction } from '../../src/domain/audit.ts';
import { PASSWORD, send, signUp, weiboLogin } from '../support/accounts.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const KEY = 'a-support-desk-key-of-more-than-32-chars-0001';
const OTHER_KEY = 'another-support-key-of-more-than-32-chars-002';
const KEY_ID = createHash('sha256').update(KEY).digest('hex').slice(0, 8);
const LOCKED = { status: 403, body: { code: 10168, error: 'Account locked' } };

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest({ ADMIN_API_KEYS: `${KEY},${OTHER_KEY}` });
});
afterAll(() => sut.stop());

function admin(method: string, path: string, body?: unknown, key: string | null = KEY) {
  return sut.browser().request(`/admin/v1${path}`, {
    method,
    headers: {
      ...(key !== null && { authorization: `Bearer ${key}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function eventsOf(userId: string, type: string) {
  const { rows } = await sql<{ payload: { data: Record<string, unknown> } }>`
    select payload from outbox where aggregate_id = ${userId} and type = ${type}`.execute(
    sut.database.db,
  );
  return rows.map((row) => row.payload.data);
}

async function auditOf(userId: string, action: AuditAction) {
  return sut.database.db
    .selectFrom('audit_log')
    .select(['actor', 'detail'])
    .where('user_id', '=', userId)
    .where('action', '=', action)
    .execute();
}

describe('the admin API', () => {
  it('refuses a missing or wrong key with 401 10170, and answers the right one', async () => {
    const { uid } = await signUp(sut);
    for (const key of [null, 'x', `${KEY}x`, KEY.replace('0001', '0002')]) {
      const refused = await admin('GET', `/users?weibo_uid=${uid}`, undefined, key);
      expect(refused).toMatchObject({
        status: 401,
        body: { code: 10170, error: 'Not an administrator' },
      });
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    }
    for (const key of [KEY, OTHER_KEY]) {
      expect((await admin('GET', `/users?weibo_uid=${uid}`, undefined, key)).status).toBe(200);
    }
  });

  it('finds an account by username, email or Weibo uid, with its binding and sessions', async () => {
    const { uid, username, userId } = await signUp(sut);
    const byUid = await admin('GET', `/users?weibo_uid=${uid}`);
    expect(byUid).toMatchObject({ status: 200, body: { code: 200 } });
    expect(byUid.body.users).toEqual([
      {
        id: userId,
        username,
        email: 'acct@example.com',
        phone: '+8613800138000',
        created_at: expect.any(String),
        locked: false,
        weibo: {
          uid,
          bound_at: expect.any(String),
          authorization: 'valid',
          token_expires_at: expect.any(String),
        },
        sessions: 1,
      },
    ]);
    expect(
      (await admin('GET', `/users?username=${username.toUpperCase()}`)).body.users,
    ).toHaveLength(1);
    const byEmail = await admin('GET', '/users?email=ACCT@Example.com');
    expect(byEmail.body.users.map((user: { id: string }) => user.id)).toContain(userId);
    expect((await admin('GET', `/users?weibo_uid=${freshUid()}`)).body).toEqual({
      code: 200,
      users: [],
    });
    expect((await admin('GET', `/users/${userId}`)).body.user).toMatchObject({
      id: userId,
      username,
    });
  });

  it.each([
    '',
    '?username=a&email=b',
    '?username=',
    '?username=a&username=b',
    '?email=%00',
    '?phone=1',
  ])('refuses the search %s with 400 10100', async (query) => {
    expect(await admin('GET', `/users${query}`)).toMatchObject({
      status: 400,
      body: { code: 10100 },
    });
  });

  it.each(['00000000-0000-4000-8000-000000000000', 'not-a-uuid'])(
    'answers 404 for the user %s',
    async (id) => {
      for (const [method, path] of [
        ['GET', `/users/${id}`],
        ['POST', `/users/${id}/unlock`],
        ['DELETE', `/users/${id}/weibo-binding`],
        ['DELETE', `/users/${id}/sessions`],
        ['GET', `/users/${id}/audit`],
      ]) {
        expect(await admin(method as string, path as string), path).toMatchObject({
          status: 404,
          body: { code: 404, error: 'Not found' },
        });
      }
      expect(await admin('POST', `/users/${id}/lock`, { reason: 'x' })).toMatchObject({
        status: 404,
      });
    },
  );

  it('locks: sessions end at once, every sign-in answers 10168 once its proof checks out; unlock lets them in', async () => {
    const { browser, uid, username, userId, token } = await signUp(sut);
    const password = (pw: string) =>
      send(browser, 'POST', '/v1/tokens', undefined, { username, password: pw });
    const appLogin = () =>
      send(browser, 'POST', '/v1/users/weibo/app-login', undefined, {
        access_token: sut.weibo.issueAppToken({ uid }),
        uid,
      });
    // Each path works before the lock.
    const signedIn = await password(PASSWORD);
    expect(signedIn.status).toBe(200);
    expect((await weiboLogin(sut, uid)).answer.body.code).toBe(200);
    expect((await appLogin()).body.code).toBe(200);
    await send(browser, 'DELETE', '/v1/users/weibo/binding', token);
    const link = async () =>
      send(browser, 'POST', '/v1/users/weibo/bindings', undefined, {
        bind_token: (await weiboLogin(sut, uid)).answer.body.bind_token,
        username,
        password: PASSWORD,
      });
    expect((await link()).body.code).toBe(200);
    await send(browser, 'DELETE', '/v1/users/weibo/binding', signedIn.body.token);
    const relinked = await link();
    expect(relinked.body.code).toBe(200);

    expect(
      await admin('POST', `/users/${userId}/lock`, { reason: 'reported takeover #4711' }),
    ).toMatchObject({ status: 200, body: { code: 200 } });
    expect(await send(browser, 'GET', '/v1/users/me', relinked.body.token)).toMatchObject({
      status: 401,
      body: { code: 10160 },
    });
    expect(
      await browser.post('/v1/tokens/refresh', { refresh_token: relinked.body.refresh_token }),
    ).toMatchObject({ status: 401, body: { code: 10165 } });
    expect(await password(PASSWORD)).toMatchObject(LOCKED);
    expect(await password('not the password')).toMatchObject({
      status: 401,
      body: { code: 10162 },
    });
    expect((await weiboLogin(sut, uid)).answer).toMatchObject(LOCKED);
    expect(await appLogin()).toMatchObject(LOCKED);
    expect((await admin('GET', `/users/${userId}`)).body.user).toMatchObject({
      locked: true,
      sessions: 0,
    });
    // Link: the account is unbound again, so the proof is the bind token and the password.
    await admin('DELETE', `/users/${userId}/weibo-binding`);
    expect(await link()).toMatchObject(LOCKED);

    // Idempotent: a second lock changes nothing and records nothing.
    expect((await admin('POST', `/users/${userId}/lock`, { reason: 'again' })).status).toBe(200);
    expect(await eventsOf(userId, 'UserLocked')).toEqual([
      { userId, username, lockedAt: expect.any(String) },
    ]);
    expect(await auditOf(userId, 'locked')).toEqual([
      { actor: `admin:${KEY_ID}`, detail: { reason: 'reported takeover #4711' } },
    ]);

    expect((await admin('POST', `/users/${userId}/unlock`)).status).toBe(200);
    expect((await admin('POST', `/users/${userId}/unlock`)).status).toBe(200);
    expect(await eventsOf(userId, 'UserUnlocked')).toHaveLength(1);
    expect(await auditOf(userId, 'unlocked')).toEqual([{ actor: `admin:${KEY_ID}`, detail: {} }]);
    expect((await password(PASSWORD)).status).toBe(200);
  });

  it.each([
    ['no reason', {}],
    ['an empty reason', { reason: '' }],
    ['a reason of 501 characters', { reason: 'x'.repeat(501) }],
    ['a reason that is not a string', { reason: 7 }],
  ])('refuses a lock with %s with 400 10100', async (_case, body) => {
    const { userId } = await signUp(sut);
    expect(await admin('POST', `/users/${userId}/lock`, body)).toMatchObject({
      status: 400,
      body: { code: 10100 },
    });
    expect(await admin('POST', `/users/${userId}/lock`, '{"reason":')).toMatchObject({
      status: 400,
      body: { code: 10155 },
    });
    expect((await admin('GET', `/users/${userId}`)).body.user.locked).toBe(false);
  });

  it('unbinds as endpoint 8 with the admin as actor, and ends every session', async () => {
    const { browser, uid, userId, token } = await signUp(sut);
    sut.weibo.reset();
    expect(await admin('DELETE', `/users/${userId}/weibo-binding`)).toMatchObject({
      status: 200,
      body: { code: 200 },
    });
    expect(sut.weibo.calls.filter((call) => call.path === '/oauth2/revokeoauth2')).toHaveLength(1);
    expect(await eventsOf(userId, 'UserUnboundFromWeibo')).toEqual([
      expect.objectContaining({ weiboUid: uid, by: 'admin' }),
    ]);
    expect(await auditOf(userId, 'unbound')).toEqual([
      { actor: `admin:${KEY_ID}`, detail: { weiboUid: uid } },
    ]);
    expect(await admin('DELETE', `/users/${userId}/weibo-binding`)).toMatchObject({
      status: 409,
      body: { code: 10164 },
    });

    expect((await send(browser, 'GET', '/v1/users/me', token)).status).toBe(200);
    expect(await admin('DELETE', `/users/${userId}/sessions`)).toMatchObject({ status: 200 });
    expect((await send(browser, 'GET', '/v1/users/me', token)).status).toBe(401);
    expect(await auditOf(userId, 'session_ended')).toEqual([
      { actor: `admin:${KEY_ID}`, detail: { sessions: 'all', count: 1 } },
    ]);
  });

  it("reads an account's audit entries with actor and detail, also after its deletion", async () => {
    const { browser, userId, token } = await signUp(sut);
    await admin('POST', `/users/${userId}/lock`, { reason: 'check' });
    await admin('POST', `/users/${userId}/unlock`);
    const signIn = await send(browser, 'POST', '/v1/tokens', undefined, {
      username: (await admin('GET', `/users/${userId}`)).body.user.username,
      password: PASSWORD,
    });
    await send(browser, 'DELETE', '/v1/users/me', signIn.body.token, { password: PASSWORD });
    expect(token).toBeTruthy();
    const page = await admin('GET', `/users/${userId}/audit?limit=100`);
    expect(page.status).toBe(200);
    const actions = page.body.entries.map((entry: { action: string }) => entry.action);
    expect(actions).toHaveLength(6);
    expect(actions.slice(0, 3)).toEqual(['deleted', 'signed_in', 'unlocked']);
    // The lock and the session it ended are one change, often in one millisecond: the list is
    // by time, then id, and time-ordered ids keep the order they were written in.
    expect(actions.slice(3, 5)).toEqual(['locked', 'session_ended']);
    expect(actions[5]).toBe('bound');
    expect(page.body.entries[2]).toMatchObject({ actor: `admin:${KEY_ID}`, detail: {} });
    const first = await admin('GET', `/users/${userId}/audit?limit=2`);
    const next = await admin(
      'GET',
      `/users/${userId}/audit?limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(next.body.entries[0].id).toBe(page.body.entries[2].id);
  });
});

describe('the admin API switched off', () => {
  let off: ServiceUnderTest;
  beforeAll(async () => {
    off = await startServiceUnderTest();
  });
  afterAll(() => off.stop());

  it('answers 404 to every /admin path, with a key or without', async () => {
    for (const path of [
      '/admin/v1/users?username=a',
      '/admin/v1/users/00000000-0000-4000-8000-000000000000/lock',
      '/admin',
      '/admin/v1/nothing',
    ]) {
      for (const headers of [{}, { authorization: `Bearer ${KEY}` }]) {
        const answer = await off
          .browser()
          .request(path, { method: path.endsWith('lock') ? 'POST' : 'GET', headers });
        expect(answer, path).toMatchObject({
          status: 404,
          body: { code: 404, error: 'Not found' },
        });
      }
    }
  });
});
