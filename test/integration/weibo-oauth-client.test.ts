import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthCodeRejected, OAuthProviderUnavailable } from '../../src/application/errors.ts';
import type { WeiboConfig } from '../../src/infrastructure/config.ts';
import { createFakeWeibo, type FakeWeiboUser } from '../support/fake-weibo.ts';
import { weiboClient } from '../support/weibo-client.ts';

const APP = {
  clientId: 'app-key-3000',
  clientSecret: 'app-secret-5f2e9c',
  redirectUri: 'https://shop.example/callback?from=weibo',
};
const NOW = new Date('2026-01-02T03:04:05.000Z');
const MiB = 1_048_576;
const TEN_YEARS = 10 * 365 * 24 * 60 * 60;
const clock = { now: () => NOW };
const weibo = createFakeWeibo(APP);
let options: WeiboConfig;

function client(overrides: Partial<WeiboConfig> = {}) {
  return weiboClient({ ...options, ...overrides }, clock);
}

function grantFor(user: FakeWeiboUser) {
  return client().exchangeCode(weibo.issueCode(user));
}

/** The error a promise rejects with; fails the test when it resolves. */
function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => Promise.reject(new Error('expected a rejection')),
    (e: Error) => e,
  );
}

// A garbage collection before measuring, lest the previous test's garbage blur the baseline.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** How `work` settled, how long it took and how far heap + ArrayBuffer memory rose meanwhile. */
async function watch(work: () => Promise<unknown>) {
  const used = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  collectGarbage();
  const before = used();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used());
  }, 1);
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work()]);
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, used());
  return { outcome, ms, grownMiB: (peak - before) / MiB };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const apiBaseUrl = await weibo.start();
  options = {
    ...APP,
    scope: '',
    apiBaseUrl,
    mobileAuthorizeUrl: 'https://open.weibo.cn/oauth2/authorize',
    timeoutMs: 200,
  };
});
afterAll(() => weibo.stop());
beforeEach(() => weibo.reset());

describe('authorizationUrl', () => {
  it('points at the authorize page with client, redirect, response type and state only', () => {
    const url = client().authorizationUrl({ state: 's1', forceLogin: false });
    expect(url).toBe(
      `${options.apiBaseUrl}/oauth2/authorize?client_id=app-key-3000` +
        '&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback%3Ffrom%3Dweibo' +
        '&response_type=code&state=s1',
    );
  });

  it('uses the mobile authorize page as configured for display=mobile', () => {
    const url = new URL(
      client().authorizationUrl({ state: 's', display: 'mobile', forceLogin: false }),
    );
    expect(url.origin + url.pathname).toBe('https://open.weibo.cn/oauth2/authorize');
    expect(url.searchParams.get('display')).toBe('mobile');
  });

  it('adds the configured scope, display, forcelogin and language', () => {
    const url = client({ scope: 'email,all' }).authorizationUrl({
      state: 's',
      display: 'wap',
      forceLogin: true,
      language: 'en',
    });
    expect(url).toMatch(/&state=s&scope=email%2Call&display=wap&forcelogin=true&language=en$/);
  });

  it('encodes the state and scope', () => {
    const url = client({ scope: 'a b&c' }).authorizationUrl({ state: 'x/+=&y', forceLogin: false });
    expect(new URL(url).searchParams.get('state')).toBe('x/+=&y');
    expect(url).toContain('state=x%2F%2B%3D%26y&scope=a+b%26c');
  });

  it('ignores a trailing slash of the api base url', () => {
    const url = client({ apiBaseUrl: 'https://api.weibo.com/' }).authorizationUrl({
      state: 's',
      forceLogin: false,
    });
    expect(url).toMatch(/^https:\/\/api\.weibo\.com\/oauth2\/authorize\?/);
  });
});

