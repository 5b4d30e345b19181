import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import {
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
  remember('login token', answer.body.token);
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
    remember('login token', bound.body.token);
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
      ['friendsExpired', 401],
      ['friendsOtherError', 502],
      ['friendsDown', 502],
      ['friendsSlow', 502],
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
  remember('login token', bound.body.token);
  return {
    browser,
    username,
    token: bound.body.token as string,
    bindToken: answer.body.bind_token as string,
  };
}

function send(browser: Browser, method: string, path: string, token?: string, body?: unknown) {
  return browser.request(path, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
