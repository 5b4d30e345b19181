import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../support/accounts.ts';
import {
  type Answer,
  Browser,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const UA = 'AuditTest/1.0 (a browser)';
const IP = '203.0.113.77';

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest({ TRUST_PROXY: 'true' });
});
afterAll(() => sut.stop());

/** A client behind the load balancer at IP, with its user agent and cookies. */
class Client extends Browser {
  override request(path: string, init: RequestInit): Promise<Answer> {
    const headers = {
      'user-agent': UA,
      'x-forwarded-for': `198.51.100.1, ${IP}`,
      ...(init.headers as Record<string, string>),
    };
    return super.request(path, { ...init, headers });
  }

  call(method: string, path: string, token?: string, body?: unknown) {
    return this.request(path, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

async function entriesOf(userId: string) {
  const { rows } = await sql<{
    action: string;
    actor: string;
    ip: string | null;
    user_agent: string | null;
    session_id: string | null;
    detail: Record<string, unknown>;
  }>`select action, actor, ip, user_agent, session_id, detail from audit_log
     where user_id = ${userId} order by at, id`.execute(sut.database.db);
  return rows;
}

/** Signs a fresh uid up through the callback and the bind form; its ids and tokens. */
async function signUp(client = new Client(sut.service.url)) {
  const uid = freshUid();
  const state = await client.startLogin();
  const answer = await client.callback(sut.weibo.issueCode({ uid }), state);
  const username = `audit_${uid}`;
  const bound = await client.post('/v1/users/weibo/users', {
    bind_token: answer.body.bind_token,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'audit@example.com',
  });
  const me = await client.call('GET', '/v1/users/me', bound.body.token);
  return { client, uid, username, userId: me.body.user.id as string, bound: bound.body };
}

describe('the audit log', () => {
  it("records each action of a user's life, with the client's IP and user agent", async () => {
    const { client, uid, username, userId, bound } = await signUp();
    const signIn = (password: string) =>
      client.call('POST', '/v1/tokens', undefined, { username, password });
    await client.callback(sut.weibo.issueCode({ uid }), await client.startLogin());
    expect((await signIn('wrong password')).status).toBe(401);
    const byPassword = (await signIn(PASSWORD)).body;
    const app = await client.call('POST', '/v1/users/weibo/app-login', undefined, {
      access_token: sut.weibo.issueAppToken({ uid }),
      uid,
    });
    expect(app.body.code).toBe(200);
    const refreshed = await client.post('/v1/tokens/refresh', {
      refresh_token: byPassword.refresh_token,
    });
    expect(refreshed.body.code).toBe(200);
    const reused = await client.post('/v1/tokens/refresh', {
      refresh_token: byPassword.refresh_token,
    });
    expect(reused.body.code).toBe(10165);
    await client.post('/v1/tokens/revoke', { refresh_token: app.body.refresh_token });
    const sessions = await client.call('GET', '/v1/users/me/sessions', bound.token);
    const other = sessions.body.sessions.find((s: { current: boolean }) => !s.current);
    await client.call('DELETE', `/v1/users/me/sessions/${other.id}`, bound.token);
    await client.call('DELETE', '/v1/users/weibo/binding', bound.token);
    const link = await client.callback(sut.weibo.issueCode({ uid }), await client.startLogin());
    const linked = await client.call('POST', '/v1/users/weibo/bindings', undefined, {
      bind_token: link.body.bind_token,
      username,
      password: PASSWORD,
    });
    expect(linked.body.code).toBe(200);
    sut.weibo.failNext('friendsExpired', { errorCode: 21319 });
    await client.call('GET', '/v1/users/weibo/friends', linked.body.token);
    await client.call('DELETE', '/v1/users/me/sessions', linked.body.token);
    const last = await signIn(PASSWORD);
    await client.call('DELETE', '/v1/users/me', last.body.token, { password: PASSWORD });

    const entries = await entriesOf(userId);
    expect(
      entries.map((entry) => [
        entry.action,
        entry.detail.method ?? entry.detail.sessions ?? entry.detail.reason ?? null,
      ]),
    ).toEqual([
      ['bound', null],
      ['signed_in', 'weibo'],
      ['sign_in_failed', 'password'],
      ['signed_in', 'password'],
      ['signed_in', 'app'],
      ['session_ended', 'reuse_detected'],
      ['session_ended', 'one'],
      ['session_ended', 'one'],
      ['unbound', null],
      ['linked', null],
      ['weibo_authorization_lost', 'revoked'],
      ['session_ended', 'all'],
      ['signed_in', 'password'],
      ['deleted', null],
    ]);
    for (const entry of entries) {
      expect(entry, entry.action).toMatchObject({ ip: IP, user_agent: UA });
    }
    expect(
      entries.find(
        (entry) => entry.action === 'session_ended' && entry.detail.sessions === 'reuse_detected',
      ),
    ).toMatchObject({ actor: 'system' });
    expect(entries.find((entry) => entry.action === 'weibo_authorization_lost')).toMatchObject({
      actor: 'weibo',
      detail: { weiboUid: uid },
    });
    expect(entries.find((entry) => entry.action === 'bound')).toMatchObject({
      actor: 'user',
      detail: { weiboUid: uid },
    });
  });

  it('keeps no password, token, code, state or secret in any entry', async () => {
    const client = new Client(sut.service.url);
    const uid = freshUid();
    const state = await client.startLogin();
    const code = sut.weibo.issueCode({ uid });
    const first = await client.callback(code, state);
    const form = {
      bind_token: first.body.bind_token,
      username: `secret_${uid}`,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'secret@example.com',
    };
    const bound = await client.post('/v1/users/weibo/users', form);
    const secrets = [
      PASSWORD,
      code,
      state,
      first.body.bind_token,
      bound.body.token,
      bound.body.refresh_token,
    ];
    const wrong = 'a wrong password here';
    secrets.push(wrong);
    await client.call('POST', '/v1/tokens', undefined, {
      username: form.username,
      password: wrong,
    });
    const appToken = sut.weibo.issueAppToken({ uid });
    secrets.push(appToken);
    const app = await client.call('POST', '/v1/users/weibo/app-login', undefined, {
      access_token: appToken,
      uid,
    });
    secrets.push(app.body.token, app.body.refresh_token);
    await client.post('/v1/tokens/refresh', { refresh_token: app.body.refresh_token });
    await client.post('/v1/tokens/refresh', { refresh_token: app.body.refresh_token });
    const { rows } = await sql<{
      text: string;
    }>`select row_to_json(a)::text as text from audit_log a`.execute(sut.database.db);
    expect(rows.length).toBeGreaterThan(4);
    for (const { text } of rows) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

describe('GET /v1/users/me/activity', () => {
  const activity = (client: Client, token: string, query = '') =>
    client.call('GET', `/v1/users/me/activity${query}`, token);

  it("lists the user's own entries newest first, marking the asking session's", async () => {
    const { client, username, bound } = await signUp();
    await client.call('POST', '/v1/tokens', undefined, { username, password: 'nope nope' });
    const signIn = await client.call('POST', '/v1/tokens', undefined, {
      username,
      password: PASSWORD,
    });
    const page = await activity(client, signIn.body.token);
    expect(page).toMatchObject({ status: 200, body: { code: 200, next_cursor: null } });
    expect(page.body.events.map((e: { action: string }) => e.action)).toEqual([
      'signed_in',
      'sign_in_failed',
      'bound',
    ]);
    const [latest, failed] = page.body.events;
    expect(latest).toMatchObject({
      method: 'password',
      ip: IP,
      user_agent: UA,
      current_session: true,
    });
    expect(failed).toMatchObject({ method: 'password', current_session: false });
    expect(Object.keys(latest).sort()).toEqual(
      ['action', 'at', 'current_session', 'id', 'ip', 'method', 'user_agent'].sort(),
    );
    expect((await activity(client, bound.token)).body.events[0].current_session).toBe(false);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('pages by an opaque cursor without repeating or skipping while entries arrive', async () => {
    const { client, username, bound } = await signUp();
    for (let i = 0; i < 7; i += 1) {
      await client.call('POST', '/v1/tokens', undefined, { username, password: `wrong ${i}` });
    }
    const before = (await activity(client, bound.token, '?limit=100')).body.events;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const page = await activity(client, bound.token, query);
      expect(page.body.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.events.map((e: { id: string }) => e.id));
      cursor = page.body.next_cursor;
      // New entries arrive between the pages: they come before the first page, not in these.
      await client.call('POST', '/v1/tokens', undefined, { username, password: 'meanwhile' });
    } while (cursor);
    expect(seen).toEqual(before.map((e: { id: string }) => e.id));
  });

  it('keeps a cursor to the asking user: a cursor taken from another user pages only their own', async () => {
    const alice = await signUp();
    const bob = await signUp();
    for (let i = 0; i < 3; i += 1) {
      await bob.client.call('POST', '/v1/tokens', undefined, {
        username: bob.username,
        password: `x${i}`,
      });
    }
    const bobsCursor = (await activity(bob.client, bob.bound.token, '?limit=1')).body.next_cursor;
    const page = await activity(alice.client, alice.bound.token, `?cursor=${bobsCursor}`);
    expect(page.status).toBe(200);
    const ids = (await entriesOf(bob.userId)).length;
    expect(ids).toBeGreaterThan(3);
    const alices = (await activity(alice.client, alice.bound.token, '?limit=100')).body.events.map(
      (e: { id: string }) => e.id,
    );
    for (const event of page.body.events) expect(alices).toContain(event.id);
  });

  it.each([
    '?limit=0',
    '?limit=101',
    '?limit=x',
    '?cursor=%21',
    '?cursor=bm90LWEtY3Vyc29y',
    '?limit=1&limit=2',
  ])('refuses %s with 400 10100', async (query) => {
    const { client, bound } = await signUp();
    expect(await activity(client, bound.token, query)).toMatchObject({
      status: 400,
      body: { code: 10100 },
    });
  });

  it('refuses a request without a login token with 401 10160', async () => {
    const client = new Client(sut.service.url);
    expect(await client.call('GET', '/v1/users/me/activity')).toMatchObject({
      status: 401,
      body: { code: 10160 },
    });
  });
});