describe('exchangeCode', () => {
  it('returns the uid, the access token and an expiry counted from the clock', async () => {
    const grant = await grantFor({ uid: '1404376560' });
    expect(grant.uid).toBe('1404376560');
    expect(grant.accessToken).toMatch(/^2\.00[0-9a-f]{32}$/);
    expect(grant.expiresAt).toEqual(new Date(NOW.getTime() + 157679999 * 1000));
  });

  it('posts the authorization_code grant form to Weibo', async () => {
    const code = weibo.issueCode({ uid: '42' });
    await client().exchangeCode(code);
    expect(weibo.calls).toEqual([
      {
        method: 'POST',
        path: '/oauth2/access_token',
        query: {},
        form: {
          client_id: APP.clientId,
          client_secret: APP.clientSecret,
          grant_type: 'authorization_code',
          code,
          redirect_uri: APP.redirectUri,
        },
      },
    ]);
  });

  it('rejects a used code with OAuthCodeRejected', async () => {
    const code = weibo.issueCode({ uid: '42' });
    await client().exchangeCode(code);
    await expect(client().exchangeCode(code)).rejects.toThrow(OAuthCodeRejected);
  });

  it('rejects a code refused with HTTP 200 with OAuthCodeRejected', async () => {
    weibo.failNext('error200');
    await expect(grantFor({ uid: '42' })).rejects.toThrow(OAuthCodeRejected);
  });

  it('reports HTTP 500 as OAuthProviderUnavailable', async () => {
    weibo.failNext('http500');
    await expect(grantFor({ uid: '42' })).rejects.toThrow(OAuthProviderUnavailable);
  });

  it('reports an HTML answer with HTTP 400 as OAuthProviderUnavailable', async () => {
    weibo.failNext('html400');
    await expect(grantFor({ uid: '42' })).rejects.toThrow(OAuthProviderUnavailable);
  });

  it('gives up after timeoutMs with OAuthProviderUnavailable', async () => {
    weibo.failNext('slow', { delayMs: 1500 });
    const started = performance.now();
    await expect(grantFor({ uid: '42' })).rejects.toThrow(OAuthProviderUnavailable);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('counts the timeout until the whole answer is read', async () => {
    weibo.failNext('slowBody', { delayMs: 50 });
    const started = performance.now();
    await expect(grantFor({ uid: '42' })).rejects.toThrow(OAuthProviderUnavailable);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('reports a refused connection as OAuthProviderUnavailable', async () => {
    const down = client({ apiBaseUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect(down.exchangeCode('abc')).rejects.toThrow(OAuthProviderUnavailable);
  });

  it('keeps the client secret and the code out of error messages', async () => {
    const code = weibo.issueCode({ uid: '42' });
    await client().exchangeCode(code);
    weibo.failNext('error200');
    weibo.failNext('http500');
    weibo.failNext('slow');
    weibo.failNext('slowBody', { delayMs: 50 });
    weibo.failNext('bigBody', { bytes: MiB + 1 });
    const errors = [
      await rejectionOf(client().exchangeCode(code)),
      await rejectionOf(client().exchangeCode(code)),
      await rejectionOf(client().exchangeCode(code)),
      await rejectionOf(client().exchangeCode(code)),
      await rejectionOf(client().exchangeCode(code)),
      await rejectionOf(client().exchangeCode(code)),
      await rejectionOf(client({ clientSecret: 'wrong-secret-77' }).exchangeCode(code)),
    ];
    const messages = errors.map((e) => `${e.message} ${(e.cause as Error | undefined)?.message}`);
    expect(messages[0]).toMatch(/21325/);
    for (const message of messages) {
      expect(message).not.toContain(code);
      expect(message).not.toContain(APP.clientSecret);
      expect(message).not.toContain('wrong-secret-77');
    }
  });
});

describe('exchangeCode given an absurd expires_in', () => {
  it.each([
    ['astronomically large', 9007199254740991],
    ['a second over ten years', TEN_YEARS + 1],
    ['negative', -1],
    ['zero', 0],
    ['fractional', 1.5],
    ['missing', undefined],
    ['null', null],
    ['a word', 'forever'],
    ['a huge string of digits', '9007199254740991'],
    ['a string in exponent notation', '1e3'],
    ['a boolean', true],
  ])('reports one that is %s (%j) as OAuthProviderUnavailable', async (_case, expiresIn) => {
    weibo.failNext('absurdExpiry', { expiresIn });
    await expect(grantFor({ uid: '42' })).rejects.toThrow(OAuthProviderUnavailable);
  });

  it.each([
    ['Weibo’s usual', 157679999, 157679999],
    ['sent as a string of digits', '157679999', 157679999],
    ['of exactly ten years', TEN_YEARS, TEN_YEARS],
    ['of one second', 1, 1],
  ])('accepts one %s (%j)', async (_case, expiresIn, seconds) => {
    weibo.failNext('absurdExpiry', { expiresIn });
    const grant = await grantFor({ uid: '42' });
    expect(grant.expiresAt).toEqual(new Date(NOW.getTime() + seconds * 1000));
  });
});

describe('answers longer than 1 MiB', () => {
  const patient = () => client({ timeoutMs: 15_000 });

  it('refuses a 200 MB token answer at once, holding little of it', {
    timeout: 30_000,
  }, async () => {
    weibo.failNext('bigBody');
    const code = weibo.issueCode({ uid: '42' });
    const { outcome, ms, grownMiB } = await watch(() => patient().exchangeCode(code));
    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: expect.any(OAuthProviderUnavailable),
    });
    expect(ms).toBeLessThan(2000);
    expect(grownMiB).toBeLessThan(50);
  });

  it('refuses a token answer announcing more than 1 MiB in its Content-Length', async () => {
    weibo.failNext('bigBody', { announced: true });
    const code = weibo.issueCode({ uid: '42' });
    await expect(patient().exchangeCode(code)).rejects.toThrow(/more than 1048576 bytes/);
  });

  it('refuses a valid token answer of 1 MiB and one byte', async () => {
    weibo.failNext('bigBody', { bytes: MiB + 1 });
    const error = await rejectionOf(grantFor({ uid: '42' }));
    expect(error).toBeInstanceOf(OAuthProviderUnavailable);
    expect(error.message).toBe('Weibo answered more than 1048576 bytes (/oauth2/access_token)');
  });

  it('accepts a valid token answer of exactly 1 MiB', async () => {
    weibo.failNext('bigBody', { bytes: MiB });
    await expect(grantFor({ uid: '42' })).resolves.toMatchObject({ uid: '42' });
  });

  it('gives no profile for a 200 MB users/show answer, holding little of it', {
    timeout: 30_000,
  }, async () => {
    const grant = await grantFor({ uid: '42', screenName: 'ming' });
    weibo.failNext('profileBigBody');
    const { outcome, ms, grownMiB } = await watch(() => patient().fetchProfile(grant));
    expect(outcome).toEqual({ status: 'fulfilled', value: null });
    expect(ms).toBeLessThan(2000);
    expect(grownMiB).toBeLessThan(50);
  });

  it('gives no profile for a users/show answer of 1 MiB and one byte, but reads one of 1 MiB', async () => {
    const grant = await grantFor({ uid: '42', screenName: 'ming' });
    weibo.failNext('profileBigBody', { bytes: MiB + 1 });
    await expect(client().fetchProfile(grant)).resolves.toBeNull();
    weibo.failNext('profileBigBody', { bytes: MiB });
    await expect(client().fetchProfile(grant)).resolves.toEqual({ screenName: 'ming' });
  });
});

describe('fetchProfile', () => {
  const avatars = {
    avatarHd: 'https://tvax1.sinaimg.cn/large/hd.jpg',
    avatarLarge: 'https://tvax1.sinaimg.cn/180/large.jpg',
    profileImageUrl: 'https://tvax1.sinaimg.cn/50/small.jpg',
  };

  it('returns the screen name and the HD avatar first', async () => {
    const grant = await grantFor({ uid: '42', screenName: '小明', ...avatars });
    await expect(client().fetchProfile(grant)).resolves.toEqual({
      screenName: '小明',
      avatar: avatars.avatarHd,
    });
  });

  it('falls back to the large avatar, then to the profile image', async () => {
    const withLarge = await grantFor({ uid: '42', ...avatars, avatarHd: '' });
    const withSmall = await grantFor({ uid: '43', profileImageUrl: avatars.profileImageUrl });
    expect((await client().fetchProfile(withLarge))?.avatar).toBe(avatars.avatarLarge);
    expect((await client().fetchProfile(withSmall))?.avatar).toBe(avatars.profileImageUrl);
  });

  it('omits the avatar when Weibo has none', async () => {
    const grant = await grantFor({ uid: '42', screenName: 'ming' });
    await expect(client().fetchProfile(grant)).resolves.toEqual({ screenName: 'ming' });
  });

  it('asks users/show for the granted uid with its token', async () => {
    const grant = await grantFor({ uid: '42' });
    await client().fetchProfile(grant);
    expect(weibo.calls.at(-1)).toMatchObject({
      method: 'GET',
      path: '/2/users/show.json',
      query: { access_token: grant.accessToken, uid: '42' },
    });
  });

  it('returns null when Weibo refuses the access token', async () => {
    const grant = await grantFor({ uid: '42' });
    await expect(
      client().fetchProfile({ ...grant, accessToken: '2.00forged' }),
    ).resolves.toBeNull();
  });

  it('returns null when users/show answers HTTP 500', async () => {
    const grant = await grantFor({ uid: '42' });
    weibo.failNext('profileDown');
    await expect(client().fetchProfile(grant)).resolves.toBeNull();
  });

  it('returns null when users/show does not answer in time', async () => {
    const grant = await grantFor({ uid: '42' });
    weibo.failNext('profileSlow');
    await expect(client().fetchProfile(grant)).resolves.toBeNull();
  });

  it('returns null when Weibo cannot be reached', async () => {
    const grant = await grantFor({ uid: '42' });
    const down = client({ apiBaseUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect(down.fetchProfile(grant)).resolves.toBeNull();
  });
});
