import { beforeEach, describe, expect, it } from 'vitest';
import {
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
  WeiboRateLimited,
} from '../../src/application/errors.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { SignInWithWeiboApp } from '../../src/application/sign-in-with-weibo-app.ts';
import { WeiboSignIn } from '../../src/application/weibo-sign-in.ts';
import { WeiboTokenInvalid } from '../../src/domain/errors.ts';
import type { WeiboTokenInfo } from '../../src/domain/weibo-account.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  FakeClock,
  FakeOAuthProvider,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const UNBOUND_UID = '2000000001';
const WEB_KEY = '1352222456';
const NATIVE_KEY = '5551234';
const OTHER_APP_KEY = '9990001';
const TOKEN = 'sdk-token';
const PHONE = 'WeiboSDK/3.3 (iPhone; iOS 18.1)';
const OLD_EXPIRY = new Date('2026-11-20T08:00:00Z');

/** Everything one test needs; a test may build a second world as its control. */
function world() {
  const clock = new FakeClock();
  const oauth = new FakeOAuthProvider();
  const store = new InMemoryStore();
  const sessionRepo = new InMemorySessionRepository(store);
  const tokens = new FakeTokenIssuer();
  const sessions = new Sessions(tokens, sessionRepo, clock, new SequentialIds(), {
    loginTtlSeconds: 3600,
    refreshTtlSeconds: 86_400,
  });
  const signIn = new WeiboSignIn(oauth, store.weiboAccountRepository, tokens, sessions);
  const app = new SignInWithWeiboApp(oauth, clock, signIn, [WEB_KEY, NATIVE_KEY]);
  /** Weibo says TOKEN is the uid's, issued to our web app for two hours, unless told otherwise. */
  const vouch = (info: Partial<WeiboTokenInfo> = {}) =>
    oauth.tokenInfos.set(TOKEN, { uid: UID, appKey: WEB_KEY, expiresIn: 7200, ...info });
  const bindAlice = async () => {
    await store.userRepository.add(aUserProfile({ id: 'user-1', username: 'alice' }));
    const grant = { uid: UID, accessToken: 'old-token', expiresAt: OLD_EXPIRY };
    await store.weiboAccountRepository.saveGrant(grant);
    await store.weiboAccountRepository.bindIfUnbound(UID, 'user-1');
  };
  /** What a refused sign-in must leave as it found: the accounts and the sessions. */
  const snapshot = () =>
    structuredClone({ accounts: [...store.weiboAccounts], sessions: sessionRepo.all() });
  return { clock, oauth, store, sessionRepo, app, vouch, bindAlice, snapshot };
}

let w: ReturnType<typeof world>;

beforeEach(() => {
  w = world();
});

describe('SignInWithWeiboApp', () => {
  it('signs a bound uid in with a session, its refresh token and the login token lifetime', async () => {
    await w.bindAlice();
    w.vouch();
    const result = await w.app.execute({ accessToken: TOKEN, uid: UID }, { userAgent: PHONE });
    const [session] = w.sessionRepo.all();
    expect(w.sessionRepo.all()).toHaveLength(1);
    expect(session).toMatchObject({ userId: 'user-1', userAgent: PHONE, revokedAt: null });
    expect(result).toEqual({
      kind: 'signed-in',
      username: 'alice',
      token: `login:user-1:alice:${session?.id}`,
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresIn: 3600,
    });
    expect(w.oauth.tokenInfoRequests).toEqual([TOKEN]);
  });

  it('stores the grant of a bound uid with its expiry at now plus what Weibo says is left', async () => {
    await w.bindAlice();
    w.vouch({ expiresIn: 7200 });
    await w.app.execute({ accessToken: TOKEN, uid: UID }, {});
    expect(w.store.weiboAccounts.get(UID)).toEqual({
      uid: UID,
      userId: 'user-1',
      accessToken: TOKEN,
      accessTokenExpiresAt: new Date(w.clock.now().getTime() + 7200 * 1000),
      authorization: 'valid',
    });
  });

  it('answers needs-bind with a bind token and the profile for an unbound uid', async () => {
    w.vouch({ uid: UNBOUND_UID });
    await expect(w.app.execute({ accessToken: TOKEN, uid: UNBOUND_UID }, {})).resolves.toEqual({
      kind: 'needs-bind',
      uid: UNBOUND_UID,
      bindToken: `bind:${UNBOUND_UID}`,
      profile: { screenName: 'Weibo User', avatar: 'https://tva1.example/a.jpg' },
    });
    expect(w.sessionRepo.all()).toEqual([]);
  });

  it('stores the grant of an unbound uid, unbound', async () => {
    w.vouch({ uid: UNBOUND_UID, expiresIn: 60 });
    await w.app.execute({ accessToken: TOKEN, uid: UNBOUND_UID }, {});
    expect(w.store.weiboAccounts.get(UNBOUND_UID)).toEqual({
      uid: UNBOUND_UID,
      userId: null,
      accessToken: TOKEN,
      accessTokenExpiresAt: new Date(w.clock.now().getTime() + 60 * 1000),
      authorization: 'valid',
    });
  });

  it('accepts a token issued to a native app whose key is in the extra app keys', async () => {
    await w.bindAlice();
    w.vouch({ appKey: NATIVE_KEY });
    await expect(w.app.execute({ accessToken: TOKEN, uid: UID }, {})).resolves.toMatchObject({
      kind: 'signed-in',
      username: 'alice',
    });
  });

  it.each(['expired', 'revoked', 'deauthorized'] as const)(
    'makes an authorization lost as %s valid again, with the new token',
    async (loss) => {
      await w.bindAlice();
      await w.store.weiboAccountRepository.markLost(UID, loss);
      expect(w.store.weiboAccounts.get(UID)?.authorization).not.toBe('valid');
      w.vouch();
      await w.app.execute({ accessToken: TOKEN, uid: UID }, {});
      expect(w.store.weiboAccounts.get(UID)).toMatchObject({
        authorization: 'valid',
        accessToken: TOKEN,
      });
    },
  );
});

