import net from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
} from '../../src/application/errors.ts';
import type { WeiboConfig } from '../../src/infrastructure/config.ts';
import {
  createFakeWeibo,
  type FakeWeiboUser,
  type WeiboFault,
  type WeiboFaultOptions,
} from '../support/fake-weibo.ts';
import { weiboClient } from '../support/weibo-client.ts';

const APP = {
  clientId: 'app-key-3000',
  clientSecret: 'app-secret-5f2e9c',
  redirectUri: 'https://shop.example/callback?from=weibo',
};
const MiB = 1_048_576;
const PAGE = { cursor: 0, count: 5 };
const TOKEN_ERROR_CODES = [21301, 21314, 21315, 21316, 21317, 21327, 21332];
const weibo = createFakeWeibo(APP);
let options: WeiboConfig;

function client(overrides: Partial<WeiboConfig> = {}) {
  return weiboClient({ ...options, ...overrides }, { now: () => new Date() });
}

function grantFor(user: FakeWeiboUser) {
  return client().exchangeCode(weibo.issueCode(user));
}

/** A Weibo user who approved the app, following `friends` who approved it too. */
async function userWithFriends(uid: string, friends: FakeWeiboUser[]) {
  for (const friend of friends) await grantFor(friend);
  return grantFor({ uid, friends: friends.map((friend) => friend.uid) });
}

