import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import {
  type Answer,
  type Browser,
  CLIENT,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const BIND = '/v1/users/weibo/users';
const LINK = '/v1/users/weibo/bindings';
const BINDING = '/v1/users/weibo/binding';
const FRIENDS = '/v1/users/weibo/friends?count=2';
const REFRESH = '/v1/tokens/refresh';
const REVOKE = '/v1/tokens/revoke';
const SESSIONS = '/v1/users/me/sessions';
const PASSWORD = 'pässword-never-logged';
const WRONG_PASSWORD = 'wrong-pässword-never-logged';
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const encryptionKey = randomBytes(32).toString('base64');

const lines: string[] = [];
const secrets = new Map<string, string>();
function remember(kind: string, value: unknown) {
  if (typeof value === 'string' && value.length >= 6) secrets.set(value, kind);
}
/** Every refresh token and login token an answer carries. */
function rememberTokens(answer: Answer) {
  remember('refresh token', answer.body?.refresh_token);
  remember('login token', answer.body?.token);
}

let sut: ServiceUnderTest;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  // The service's own logger, redaction included, writing every level to memory.
  sut = await startServiceUnderTest(
    { JWT_PRIVATE_KEY: signingKey, TOKEN_ENCRYPTION_KEY: encryptionKey },
    createLogger('trace', sink),
  );
  remember('client secret', CLIENT.clientSecret);
  remember('encryption key', encryptionKey);
  for (const line of signingKey.split('\n')) {
    if (!line.startsWith('-----')) remember('signing key', line);
  }
});
afterAll(() => sut.stop());

/** One login through the callback, remembering every secret it handles. */
async function login(uid = freshUid()) {
  const browser = sut.browser();
  const authorize = await browser.get('/v1/users/weibo/authorization?return_to=/cart');
  const state = new URL(authorize.body.oauth_url).searchParams.get('state');
  const cookie = authorize.headers.get('set-cookie')?.split(';')[0]?.split('=')[1];
  const code = sut.weibo.issueCode({ uid });
  remember('state', state);
  remember('binding cookie', cookie);
  remember('code', code);
  const answer = await browser.callback(code, state ?? '');
  remember('bind token', answer.body.bind_token);
  rememberTokens(answer);
  return { browser, answer, uid };
}