describe('SignInWithWeiboApp refusals', () => {
  const request = { accessToken: TOKEN, uid: UID };

  /** Shows the request signs in with a good token, and snapshots what that left. */
  async function signedInOnce() {
    await w.bindAlice();
    w.vouch();
    await expect(w.app.execute(request, {})).resolves.toMatchObject({ kind: 'signed-in' });
    // A write by the refused request would now carry another expiry than the one stored.
    w.clock.advance(1);
    return w.snapshot();
  }

  it('refuses a token Weibo vouches for but issued to another app, changing nothing', async () => {
    const before = await signedInOnce();
    w.vouch({ appKey: OTHER_APP_KEY });
    await expect(w.app.execute(request, {})).rejects.toThrow(WeiboTokenInvalid);
    expect(w.snapshot()).toEqual(before);
  });

  it('stores no account row for another app’s token of an unbound uid', async () => {
    const control = world();
    control.vouch({ uid: UNBOUND_UID });
    await control.app.execute({ accessToken: TOKEN, uid: UNBOUND_UID }, {});
    expect(control.store.weiboAccounts.has(UNBOUND_UID)).toBe(true);

    w.vouch({ uid: UNBOUND_UID, appKey: OTHER_APP_KEY });
    await expect(w.app.execute({ accessToken: TOKEN, uid: UNBOUND_UID }, {})).rejects.toThrow(
      WeiboTokenInvalid,
    );
    expect(w.store.weiboAccounts.size).toBe(0);
  });

  it('refuses a token of another uid than the one the app names, changing nothing', async () => {
    const before = await signedInOnce();
    await expect(w.app.execute({ accessToken: TOKEN, uid: UNBOUND_UID }, {})).rejects.toThrow(
      WeiboTokenInvalid,
    );
    expect(w.snapshot()).toEqual(before);
    expect(w.store.weiboAccounts.has(UNBOUND_UID)).toBe(false);
  });

  it.each([
    ['no', 0],
    ['less than no', -1],
  ])('refuses a token with %s time left, changing nothing', async (_case, expiresIn) => {
    const before = await signedInOnce();
    w.vouch({ expiresIn });
    await expect(w.app.execute(request, {})).rejects.toThrow(WeiboTokenInvalid);
    expect(w.snapshot()).toEqual(before);
  });

  it('refuses a token Weibo does not know, changing nothing', async () => {
    const before = await signedInOnce();
    w.oauth.tokenInfos.delete(TOKEN);
    await expect(w.app.execute(request, {})).rejects.toThrow(WeiboTokenInvalid);
    expect(w.snapshot()).toEqual(before);
  });

  it.each(['revoked', 'expired'] as const)(
    'refuses a token Weibo refuses as %s with WeiboTokenInvalid, changing nothing',
    async (reason) => {
      const before = await signedInOnce();
      w.oauth.tokenInfoFailure = new WeiboAuthorizationExpired('21332', reason);
      await expect(w.app.execute(request, {})).rejects.toThrow(WeiboTokenInvalid);
      expect(w.snapshot()).toEqual(before);
    },
  );

  it.each([
    ['unreachable', new OAuthProviderUnavailable('HTTP 502')],
    ['rate limiting', new WeiboRateLimited(30)],
  ])('passes on what Weibo throws when %s, changing nothing', async (_case, failure) => {
    const before = await signedInOnce();
    w.oauth.tokenInfoFailure = failure;
    await expect(w.app.execute(request, {})).rejects.toBe(failure);
    expect(w.snapshot()).toEqual(before);
  });
});