/** A friends answer of Weibo's shape holding `users`, as the fake sends it. */
function answerWith(users: unknown[], page: object = {}): WeiboFaultOptions {
  return {
    answer: { users, next_cursor: 0, previous_cursor: 0, total_number: users.length, ...page },
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => Promise.reject(new Error('expected a rejection')),
    (e: Error) => e,
  );
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

describe('fetchFriends', () => {
  it('asks friendships/friends for the granted uid with its token, count, cursor and trim_status=1', async () => {
    const grant = await grantFor({ uid: '42' });
    await client().fetchFriends(grant, { cursor: 10, count: 3 });
    expect(weibo.calls.at(-1)).toEqual({
      method: 'GET',
      path: '/2/friendships/friends.json',
      query: {
        access_token: grant.accessToken,
        uid: '42',
        count: '3',
        cursor: '10',
        trim_status: '1',
      },
      form: {},
    });
  });

  it('returns the friends who approved the app, with Weibo’s cursors and total', async () => {
    const grant = await userWithFriends('42', [
      { uid: '43', screenName: '小红', gender: 'f', location: '上海', description: 'hi' },
      { uid: '44', screenName: 'Bo', profileImageUrl: 'https://tvax1.sinaimg.cn/50/bo.jpg' },
      { uid: '45', verified: true },
    ]);
    const page = await client().fetchFriends(grant, { cursor: 0, count: 2 });
    expect(page).toEqual({
      users: [
        {
          uid: '43',
          screenName: '小红',
          location: '上海',
          description: 'hi',
          gender: 'f',
          followersCount: 1,
          friendsCount: 0,
          verified: false,
        },
        {
          uid: '44',
          screenName: 'Bo',
          avatar: 'https://tvax1.sinaimg.cn/50/bo.jpg',
          location: '其他',
          description: '',
          gender: 'n',
          followersCount: 1,
          friendsCount: 0,
          verified: false,
        },
      ],
      nextCursor: 2,
      previousCursor: 0,
      totalNumber: 3,
    });
    const last = await client().fetchFriends(grant, { cursor: 2, count: 2 });
    expect(last).toMatchObject({ nextCursor: 0, previousCursor: 0, totalNumber: 3 });
    expect(last.users).toEqual([expect.objectContaining({ uid: '45', verified: true })]);
  });

  it('chooses the HD avatar, then the large one, then the profile image, and omits none', async () => {
    const grant = await grantFor({ uid: '42' });
    const hd = 'https://tvax1.sinaimg.cn/large/hd.jpg';
    const large = 'https://tvax1.sinaimg.cn/180/large.jpg';
    const small = 'http://tvax1.sinaimg.cn/50/small.jpg';
    weibo.failNext(
      'friendsAnswer',
      answerWith([
        { idstr: '1', avatar_hd: hd, avatar_large: large, profile_image_url: small },
        { idstr: '2', avatar_hd: '', avatar_large: large, profile_image_url: small },
        { idstr: '3', avatar_hd: 'javascript:alert(1)', profile_image_url: small },
        { idstr: '4', avatar_hd: null, avatar_large: 'data:image/png;base64,AAAA' },
      ]),
    );
    const { users } = await client().fetchFriends(grant, PAGE);
    expect(users.map((user) => user.avatar)).toEqual([hd, large, small, undefined]);
    expect(users[3]).not.toHaveProperty('avatar');
  });

  it('takes the uid from idstr and leaves out a user without a valid one', async () => {
    const grant = await grantFor({ uid: '42' });
    weibo.failNext(
      'friendsAnswer',
      answerWith([
        { id: 5, screen_name: 'no idstr' },
        { idstr: 6, screen_name: 'a numeric idstr' },
        { idstr: '7a', screen_name: 'not digits' },
        { idstr: '', screen_name: 'empty' },
        { idstr: '123456789012345678901', screen_name: 'too long' },
        'not a user',
        null,
        { id: 1, idstr: '9007199254740993', screen_name: 'kept' },
      ]),
    );
    const { users, totalNumber } = await client().fetchFriends(grant, PAGE);
    expect(users).toEqual([
      expect.objectContaining({ uid: '9007199254740993', screenName: 'kept' }),
    ]);
    expect(totalNumber).toBe(8);
  });

  it('reads the gender m or f, and anything else as n', async () => {
    const grant = await grantFor({ uid: '42' });
    const genders = ['m', 'f', 'n', 'x', 'M', '', null, 1];
    weibo.failNext(
      'friendsAnswer',
      answerWith(genders.map((gender, index) => ({ idstr: `${index + 1}`, gender }))),
    );
    const { users } = await client().fetchFriends(grant, PAGE);
    expect(users.map((user) => user.gender)).toEqual(['m', 'f', 'n', 'n', 'n', 'n', 'n', 'n']);
  });

  it('defaults missing strings to empty, missing or absurd counts to 0, verified to false', async () => {
    const grant = await grantFor({ uid: '42' });
    weibo.failNext(
      'friendsAnswer',
      answerWith([
        { idstr: '1' },
        {
          idstr: '2',
          screen_name: 7,
          location: ['x'],
          followers_count: -1,
          friends_count: 1.5,
          verified: 'true',
        },
        { idstr: '3', followers_count: 2 ** 53, friends_count: '1.2万' },
        { idstr: '4', followers_count: '120', friends_count: 33, verified: true },
      ]),
    );
    const { users } = await client().fetchFriends(grant, PAGE);
    const empty = { location: '', description: '', gender: 'n', verified: false };
    expect(users).toEqual([
      { uid: '1', screenName: '', ...empty, followersCount: 0, friendsCount: 0 },
      { uid: '2', screenName: '', ...empty, followersCount: 0, friendsCount: 0 },
      { uid: '3', screenName: '', ...empty, followersCount: 0, friendsCount: 0 },
      { uid: '4', screenName: '', ...empty, followersCount: 120, friendsCount: 33, verified: true },
    ]);
  });

  it('accepts cursors and total sent as strings of digits', async () => {
    const grant = await grantFor({ uid: '42' });
    const page = { next_cursor: '10', previous_cursor: '0', total_number: '25' };
    weibo.failNext('friendsAnswer', answerWith([], page));
    await expect(client().fetchFriends(grant, PAGE)).resolves.toEqual({
      users: [],
      nextCursor: 10,
      previousCursor: 0,
      totalNumber: 25,
    });
  });
});

describe('fetchFriends when Weibo refuses the token', () => {
  it.each(
    TOKEN_ERROR_CODES.flatMap((errorCode) => [400, 403, 200].map((status) => [errorCode, status])),
  )(
    'throws WeiboAuthorizationExpired for error_code %i with HTTP %i',
    async (errorCode, status) => {
      const grant = await grantFor({ uid: '42' });
      weibo.failNext('friendsExpired', { errorCode, status });
      const error = await rejectionOf(client().fetchFriends(grant, PAGE));
      expect(error).toBeInstanceOf(WeiboAuthorizationExpired);
      expect(error.message).toContain(`${errorCode}`);
    },
  );

  it('throws WeiboAuthorizationExpired for an error_code sent as a string', async () => {
    const grant = await grantFor({ uid: '42' });
    const answer = { error: 'expired_token', error_code: '21327' };
    weibo.failNext('friendsAnswer', { answer, status: 400 });
    await expect(client().fetchFriends(grant, PAGE)).rejects.toThrow(WeiboAuthorizationExpired);
  });

  it('throws WeiboAuthorizationExpired once the token is revoked', async () => {
    const grant = await grantFor({ uid: '42' });
    await expect(client().revokeToken(grant.accessToken)).resolves.toBe(true);
    await expect(client().fetchFriends(grant, PAGE)).rejects.toThrow(WeiboAuthorizationExpired);
  });

  it('throws WeiboAuthorizationExpired for a token Weibo never issued', async () => {
    const grant = { uid: '42', accessToken: '2.00forged' };
    await expect(client().fetchFriends(grant, PAGE)).rejects.toThrow(WeiboAuthorizationExpired);
  });
});

describe('fetchFriends when Weibo does not answer well', () => {
  const html = '<html><body><h1>400 Bad Request</h1></body></html>';
  it.each([
    ['another error_code', 'friendsOtherError', {}],
    ['error_code 10014 with HTTP 200', 'friendsOtherError', { status: 200 }],
    ['a token error_code with HTTP 502', 'friendsExpired', { status: 502 }],
    ['an HTML page with HTTP 500', 'friendsDown', {}],
    ['an HTML page with HTTP 400', 'friendsAnswer', { answer: html, status: 400 }],
    ['text that is not JSON with HTTP 200', 'friendsAnswer', { answer: 'ok' }],
    ['a JSON array', 'friendsAnswer', { answer: [] }],
    ['an error without error_code', 'friendsAnswer', { answer: { error: 'x' }, status: 400 }],
    ['a page with HTTP 404', 'friendsAnswer', { ...answerWith([]), status: 404 }],
    ['no users', 'friendsAnswer', answerWith([], { users: undefined })],
    ['users that are not a list', 'friendsAnswer', answerWith([], { users: { 0: {} } })],
    ['no next_cursor', 'friendsAnswer', answerWith([], { next_cursor: undefined })],
    ['a negative next_cursor', 'friendsAnswer', answerWith([], { next_cursor: -5 })],
    ['a fractional previous_cursor', 'friendsAnswer', answerWith([], { previous_cursor: 0.5 })],
    ['a huge total_number', 'friendsAnswer', answerWith([], { total_number: 2 ** 53 })],
    ['a total_number of words', 'friendsAnswer', answerWith([], { total_number: 'many' })],
    ['no total_number', 'friendsAnswer', answerWith([], { total_number: null })],
    ['a body of 1 MiB and one byte', 'friendsBigBody', { bytes: MiB + 1 }],
    ['a 200 MB body announced in its Content-Length', 'friendsBigBody', { announced: true }],
    ['no answer in time', 'friendsSlow', { delayMs: 1500 }],
  ] as Array<[string, WeiboFault, WeiboFaultOptions]>)(
    'throws OAuthProviderUnavailable for %s',
    async (_case, fault, faultOptions) => {
      const grant = await grantFor({ uid: '42' });
      weibo.failNext(fault, faultOptions);
      const started = performance.now();
      await expect(client().fetchFriends(grant, PAGE)).rejects.toThrow(OAuthProviderUnavailable);
      expect(performance.now() - started).toBeLessThan(1000);
    },
  );

  it('throws OAuthProviderUnavailable when Weibo cannot be reached', async () => {
    const down = client({ apiBaseUrl: `http://127.0.0.1:${await closedPort()}` });
    const grant = { uid: '42', accessToken: '2.00abc' };
    await expect(down.fetchFriends(grant, PAGE)).rejects.toThrow(OAuthProviderUnavailable);
  });

  it('reads an answer of exactly 1 MiB', async () => {
    const grant = await userWithFriends('42', [{ uid: '43' }]);
    weibo.failNext('friendsBigBody', { bytes: MiB });
    const page = await client().fetchFriends(grant, PAGE);
    expect(page.users.map((user) => user.uid)).toEqual(['43']);
  });

  it('keeps the access token out of every error, its message and its causes', async () => {
    const grant = await grantFor({ uid: '42' });
    const { accessToken } = grant;
    const echo = { error: `bad token ${accessToken}`, error_description: accessToken };
    const faults: Array<[WeiboFault, WeiboFaultOptions]> = [
      ['friendsExpired', {}],
      ['friendsOtherError', {}],
      ['friendsAnswer', { answer: { ...echo, error_code: 21332 }, status: 403 }],
      ['friendsAnswer', { answer: { ...echo, error_code: 10014 }, status: 403 }],
      ['friendsAnswer', { answer: accessToken, status: 400 }],
      ['friendsDown', {}],
      ['friendsSlow', {}],
      ['friendsBigBody', { bytes: MiB + 1 }],
    ];
    const errors: Error[] = [];
    for (const [fault, faultOptions] of faults) {
      weibo.failNext(fault, faultOptions);
      errors.push(await rejectionOf(client().fetchFriends(grant, PAGE)));
    }
    const down = client({ apiBaseUrl: `http://127.0.0.1:${await closedPort()}` });
    errors.push(await rejectionOf(down.fetchFriends(grant, PAGE)));
    await client().revokeToken(accessToken);
    errors.push(await rejectionOf(client().fetchFriends(grant, PAGE)));

    expect(errors.filter((error) => error instanceof WeiboAuthorizationExpired)).toHaveLength(3);
    for (const error of errors) {
      const chain: unknown[] = [];
      for (let link: unknown = error; link instanceof Error; link = link.cause) chain.push(link);
      for (const link of chain) expect(inspect(link, { depth: 10 })).not.toContain(accessToken);
      expect(JSON.stringify(error)).not.toContain(accessToken);
    }
  });
});

describe('revokeToken', () => {
  it('posts the token as the form field access_token and resolves true when Weibo confirms', async () => {
    const grant = await grantFor({ uid: '42' });
    await expect(client().revokeToken(grant.accessToken)).resolves.toBe(true);
    expect(weibo.calls.at(-1)).toEqual({
      method: 'POST',
      path: '/oauth2/revokeoauth2',
      query: {},
      form: { access_token: grant.accessToken },
    });
  });

  it('resolves true for a result sent as the boolean true', async () => {
    const grant = await grantFor({ uid: '42' });
    weibo.failNext('revokeAnswer', { answer: { result: true } });
    await expect(client().revokeToken(grant.accessToken)).resolves.toBe(true);
  });

  it.each([
    ['result "false"', 'revokeAnswer', { answer: { result: 'false' } }],
    ['no result', 'revokeAnswer', { answer: {} }],
    ['result "true" with HTTP 500', 'revokeAnswer', { answer: { result: 'true' }, status: 500 }],
    ['result "true" with HTTP 400', 'revokeAnswer', { answer: { result: 'true' }, status: 400 }],
    ['text that is not JSON', 'revokeAnswer', { answer: 'true' }],
    ['an HTML page with HTTP 500', 'revokeDown', {}],
    ['no answer in time', 'revokeSlow', { delayMs: 1500 }],
  ] as Array<[string, WeiboFault, WeiboFaultOptions]>)(
    'resolves false, without throwing, for %s',
    async (_case, fault, faultOptions) => {
      const grant = await grantFor({ uid: '42' });
      weibo.failNext(fault, faultOptions);
      const started = performance.now();
      await expect(client().revokeToken(grant.accessToken)).resolves.toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
    },
  );

  it('resolves false for a token Weibo does not know (21332)', async () => {
    await expect(client().revokeToken('2.00forged')).resolves.toBe(false);
    expect(weibo.calls.at(-1)).toMatchObject({ path: '/oauth2/revokeoauth2' });
  });

  it('resolves false when Weibo cannot be reached', async () => {
    const down = client({ apiBaseUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect(down.revokeToken('2.00abc')).resolves.toBe(false);
  });
});