describe('logs over full flows, failures included', () => {
  it('hold no password, token, code, state, secret or key', async () => {
    const first = await login();
    expect(first.answer.body.code).toBe(201);
    const form = {
      bind_token: first.answer.body.bind_token,
      username: `log_${freshUid()}`,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'log@example.com',
    };
    remember('password', PASSWORD);
    const bound = await first.browser.post(BIND, form);
    expect(bound.body.code).toBe(200);
    rememberTokens(bound);
    const again = await login(first.uid);
    expect(again.answer.body.code).toBe(200);

    // Failures: refused fields, a reused bind token, a replayed state, and every Weibo fault.
    const second = await login();
    for (const change of [
      { password: 'short' },
      { email: 'bad' },
      { uid: '1' },
      { bind_token: `${second.answer.body.bind_token}x` },
      { bind_token: first.answer.body.bind_token },
    ]) {
      const refused = await second.browser.post(BIND, { ...form, ...change });
      expect(refused.status).toBeGreaterThanOrEqual(400);
    }
    for (const fault of ['http500', 'html400', 'error200', 'slow', 'profileDown'] as const) {
      sut.weibo.failNext(fault);
      const failed = await login();
      expect([200, 400, 502]).toContain(failed.answer.status);
    }
    const replayed = await second.browser.callback('some-code-value', 'not-a-state-but-long');
    expect(replayed.status).toBe(403);

    for (const call of sut.weibo.calls) {
      remember('Weibo access token', call.query.access_token ?? call.form.access_token);
      remember('code', call.form.code);
    }
    expect(secrets.size).toBeGreaterThan(20);
    expect(lines.length).toBeGreaterThan(20);
    expectNoSecretInLogs();
  });

  it('hold no password, login token or Weibo token over the account API', async () => {
    const linesBefore = lines.length;
    const alice = await newAccount();

    // Password sign-in: right (any case), wrong, unknown user, and a refused type.
    const signedIn = await send(alice.browser, 'POST', '/v1/tokens', undefined, {
      username: alice.username.toUpperCase(),
      password: PASSWORD,
    });
    expect(signedIn.body.code).toBe(200);
    remember('login token', signedIn.body.token);
    remember('password', WRONG_PASSWORD);
    for (const body of [
      { username: alice.username, password: WRONG_PASSWORD },
      { username: `nobody_${freshUid()}`, password: PASSWORD },
      { username: alice.username, password: [PASSWORD] },
    ]) {
      const refused = await send(alice.browser, 'POST', '/v1/tokens', undefined, body);
      expect([400, 401]).toContain(refused.status);
    }

    // Signed-in reads, and refused tokens.
    const token = signedIn.body.token as string;
    expect((await send(alice.browser, 'GET', '/v1/users/me', token)).status).toBe(200);
    for (const bad of [`${token}x`, alice.bindToken]) {
      expect((await send(alice.browser, 'GET', '/v1/users/me', bad)).status).toBe(401);
    }
    expect((await send(alice.browser, 'GET', FRIENDS, token)).status).toBe(200);
    for (const [fault, status] of [
      ['friendsOtherError', 502],
      ['friendsDown', 502],
      ['friendsSlow', 502],
      ['friendsExpired', 401],
    ] as const) {
      sut.weibo.failNext(fault);
      expect((await send(alice.browser, 'GET', FRIENDS, token)).status).toBe(status);
    }

    // Unbind with a failed revoke (logged), link again, unbind with a working revoke.
    sut.weibo.failNext('revokeDown');
    expect((await send(alice.browser, 'DELETE', BINDING, token)).status).toBe(200);
    const relogin = await login();
    expect(relogin.answer.body.code).toBe(201);
    const linkForm = {
      bind_token: relogin.answer.body.bind_token,
      username: alice.username,
      password: PASSWORD,
    };
    for (const change of [{ password: WRONG_PASSWORD }, { bind_token: token }]) {
      const refused = await send(alice.browser, 'POST', LINK, undefined, {
        ...linkForm,
        ...change,
      });
      expect(refused.status).toBe(401);
    }
    const linked = await send(alice.browser, 'POST', LINK, undefined, linkForm);
    expect(linked.body.code).toBe(200);
    remember('login token', linked.body.token);
    sut.weibo.failNext('revokeSlow');
    expect((await send(alice.browser, 'DELETE', BINDING, linked.body.token)).status).toBe(200);

    // Delete: a refused type, a wrong password, then an account with Weibo and one without.
    const bob = await newAccount();
    const remove = (who: { browser: Browser; token: string }, body: unknown) =>
      send(who.browser, 'DELETE', '/v1/users/me', who.token, body);
    expect((await remove(bob, { password: 7 })).status).toBe(400);
    expect((await remove(bob, { password: WRONG_PASSWORD })).status).toBe(401);
    expect((await remove(bob, { password: PASSWORD })).status).toBe(200);
    expect((await remove({ browser: alice.browser, token }, { password: PASSWORD })).status).toBe(
      200,
    );
    expect((await send(bob.browser, 'GET', '/v1/users/me', bob.token)).status).toBe(401);

    const weiboTokens = sut.weibo.calls.flatMap((call) => [
      ...(call.path === '/2/friendships/friends.json' ? [call.query.access_token] : []),
      ...(call.path === '/oauth2/revokeoauth2' ? [call.form.access_token] : []),
    ]);
    expect(new Set(weiboTokens).size).toBeGreaterThanOrEqual(3);
    for (const value of weiboTokens) remember('Weibo access token', value);
    expect(lines.length - linesBefore).toBeGreaterThan(20);
    expectNoSecretInLogs();
  });

  it('hold no refresh token over refresh, reuse, revoke, the session list and signing out', async () => {
    const linesBefore = lines.length;
    const carol = await newAccount();
    const { browser, username } = carol;
    const refresh = (refreshToken: unknown) =>
      send(browser, 'POST', REFRESH, undefined, { refresh_token: refreshToken });
    const revoke = (body: unknown) => send(browser, 'POST', REVOKE, undefined, body);
    const signIn = async () => {
      const answer = await send(browser, 'POST', '/v1/tokens', undefined, {
        username,
        password: PASSWORD,
      });
      expect(answer.body.code).toBe(200);
      return answer.body as { token: string; refresh_token: string };
    };

    // Rotation, then the used token again: the session is revoked (logged at warn).
    const first = await refresh(carol.refreshToken);
    expect(first.status).toBe(200);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect((await refresh(carol.refreshToken)).body.code).toBe(10165);
    expect((await refresh(second.body.refresh_token)).body.code).toBe(10165);
    expect((await send(browser, 'GET', '/v1/users/me', second.body.token)).status).toBe(401);
    for (const bad of ['x'.repeat(43), '', 42, null]) {
      expect((await refresh(bad)).body.code).toBe(10165);
    }
    expect((await send(browser, 'POST', REFRESH, undefined, '{"refresh_token":')).status).toBe(400);

    // Two concurrent refreshes of one token.
    const raced = await signIn();
    await Promise.all([refresh(raced.refresh_token), refresh(raced.refresh_token)]);

    // Revoke: a live token, a used one, an unknown one and one that is not a string.
    const live = await signIn();
    expect((await revoke({ refresh_token: live.refresh_token })).status).toBe(200);
    const rotated = await signIn();
    expect((await refresh(rotated.refresh_token)).status).toBe(200);
    expect((await revoke({ refresh_token: rotated.refresh_token })).status).toBe(200);
    for (const body of [{ refresh_token: 'y'.repeat(43) }, { refresh_token: 7 }, {}]) {
      expect((await revoke(body)).status).toBe(200);
    }

    // The session list, ending one session (another user's id too), then all of them.
    const here = await signIn();
    const there = await signIn();
    const listed = await send(browser, 'GET', SESSIONS, here.token);
    expect(listed.body.sessions.length).toBeGreaterThanOrEqual(2);
    const thereId = (await send(browser, 'GET', SESSIONS, there.token)).body.sessions.find(
      (session: { current: boolean }) => session.current,
    ).id;
    const dave = await newAccount();
    expect((await send(browser, 'DELETE', `${SESSIONS}/${thereId}`, dave.token)).status).toBe(404);
    expect((await send(browser, 'DELETE', `${SESSIONS}/not-a-uuid`, here.token)).status).toBe(404);
    expect((await send(browser, 'DELETE', `${SESSIONS}/${thereId}`, here.token)).status).toBe(200);
    expect((await refresh(there.refresh_token)).body.code).toBe(10165);
    expect((await send(browser, 'DELETE', SESSIONS, here.token)).status).toBe(200);
    expect((await send(browser, 'DELETE', SESSIONS, here.token)).status).toBe(401);
    expect((await refresh(here.refresh_token)).body.code).toBe(10165);
    expect((await send(browser, 'GET', SESSIONS, dave.token)).status).toBe(200);

    const refreshTokens = [...secrets].filter(([, kind]) => kind === 'refresh token');
    expect(refreshTokens.length).toBeGreaterThan(15);
    const reuse = lines.slice(linesBefore).filter((line) => /reused/.test(line));
    expect(reuse.length).toBeGreaterThanOrEqual(2);
    expect(lines.length - linesBefore).toBeGreaterThan(20);
    expectNoSecretInLogs();
  });
});

