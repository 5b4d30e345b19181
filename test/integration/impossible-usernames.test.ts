import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import { PASSWORD, send, signUp, weiboLogin } from '../support/accounts.ts';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

const WRONG = { status: 401, body: { code: 10162, error: 'Wrong username or password' } };
const IMPOSSIBLE: Array<[string, string]> = [
  ['a NUL', 'a\u0000b'],
  ['a NUL after a real name', 'acct\u0000'],
  ['a lone high surrogate', 'ab\ud800c'],
  ['a lone low surrogate', '\udc00abc'],
  ['10,000 characters', 'a'.repeat(10_000)],
  ['a non-ASCII letter', 'añb'],
];

const lines: Array<{ level: number; msg?: string }> = [];
/** Lines at level error or above since the test began. */
let errorsFrom = 0;
const errorLines = () => lines.slice(errorsFrom).filter((line) => line.level >= 50);
let sut: ServiceUnderTest;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  sut = await startServiceUnderTest(
    { LOGIN_RATE_LIMIT_PER_HOUR: '1000' },
    createLogger('info', sink),
  );
});
afterAll(() => sut.stop());
beforeEach(() => {
  errorsFrom = lines.length;
});

describe('a username that cannot exist', () => {
  it.each(IMPOSSIBLE)(
    'with %s is a wrong credential on POST /v1/tokens',
    async (_case, username) => {
      const { browser, username: real } = await signUp(sut);
      const proof = await send(browser, 'POST', '/v1/tokens', undefined, {
        username: real,
        password: PASSWORD,
      });
      expect(proof.status).toBe(200);
      const answer = await send(browser, 'POST', '/v1/tokens', undefined, {
        username,
        password: PASSWORD,
      });
      expect(answer).toMatchObject(WRONG);
      expect(errorLines()).toEqual([]);
    },
  );

  it.each(IMPOSSIBLE)(
    'with %s is a wrong credential on POST /v1/users/weibo/bindings',
    async (_case, username) => {
      const { browser } = await signUp(sut);
      const bindToken = (await weiboLogin(sut)).answer.body.bind_token;
      const answer = await send(browser, 'POST', '/v1/users/weibo/bindings', undefined, {
        bind_token: bindToken,
        username,
        password: PASSWORD,
      });
      expect(answer).toMatchObject(WRONG);
      expect(errorLines()).toEqual([]);
    },
  );
});

describe('a password with a NUL', () => {
  it('is simply a wrong password, on each endpoint that takes one', async () => {
    const { browser, username, token } = await signUp(sut);
    const password = `${PASSWORD}\u0000`;
    expect(
      await send(browser, 'POST', '/v1/tokens', undefined, { username, password }),
    ).toMatchObject(WRONG);
    expect(await send(browser, 'DELETE', '/v1/users/me', token, { password })).toMatchObject(WRONG);
    expect(errorLines()).toEqual([]);
  });
});
