import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import {
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
  WeiboRateLimited,
} from '../../src/application/errors.ts';
import { HandleWeiboDeauthorization } from '../../src/application/handle-weibo-deauthorization.ts';
import type { RateLimiter } from '../../src/application/ports.ts';
import { WeiboAuthorizationHealth } from '../../src/application/weibo-authorization-health.ts';
import { aStartedSession, aUserProfile } from '../support/builders.ts';
import {
  FakeClock,
  FakeOAuthProvider,
  InMemoryStore,
  SequentialIds,
  UnreachableRateLimiter,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const BOB_UID = '2000000002';
const WEB_KEY = '1352222456';
const NATIVE_KEY = '5551234';
const EXPIRY = new Date('2026-12-24T08:00:00Z');

let clock: FakeClock;
let store: InMemoryStore;
let sessionRepo: InMemorySessionRepository;
let oauth: FakeOAuthProvider;
let handler: HandleWeiboDeauthorization;

function handlerWith(limiter: RateLimiter) {
  const health = new WeiboAuthorizationHealth(store, clock, new SequentialIds());
  const keys = [WEB_KEY, NATIVE_KEY];
  return new HandleWeiboDeauthorization(store.weiboAccountRepository, oauth, limiter, health, keys);
}

/** Binds the uid to a new user with a working token and starts one session for that user. */
async function signedUp(uid: string, userId: string) {
  await store.userRepository.add(aUserProfile({ id: userId }));
  const accessToken = `token-${uid}`;
  await store.weiboAccountRepository.saveGrant({ uid, accessToken, expiresAt: EXPIRY });
  await store.weiboAccountRepository.bindIfUnbound(uid, userId);
  oauth.tokenInfos.set(accessToken, { uid, appKey: WEB_KEY, expiresIn: 3600 });
  await sessionRepo.start(aStartedSession(`session-of-${userId}`, userId, clock.now()), null);
}

function weiboRefusesTheToken() {
  oauth.tokenInfoFailure = new WeiboAuthorizationExpired('21332 invalid_access_token', 'revoked');
}

/** What a hint that is not acted on must leave as it found. */
function snapshot() {
  return structuredClone({
    accounts: [...store.weiboAccounts],
    sessions: sessionRepo.all(),
    events: store.events,
  });
}

beforeEach(async () => {
  clock = new FakeClock();
  store = new InMemoryStore();
  sessionRepo = new InMemorySessionRepository(store);
  oauth = new FakeOAuthProvider();
  handler = handlerWith(new InMemoryRateLimiter(clock));
  await signedUp(UID, 'user-1');
});

describe('HandleWeiboDeauthorization', () => {
  it('acts when Weibo refuses the stored token: revoked, token gone, sessions ended, one event', async () => {
    weiboRefusesTheToken();
    await expect(handler.execute({ uid: UID, source: WEB_KEY })).resolves.toBe(true);
    expect(oauth.tokenInfoRequests).toEqual([`token-${UID}`]);
    expect(store.weiboAccounts.get(UID)).toEqual({
      uid: UID,
      userId: 'user-1',
      accessToken: null,
      accessTokenExpiresAt: null,
      authorization: 'revoked',
    });
    expect(sessionRepo.stored('session-of-user-1')?.revokedAt).toEqual(clock.now());
    expect(store.events).toEqual([
      {
        type: 'WeiboAuthorizationLost',
        id: expect.any(String),
        occurredAt: clock.now(),
        userId: 'user-1',
        weiboUid: UID,
        reason: 'deauthorized',
      },
    ]);
  });

  it('changes nothing and answers false while the stored token still works', async () => {
    const before = snapshot();
    await expect(handler.execute({ uid: UID, source: WEB_KEY })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toEqual([`token-${UID}`]);
    expect(snapshot()).toEqual(before);
  });

  it.each([
    ['an unknown uid', { uid: '3000000003' }],
    ['no uid', {}],
  ])('answers false for %s without asking Weibo', async (_case, hint) => {
    weiboRefusesTheToken();
    const before = snapshot();
    await expect(handler.execute({ ...hint, source: WEB_KEY })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it.each([
    ['with letters', `${UID}x`],
    ['with a sign', `+${UID}`],
    ['that is empty', ''],
    ['of more than 20 digits', '1'.repeat(21)],
  ])('answers false for a uid %s without asking Weibo, even one stored', async (_case, uid) => {
    await store.weiboAccountRepository.saveGrant({ uid, accessToken: 'stored', expiresAt: null });
    weiboRefusesTheToken();
    const before = snapshot();
    await expect(handler.execute({ uid, source: WEB_KEY })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it('answers false for another app’s source without asking Weibo', async () => {
    weiboRefusesTheToken();
    const before = snapshot();
    await expect(handler.execute({ uid: UID, source: '9990001' })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it.each([
    ['the web app’s key', WEB_KEY],
    ['a native app’s key', NATIVE_KEY],
    ['no source at all', undefined],
  ])('proceeds for %s as the source', async (_case, source) => {
    weiboRefusesTheToken();
    await expect(handler.execute({ uid: UID, source })).resolves.toBe(true);
    expect(store.weiboAccounts.get(UID)?.accessToken).toBeNull();
  });

  it('acts on an unbound account too: its token is deleted, without an event', async () => {
    await store.weiboAccountRepository.saveGrant({
      uid: BOB_UID,
      accessToken: 't',
      expiresAt: null,
    });
    weiboRefusesTheToken();
    await expect(handler.execute({ uid: BOB_UID })).resolves.toBe(true);
    expect(store.weiboAccounts.get(BOB_UID)).toMatchObject({
      userId: null,
      accessToken: null,
      authorization: 'revoked',
    });
    expect(store.events).toEqual([]);
  });

  it.each([
    ['is unreachable', new OAuthProviderUnavailable('HTTP 502')],
    ['rate limits the app', new WeiboRateLimited(30)],
  ])('answers false and changes nothing when Weibo %s', async (_case, failure) => {
    oauth.tokenInfoFailure = failure;
    const before = snapshot();
    await expect(handler.execute({ uid: UID, source: WEB_KEY })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toHaveLength(1);
    expect(snapshot()).toEqual(before);
  });

  it('asks Weibo about a uid at most once a minute', async () => {
    await expect(handler.execute({ uid: UID })).resolves.toBe(false);
    weiboRefusesTheToken();
    clock.advance(59);
    await expect(handler.execute({ uid: UID })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toHaveLength(1);
    expect(store.weiboAccounts.get(UID)?.authorization).toBe('valid');
  });

  it('still asks Weibo about another uid within that minute', async () => {
    await signedUp(BOB_UID, 'user-2');
    await handler.execute({ uid: UID });
    weiboRefusesTheToken();
    await expect(handler.execute({ uid: BOB_UID })).resolves.toBe(true);
    expect(oauth.tokenInfoRequests).toEqual([`token-${UID}`, `token-${BOB_UID}`]);
  });

  it('asks Weibo about the uid again once the minute is over', async () => {
    await handler.execute({ uid: UID });
    weiboRefusesTheToken();
    clock.advance(60);
    await expect(handler.execute({ uid: UID })).resolves.toBe(true);
    expect(oauth.tokenInfoRequests).toEqual([`token-${UID}`, `token-${UID}`]);
  });

  it('changes nothing more after acting, even a minute later, and asks Weibo no more', async () => {
    weiboRefusesTheToken();
    await expect(handler.execute({ uid: UID })).resolves.toBe(true);
    const after = snapshot();
    await expect(handler.execute({ uid: UID })).resolves.toBe(false);
    clock.advance(60);
    await expect(handler.execute({ uid: UID })).resolves.toBe(false);
    expect(snapshot()).toEqual(after);
    expect(store.events).toHaveLength(1);
    expect(oauth.tokenInfoRequests).toHaveLength(1);
  });

  it('answers false without asking Weibo when the rate limiter cannot be reached', async () => {
    const unlimited = handlerWith(new UnreachableRateLimiter());
    weiboRefusesTheToken();
    const before = snapshot();
    await expect(unlimited.execute({ uid: UID, source: WEB_KEY })).resolves.toBe(false);
    expect(oauth.tokenInfoRequests).toEqual([]);
    expect(snapshot()).toEqual(before);
  });
});
