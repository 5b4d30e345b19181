import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import {
  type Answer,
  type Browser,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// SPEC "Sessions and keys": refresh tokens (endpoint 10), signing out (endpoint 11), on the
// whole service over real Postgres and Redis.

const PASSWORD = 'correct horse battery';
const NOT_SIGNED_IN = { status: 401, body: { code: 10160, error: 'Not signed in' } };
const SESSION_EXPIRED = { status: 401, body: { code: 10165, error: 'Session expired' } };
const NOT_FOUND = { status: 404, body: { code: 404, error: 'Not found' } };
const DONE = { status: 200, body: { code: 200 } };
/** 32 random bytes, base64url without padding; and a sha256 digest written the same way. */
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/** Rounds of the refresh race: a winner lost 1 time in 40 is caught 98 times in 100. */
const ROUNDS = 150;
const run = promisify(execFile);
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

interface SignedIn {
  token: string;
  refreshToken: string;
}

/** The helpers of one running service, for the describes that start their own. */
function client(service: () => ServiceUnderTest) {
  function send(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; userAgent?: string; browser?: Browser } = {},
  ): Promise<Answer> {
    const { token, body, userAgent } = options;
    return (options.browser ?? service().browser()).request(path, {
      method,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(userAgent !== undefined && { 'user-agent': userAgent }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** A Weibo login of `uid` up to the callback's answer, with the user agent given. */
  async function weiboLogin(uid = freshUid(), userAgent?: string) {
    const browser = service().browser();
    const state = await browser.startLogin();
    const query = new URLSearchParams({ code: service().weibo.issueCode({ uid }), state });
    const answer = await send('GET', `/v1/users/weibo/users?${query}`, { browser, userAgent });
    return { browser, uid, answer };
  }

  /** A new account bound to a fresh Weibo uid, signed in through the bind form. */
  async function newUser(userAgent?: string) {
    const { browser, uid, answer } = await weiboLogin();
    expect(answer.body.code).toBe(201);
    const username = `sess_${freshUid()}`;
    const bound = await send('POST', '/v1/users/weibo/users', {
      browser,
      userAgent,
      body: {
        bind_token: answer.body.bind_token,
        username,
        password: PASSWORD,
        phone: '+8613800138000',
        email: 'sess@example.com',
      },
    });
    expect(bound).toMatchObject({ status: 200, body: { code: 200, username } });
    const me = await send('GET', '/v1/users/me', { token: bound.body.token });
    return { browser, uid, username, id: me.body.user.id as string, ...signedIn(bound) };
  }

  /** Another session of `username`, by password. */
  async function signIn(username: string, userAgent?: string): Promise<SignedIn> {
    const answer = await send('POST', '/v1/tokens', {
      userAgent,
      body: { username, password: PASSWORD },
    });
    expect(answer).toMatchObject({ status: 200, body: { code: 200, username } });
    return signedIn(answer);
  }

  const refresh = (refreshToken: unknown) =>
    send('POST', '/v1/tokens/refresh', { body: { refresh_token: refreshToken } });
  const me = (token: string) => send('GET', '/v1/users/me', { token });
  const sessions = (token: string) => send('GET', '/v1/users/me/sessions', { token });

  return { send, weiboLogin, newUser, signIn, refresh, me, sessions };
}

/** The tokens of an answer that signs in. */
function signedIn(answer: Answer): SignedIn {
  return { token: answer.body.token, refreshToken: answer.body.refresh_token };
}

/** Checks an answer that signs in (SPEC: `refresh_token` and `expires_in` on each). */
function expectSignedIn(answer: Answer, username: string, label: string) {
  expect(answer.status, label).toBe(200);
  expect(answer.body, label).toMatchObject({ code: 200, username, expires_in: 3600 });
  expect(answer.body.token, label).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const claims = JSON.parse(Buffer.from(answer.body.token.split('.')[1], 'base64url').toString());
  expect(claims.exp - claims.iat, `${label}: expires_in is the login token's`).toBe(3600);
  expect(claims.sid, label).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.body.refresh_token, label).toMatch(BASE64URL_32_BYTES);
  expect(answer.headers.get('cache-control'), label).toBe('no-store');
}

describe('on the running service', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest();
  });
  afterAll(() => sut?.stop());
  const { send, weiboLogin, newUser, signIn, refresh, me, sessions } = client(() => sut);

  describe('every answer that signs in', () => {
    it('carries refresh_token and expires_in: callback, bind, password sign-in and link', async () => {
      const user = await newUser();
      const byPassword = await send('POST', '/v1/tokens', {
        body: { username: user.username, password: PASSWORD },
      });
      expectSignedIn(byPassword, user.username, 'POST /v1/tokens');
      const callback = (await weiboLogin(user.uid)).answer;
      expectSignedIn(callback, user.username, 'the callback of a bound user');
      expect(callback.body.return_to).toBe('/');

      expect(await send('DELETE', '/v1/users/weibo/binding', { token: user.token })).toMatchObject(
        DONE,
      );
      const { answer } = await weiboLogin();
      const linked = await send('POST', '/v1/users/weibo/bindings', {
        body: { bind_token: answer.body.bind_token, username: user.username, password: PASSWORD },
      });
      expectSignedIn(linked, user.username, 'POST /v1/users/weibo/bindings');

      const fresh = await weiboLogin();
      const bound = await send('POST', '/v1/users/weibo/users', {
        browser: fresh.browser,
        body: {
          bind_token: fresh.answer.body.bind_token,
          username: `bind_${freshUid()}`,
          password: PASSWORD,
          phone: '+8613800138000',
          email: 'bind@example.com',
        },
      });
      expectSignedIn(bound, bound.body.username, 'POST /v1/users/weibo/users');

      // Each one started its own session (four of the user's), and each refresh token works.
      const answers = [byPassword, callback, linked, bound];
      const refreshTokens = answers.map((one) => one.body.refresh_token);
      expect(new Set([user.refreshToken, ...refreshTokens]).size).toBe(5);
      for (const refreshToken of refreshTokens) {
        expect((await refresh(refreshToken)).status).toBe(200);
      }
      const listed = await sessions(user.token);
      expect(listed.body.sessions).toHaveLength(4);
      // Time-ordered ids (UUIDv7): a session started later sorts after.
      const ids = listed.body.sessions.map((session: { id: string }) => session.id);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
      expect([...ids].sort().reverse()).toEqual(ids);
    });
  });

  describe('POST /v1/tokens/refresh', () => {
    it('rotates: a new login token and refresh token; the old refresh token then answers 401 10165', async () => {
      const user = await newUser();
      const refreshed = await refresh(user.refreshToken);
      expectSignedIn(refreshed, user.username, 'the refresh');
      expect(refreshed.body.token).not.toBe(user.token);
      expect(refreshed.body.refresh_token).not.toBe(user.refreshToken);
      expect(await me(refreshed.body.token)).toMatchObject({
        status: 200,
        body: { user: { id: user.id, username: user.username } },
      });
      // The same session: the list shows one, and the new token is its current one.
      const listed = await sessions(refreshed.body.token);
      expect(listed.body.sessions).toMatchObject([{ current: true }]);

      expect(await refresh(user.refreshToken)).toMatchObject(SESSION_EXPIRED);
    });

    it.each([
      ['an unknown refresh token', 'x'.repeat(43)],
      ['an empty one', ''],
      ['a number', 42],
      ['null', null],
      ['an object', { refresh_token: 'x' }],
      ['none', undefined],
    ])('refuses %s with 401 10165', async (_, refreshToken) => {
      expect(await refresh(refreshToken)).toMatchObject(SESSION_EXPIRED);
    });

    it('refuses a body that is not JSON with 400 10155', async () => {
      const answer = await send('POST', '/v1/tokens/refresh', { body: '{"refresh_token":' });
      expect(answer).toMatchObject({ status: 400, body: { code: 10155 } });
    });

    it('revokes the whole session when a used refresh token comes back, its newer tokens at once', async () => {
      const user = await newUser();
      const other = await signIn(user.username);
      // R0 -> R1 -> R2, each refresh proving the token it spent worked.
      const first = await refresh(user.refreshToken);
      expect(first.status).toBe(200);
      const second = await refresh(first.body.refresh_token);
      expect(second.status).toBe(200);
      const loginTokens = [user.token, first.body.token, second.body.token];
      for (const token of loginTokens) expect((await me(token)).status).toBe(200);
      const newest = second.body.refresh_token as string;

      // A thief replays R0: refused, and the session ends.
      expect(await refresh(user.refreshToken)).toMatchObject(SESSION_EXPIRED);
      for (const token of loginTokens) expect(await me(token)).toMatchObject(NOT_SIGNED_IN);
      expect(await refresh(newest)).toMatchObject(SESSION_EXPIRED);
      expect(await refresh(first.body.refresh_token)).toMatchObject(SESSION_EXPIRED);

      // The user's other session lives on, its current refresh token working.
      expect((await me(other.token)).status).toBe(200);
      const listed = await sessions(other.token);
      expect(listed.body.sessions).toMatchObject([{ current: true }]);
      expect((await refresh(other.refreshToken)).status).toBe(200);
    });

    it('lets exactly one of two concurrent refreshes of one token win, then revokes the session', async () => {
      const user = await newUser();
      // Many rounds: a race lost now and then is still lost.
      for (let round = 0; round < ROUNDS; round += 1) {
        const { token, refreshToken } = await signIn(user.username);
        const answers = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);
        const label = JSON.stringify(answers.map((answer) => [answer.status, answer.body]));
        const winners = answers.filter((answer) => answer.status === 200);
        const losers = answers.filter((answer) => answer.status !== 200);
        expect(winners, label).toHaveLength(1);
        expect(losers, label).toMatchObject([SESSION_EXPIRED]);
        const [winner] = winners as [Answer];
        expect(await refresh(winner.body.refresh_token)).toMatchObject(SESSION_EXPIRED);
        expect(await me(winner.body.token)).toMatchObject(NOT_SIGNED_IN);
        expect(await me(token)).toMatchObject(NOT_SIGNED_IN);
      }
      expect((await me(user.token)).status).toBe(200);
    }, 60_000);
  });

  describe('signing out', () => {
    it('POST /v1/tokens/revoke ends the session: its tokens are refused at once', async () => {
      const user = await newUser();
      expect((await me(user.token)).status).toBe(200);
      const revoked = await send('POST', '/v1/tokens/revoke', {
        body: { refresh_token: user.refreshToken },
      });
      expect(revoked).toMatchObject(DONE);
      expect(revoked.body).toEqual({ code: 200 });
      expect(await me(user.token)).toMatchObject(NOT_SIGNED_IN);
      expect(await refresh(user.refreshToken)).toMatchObject(SESSION_EXPIRED);

      // A used refresh token of a session names it too.
      const other = await signIn(user.username);
      const refreshed = await refresh(other.refreshToken);
      expect((await me(refreshed.body.token)).status).toBe(200);
      const byUsed = await send('POST', '/v1/tokens/revoke', {
        body: { refresh_token: other.refreshToken },
      });
      expect(byUsed).toMatchObject(DONE);
      expect(await me(refreshed.body.token)).toMatchObject(NOT_SIGNED_IN);
      expect(await refresh(refreshed.body.refresh_token)).toMatchObject(SESSION_EXPIRED);
    });

    it.each([
      ['an unknown refresh token', { refresh_token: 'y'.repeat(43) }],
      ['an empty one', { refresh_token: '' }],
      ['a number', { refresh_token: 7 }],
      ['null', { refresh_token: null }],
      ['an array', { refresh_token: ['x'] }],
      ['none', {}],
    ])('POST /v1/tokens/revoke answers 200 for %s', async (_, body) => {
      expect(await send('POST', '/v1/tokens/revoke', { body })).toMatchObject(DONE);
    });

    it('POST /v1/tokens/revoke refuses a body that is not JSON with 400 10155', async () => {
      const answer = await send('POST', '/v1/tokens/revoke', { body: 'refresh_token' });
      expect(answer).toMatchObject({ status: 400, body: { code: 10155 } });
    });

    it('GET /v1/users/me/sessions lists the live sessions, current only on the caller’s', async () => {
      const user = await newUser('UA-bind/1.0');
      const byPassword = await signIn(user.username, 'UA-password/2.0');
      const { answer } = await weiboLogin(user.uid, 'UA-callback/3.0 (Weibo)');
      const byCallback = signedIn(answer);
      const ended = await signIn(user.username, 'UA-ended/4.0');
      const long = await signIn(user.username, `UA-long/${'x'.repeat(600)}`);
      await send('POST', '/v1/tokens/revoke', { body: { refresh_token: ended.refreshToken } });
      const stranger = await newUser('UA-stranger/5.0');

      const listed = await sessions(byPassword.token);
      expect(listed).toMatchObject({ status: 200, body: { code: 200 } });
      expect(listed.headers.get('cache-control')).toBe('no-store');
      const agents = listed.body.sessions.map(
        (session: { user_agent: string; current: boolean }) => [
          session.user_agent.slice(0, 20),
          session.current,
        ],
      );
      // Newest first, the ended one and the stranger's left out.
      expect(agents).toEqual([
        ['UA-long/xxxxxxxxxxxx', false],
        ['UA-callback/3.0 (Wei', false],
        ['UA-password/2.0', true],
        ['UA-bind/1.0', false],
      ]);
      expect(listed.body.sessions[0].user_agent).toHaveLength(512);
      expect(listed.body.sessions[1].user_agent).toBe('UA-callback/3.0 (Weibo)');
      for (const session of listed.body.sessions) {
        expect(Object.keys(session).sort()).toEqual([
          'created_at',
          'current',
          'id',
          'last_used_at',
          'user_agent',
        ]);
        expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(new Date(session.created_at).toISOString()).toBe(session.created_at);
        expect(new Date(session.last_used_at).toISOString()).toBe(session.last_used_at);
      }
      const text = JSON.stringify(listed.body);
      for (const secret of [user, byPassword, byCallback, long].map((s) => s.refreshToken)) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(sha256(secret));
      }

      // The caller's own session is current whoever asks; a refresh moves its last use only.
      const fromCallback = await sessions(byCallback.token);
      const current = fromCallback.body.sessions.filter((s: { current: boolean }) => s.current);
      expect(current).toEqual([{ ...listed.body.sessions[1], current: true }]);
      await sleep(5);
      const refreshed = await refresh(byCallback.refreshToken);
      const after = (await sessions(refreshed.body.token)).body.sessions;
      expect(after.map((s: { id: string }) => s.id)).toEqual(
        listed.body.sessions.map((s: { id: string }) => s.id),
      );
      expect(after[1]).toMatchObject({ current: true, created_at: current[0].created_at });
      expect(Date.parse(after[1].last_used_at)).toBeGreaterThan(
        Date.parse(current[0].last_used_at),
      );

      const strangers = await sessions(stranger.token);
      expect(strangers.body.sessions).toMatchObject([
        { user_agent: 'UA-stranger/5.0', current: true },
      ]);
    });

    it("DELETE /v1/users/me/sessions/{id} ends one of the user's sessions, and only theirs", async () => {
      const user = await newUser();
      const other = await signIn(user.username);
      const stranger = await newUser();
      const idOf = async (token: string) => {
        const listed = await sessions(token);
        return listed.body.sessions.find((s: { current: boolean }) => s.current).id as string;
      };
      const otherId = await idOf(other.token);
      const strangerId = await idOf(stranger.token);
      const end = (id: string, token = user.token) =>
        send('DELETE', `/v1/users/me/sessions/${id}`, { token });

      for (const id of [strangerId, randomUUID(), 'not-a-uuid', `${otherId}x`, '1']) {
        const answer = await end(id);
        expect({ status: answer.status, body: answer.body }, id).toEqual(NOT_FOUND);
      }
      expect((await me(stranger.token)).status).toBe(200);
      expect((await refresh(stranger.refreshToken)).status).toBe(200);
      expect((await me(other.token)).status).toBe(200);

      expect(await end(otherId)).toMatchObject(DONE);
      expect(await me(other.token)).toMatchObject(NOT_SIGNED_IN);
      expect(await refresh(other.refreshToken)).toMatchObject(SESSION_EXPIRED);
      expect(await end(otherId)).toMatchObject(NOT_FOUND);
      expect((await me(user.token)).status).toBe(200);

      // Its own session: ended too.
      expect(await end(await idOf(user.token))).toMatchObject(DONE);
      expect(await me(user.token)).toMatchObject(NOT_SIGNED_IN);
      expect(await refresh(user.refreshToken)).toMatchObject(SESSION_EXPIRED);
    });

    it('DELETE /v1/users/me/sessions signs out everywhere, this session included', async () => {
      const user = await newUser();
      const all = [
        user,
        await signIn(user.username),
        signedIn((await weiboLogin(user.uid)).answer),
      ];
      const stranger = await newUser();
      for (const { token } of all) expect((await me(token)).status).toBe(200);

      expect(await send('DELETE', '/v1/users/me/sessions', { token: user.token })).toMatchObject(
        DONE,
      );
      for (const { token, refreshToken } of all) {
        expect(await me(token)).toMatchObject(NOT_SIGNED_IN);
        expect(await refresh(refreshToken)).toMatchObject(SESSION_EXPIRED);
      }
      expect(await send('DELETE', '/v1/users/me/sessions', { token: user.token })).toMatchObject(
        NOT_SIGNED_IN,
      );
      expect((await me(stranger.token)).status).toBe(200);

      // Signing in again starts a fresh session, alone in the list.
      const again = await signIn(user.username);
      expect((await sessions(again.token)).body.sessions).toMatchObject([{ current: true }]);
    });
  });

  describe('account changes', () => {
    it('deleting the account ends every session', async () => {
      const user = await newUser();
      const other = await signIn(user.username);
      const refreshed = await refresh(other.refreshToken);
      const deleted = await send('DELETE', '/v1/users/me', {
        token: user.token,
        body: { password: PASSWORD },
      });
      expect(deleted).toMatchObject(DONE);
      for (const token of [user.token, other.token, refreshed.body.token]) {
        expect(await me(token)).toMatchObject(NOT_SIGNED_IN);
      }
      for (const refreshToken of [user.refreshToken, refreshed.body.refresh_token]) {
        expect(await refresh(refreshToken)).toMatchObject(SESSION_EXPIRED);
      }
      const rows = await sut.database.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', user.id)
        .execute();
      expect(rows).toEqual([]);
    });

    it('unbinding Weibo ends no session', async () => {
      const user = await newUser();
      const other = await signIn(user.username);
      const unbound = await send('DELETE', '/v1/users/weibo/binding', { token: user.token });
      expect(unbound).toMatchObject(DONE);
      for (const token of [user.token, other.token]) {
        expect(await me(token)).toMatchObject({ status: 200, body: { weibo: null } });
      }
      expect((await sessions(user.token)).body.sessions).toHaveLength(2);
      const refreshed = await refresh(other.refreshToken);
      expectSignedIn(refreshed, user.username, 'a refresh after unbinding');
      expect((await me(refreshed.body.token)).status).toBe(200);
    });
  });

  describe('refresh tokens at rest', () => {
    it('are never stored in plain text: pg_dump holds only their 43-char sha256 hashes', async () => {
      const issued: string[] = [];
      for (let user = 0; user < 3; user += 1) {
        const { username, refreshToken } = await newUser();
        issued.push(refreshToken);
        const other = await signIn(username);
        issued.push(other.refreshToken);
        let current = refreshToken;
        for (let turn = 0; turn < 3; turn += 1) {
          const refreshed = await refresh(current);
          expect(refreshed.status).toBe(200);
          current = refreshed.body.refresh_token;
          issued.push(current);
        }
      }
      expect(new Set(issued).size).toBe(issued.length);

      const url = new URL(sut.database.url);
      const schema = /search_path=(\w+)/.exec(url.searchParams.get('options') ?? '')?.[1];
      expect(schema).toMatch(/^test_/);
      url.searchParams.delete('options');
      const { stdout: dump } = await run(
        'pg_dump',
        ['--data-only', '--no-owner', '-n', schema ?? '', url.toString()],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      expect(dump).toContain(`${schema}.sessions`);
      expect(dump).toContain(`${schema}.session_used_refresh_hashes`);
      for (const token of issued) {
        const bytes = Buffer.from(token, 'base64url');
        for (const form of [token, bytes.toString('base64'), bytes.toString('hex')]) {
          expect(dump, 'a refresh token in the dump').not.toContain(form);
        }
        // Each one is there as its hash: the current ones in sessions, the used ones apart.
        expect(dump).toContain(sha256(token));
      }

      const current = await sut.database.db.selectFrom('sessions').select('refresh_hash').execute();
      const used = await sut.database.db
        .selectFrom('session_used_refresh_hashes')
        .select('hash')
        .execute();
      const hashes = [...current.map((row) => row.refresh_hash), ...used.map((row) => row.hash)];
      expect(hashes.length).toBeGreaterThanOrEqual(issued.length);
      for (const hash of hashes) expect(hash).toMatch(BASE64URL_32_BYTES);
      const stored = new Set(hashes);
      for (const token of issued) expect(stored.has(sha256(token))).toBe(true);
      const columns = await sql<{ table_name: string; column_name: string }>`
        select table_name, column_name from information_schema.columns
        where table_schema = ${schema} and table_name like 'session%'
        order by table_name, column_name`.execute(sut.database.db);
      expect(columns.rows.map((row) => `${row.table_name}.${row.column_name}`)).toEqual([
        'session_used_refresh_hashes.hash',
        'session_used_refresh_hashes.session_id',
        'sessions.created_at',
        'sessions.expires_at',
        'sessions.id',
        'sessions.last_used_at',
        'sessions.refresh_hash',
        'sessions.revoked_at',
        'sessions.user_agent',
        'sessions.user_id',
      ]);
    });
  });
});