describe('logs over the native app login and the signals of Weibo', () => {
  it('hold no Weibo token, login token or refresh token', async () => {
    const linesBefore = lines.length;
    const appLogin = (body: unknown) =>
      send(sut.browser(), 'POST', '/v1/users/weibo/app-login', undefined, body);
    const uid = freshUid();
    const token = sut.weibo.issueAppToken({ uid });
    const foreign = sut.weibo.issueAppToken({ uid }, { appKey: '3000000001' });
    remember('Weibo app token', token);
    remember('foreign Weibo app token', foreign);
    const first = await appLogin({ access_token: token, uid });
    remember('bind token', first.body.bind_token);
    const bound = await sut.browser().post(BIND, {
      bind_token: first.body.bind_token,
      username: `applog_${uid}`,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'log@example.com',
    });
    rememberTokens(bound);
    expect((await appLogin({ access_token: token, uid })).body.code).toBe(200);
    expect((await appLogin({ access_token: foreign, uid })).status).toBe(401);
    // 10023, a user's limit: a 10022 would pause the Weibo calls of every test on this Redis.
    for (const fault of ['tokenInfoDown', 'tokenInfoRateLimited', 'tokenInfoExpired'] as const) {
      sut.weibo.failNext(fault, {
        errorCode: fault === 'tokenInfoRateLimited' ? 10023 : undefined,
      });
      expect((await appLogin({ access_token: token, uid })).status).toBeGreaterThanOrEqual(400);
    }
    sut.weibo.failNext('rateLimited', { errorCode: 10023 });
    expect((await login()).answer.status).toBe(503);
    sut.weibo.failNext('operatorError');
    expect((await login()).answer.status).toBe(400);

    sut.weibo.deauthorizeTo(`${sut.service.url}/v1/users/weibo/deauthorization`);
    await fetch(`${sut.weibo.url()}/sdk/remove-app`, {
      method: 'POST',
      body: new URLSearchParams({ uid }),
    });
    expect(lines.slice(linesBefore).some((line) => line.includes('deauthorization'))).toBe(true);
    expect(lines.length - linesBefore).toBeGreaterThan(10);
    expectNoSecretInLogs();
  });
});

function expectNoSecretInLogs() {
  const leaks = lines.flatMap((line) =>
    [...secrets].filter(([value]) => line.includes(value)).map(([, kind]) => `${kind}: ${line}`),
  );
  expect(leaks).toEqual([]);
}

/** A Weibo login bound to a new account with PASSWORD: its browser, name and tokens. */
async function newAccount() {
  const { browser, answer } = await login();
  expect(answer.body.code).toBe(201);
  const username = `log_${freshUid()}`;
  const bound = await browser.post(BIND, {
    bind_token: answer.body.bind_token,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'log@example.com',
  });
  expect(bound.body.code).toBe(200);
  remember('password', PASSWORD);
  rememberTokens(bound);
  return {
    browser,
    username,
    token: bound.body.token as string,
    refreshToken: bound.body.refresh_token as string,
    bindToken: answer.body.bind_token as string,
  };
}

/** Any request; the tokens of its answer are remembered. */
async function send(
  browser: Browser,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
) {
  const answer = await browser.request(path, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  rememberTokens(answer);
  return answer;
}
