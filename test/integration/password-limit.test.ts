import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PASSWORD, send, signUp, weiboLogin } from '../support/accounts.ts';
import { eventually } from '../support/outbox.ts';
import {
  type Answer,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const LIMIT = 10;
const UNAVAILABLE = { status: 503, body: { code: 10154, error: 'Service unavailable' } };

/** How many of the answers checked a password (anything but 429), and that 429s are the rest. */
function checkedPasswords(answers: Answer[]): number {
  const checked = answers.filter((answer) => answer.status !== 429);
  for (const answer of checked) expect([200, 401]).toContain(answer.status);
  for (const answer of answers.filter((a) => a.status === 429)) {
    expect(answer.body.code).toBe(10156);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  }
  return checked.length;
}

describe.each([
  ['Redis', {}],
  ['in-process', { REDIS_URL: undefined }],
])('the password limit with %s counters, under concurrency', (_name, env) => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest({ LOGIN_RATE_LIMIT_PER_HOUR: String(LIMIT), ...env });
  });
  afterAll(() => sut.stop());

  it('checks at most the limit of 40 sign-ins sent at once, the right password 36th', async () => {
    const { browser, username } = await signUp(sut);
    const proof = await send(browser, 'POST', '/v1/tokens', undefined, {
      username,
      password: PASSWORD,
    });
    expect(proof).toMatchObject({ status: 200, body: { code: 200 } });

    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        send(browser, 'POST', '/v1/tokens', undefined, {
          username,
          password: i === 35 ? PASSWORD : `wrong guess ${i}`,
        }),
      ),
    );
    expect(checkedPasswords(answers)).toBeLessThanOrEqual(LIMIT);
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(LIMIT);
  });

  it('checks at most the limit of 20 links sent at once', async () => {
    const { browser, username, token } = await signUp(sut);
    await send(browser, 'DELETE', '/v1/users/weibo/binding', token);
    const bindToken = (await weiboLogin(sut)).answer.body.bind_token;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(browser, 'POST', '/v1/users/weibo/bindings', undefined, {
          bind_token: bindToken,
          username,
          password: `wrong guess ${i}`,
        }),
      ),
    );
    expect(checkedPasswords(answers)).toBeLessThanOrEqual(LIMIT);
  });

  it('checks at most the limit of 20 account deletions sent at once', async () => {
    const { browser, token } = await signUp(sut);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(browser, 'DELETE', '/v1/users/me', token, { password: `wrong guess ${i}` }),
      ),
    );
    expect(checkedPasswords(answers)).toBeLessThanOrEqual(LIMIT);
    expect((await send(browser, 'GET', '/v1/users/me', token)).status).toBe(200);
  });

  it('gives a success its place back: more right passwords than the limit all sign in', async () => {
    const { browser, username } = await signUp(sut);
    for (let i = 0; i < LIMIT + 5; i += 1) {
      const answer = await send(browser, 'POST', '/v1/tokens', undefined, {
        username,
        password: PASSWORD,
      });
      expect(answer.status).toBe(200);
    }
  });
});

describe('the password limit with its Redis cut', () => {
  let proxy: TcpProxy;
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    proxy = await startTcpProxy(inject('redisUrl'));
    sut = await startServiceUnderTest({
      REDIS_URL: proxy.url,
      LOGIN_RATE_LIMIT_PER_HOUR: String(LIMIT),
      // On, so its outage behaviour shows; high, as other files count 127.0.0.1 in this Redis too.
      RATE_LIMIT_PER_MINUTE: '1000000',
    });
  });
  afterAll(async () => {
    await sut.stop();
    await proxy.stop();
  });

  it('answers 503 10154 to every password check, the right one too, and counts again once back', async () => {
    const { browser, username, token } = await signUp(sut);
    const other = await signUp(sut);
    await send(other.browser, 'DELETE', '/v1/users/weibo/binding', other.token);
    const linkToken = (await weiboLogin(sut)).answer.body.bind_token;
    const bindToken = (await weiboLogin(sut)).answer.body.bind_token;
    const signIn = (password: string) =>
      send(browser, 'POST', '/v1/tokens', undefined, { username, password });
    expect(await signIn(PASSWORD)).toMatchObject({ status: 200 });

    await proxy.cut();
    expect((await fetch(`${sut.service.url}/readyz`)).status).toBe(503);
    for (let i = 0; i < 30; i += 1) {
      expect(await signIn(`wrong guess ${i}`)).toMatchObject(UNAVAILABLE);
    }
    expect(await signIn(PASSWORD)).toMatchObject(UNAVAILABLE);
    const link = await send(other.browser, 'POST', '/v1/users/weibo/bindings', undefined, {
      bind_token: linkToken,
      username: other.username,
      password: PASSWORD,
    });
    expect(link).toMatchObject(UNAVAILABLE);
    const remove = await send(browser, 'DELETE', '/v1/users/me', token, { password: PASSWORD });
    expect(remove).toMatchObject(UNAVAILABLE);
    // The bind limit guards an argon2id hash too: closed as well, and nothing is left behind.
    const bindName = `cut_${freshUid()}`;
    const bind = await browser.post('/v1/users/weibo/users', {
      bind_token: bindToken,
      username: bindName,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'cut@example.com',
    });
    expect(bind).toMatchObject(UNAVAILABLE);
    const users = await sut.database.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', bindName)
      .execute();
    expect(users).toEqual([]);
    // The per-client request limit stays open: a signed-in read needs only Postgres.
    expect(await send(browser, 'GET', '/v1/users/me', token)).toMatchObject({ status: 200 });

    await proxy.restore();
    await eventually(async () => (await fetch(`${sut.service.url}/readyz`)).status === 200);
    expect(await signIn(PASSWORD)).toMatchObject({ status: 200, body: { code: 200 } });
    expect(await signIn('wrong again')).toMatchObject({ status: 401, body: { code: 10162 } });
  }, 60_000);
});