describe('with REFRESH_TOKEN_TTL_SECONDS=2', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest({ REFRESH_TOKEN_TTL_SECONDS: '2' });
  });
  afterAll(() => sut?.stop());
  const { newUser, signIn, refresh, me, sessions } = client(() => sut);

  it('a session lives 2 s from its last refresh: a refresh within works and moves it', async () => {
    const user = await newUser();
    const idle = await signIn(user.username);
    const startedAt = Date.now();

    await sleep(1_200);
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    const row = await sut.database.db
      .selectFrom('sessions')
      .select(['last_used_at', 'expires_at'])
      .where('refresh_hash', '=', sha256(first.body.refresh_token))
      .executeTakeFirstOrThrow();
    expect(row.expires_at.getTime() - row.last_used_at.getTime()).toBe(2_000);

    // Past 2 s from sign-in: the refreshed session lives on, the idle one has ended.
    await sleep(Math.max(0, startedAt + 2_500 - Date.now()));
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect((await me(second.body.token)).status).toBe(200);
    expect(await refresh(idle.refreshToken)).toMatchObject(SESSION_EXPIRED);
    expect(await me(idle.token)).toMatchObject(NOT_SIGNED_IN);
    expect((await sessions(second.body.token)).body.sessions).toMatchObject([{ current: true }]);

    // 2.5 s without a refresh: ended, its login token with it.
    await sleep(2_500);
    expect(await refresh(second.body.refresh_token)).toMatchObject(SESSION_EXPIRED);
    expect(await me(second.body.token)).toMatchObject(NOT_SIGNED_IN);
  });
});

describe('reuse detection in the logs', () => {
  const lines: string[] = [];
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    sut = await startServiceUnderTest({}, createLogger('trace', sink));
  });
  afterAll(() => sut?.stop());
  const { newUser, refresh, sessions } = client(() => sut);

  it('is a warn line with the user and session ids, never the token', async () => {
    const user = await newUser();
    const sessionId = (await sessions(user.token)).body.sessions[0].id as string;
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.status).toBe(200);
    const before = lines.length;
    expect(await refresh(user.refreshToken)).toMatchObject(SESSION_EXPIRED);

    const logged = lines.slice(before).map((line) => JSON.parse(line));
    const warnings = logged.filter(
      (entry) => entry.level === 40 && entry.userId === user.id && entry.sessionId === sessionId,
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(/reused/);
    const tokens = [user.refreshToken, refreshed.body.refresh_token];
    const secrets = [...tokens, ...tokens.map(sha256), user.token, refreshed.body.token];
    const leaks = lines.filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);

    const metrics = await (await fetch(`${sut.service.url}/metrics`)).text();
    expect(metrics).toContain('weibo_auth_sessions_total{event="refreshed"} 1');
    expect(metrics).toContain('weibo_auth_sessions_total{event="reused"} 1');
  });
});
