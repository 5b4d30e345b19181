import { beforeEach, describe, expect, it } from 'vitest';
import { Authenticate } from '../../src/application/authenticate.ts';
import {
  OAuthProviderUnavailable,
  WeiboAuthorizationExpired,
} from '../../src/application/errors.ts';
import { ListWeiboFriends } from '../../src/application/list-weibo-friends.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { WeiboAuthorizationHealth } from '../../src/application/weibo-authorization-health.ts';
import { NotSignedIn, NoWeiboAccount } from '../../src/domain/errors.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import type { WeiboFriendsPage } from '../../src/domain/weibo-account.ts';
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

let store: InMemoryStore;
let alice: UserProfile;

beforeEach(async () => {
  store = new InMemoryStore();
  alice = aUserProfile({ id: 'user-1', username: 'alice' });
  await store.userRepository.add(alice);
});

async function bindWeibo(expiresAt: Date | null = null, accessToken = 'weibo-token') {
  await store.weiboAccountRepository.saveGrant({ uid: UID, accessToken, expiresAt });
  await store.weiboAccountRepository.bindIfUnbound(UID, alice.id);
}

describe('Authenticate', () => {
  let sessions: InMemorySessionRepository;
  let authenticate: Authenticate;
  let token: string;
  let sessionId: string;

  beforeEach(async () => {
    const clock = new FakeClock();
    const tokens = new FakeTokenIssuer();
    sessions = new InMemorySessionRepository(store);
    authenticate = new Authenticate(tokens, sessions, clock);
    const lifetimes = { loginTtlSeconds: 3600, refreshTtlSeconds: 86_400 };
    const signIn = new Sessions(tokens, sessions, clock, new SequentialIds(), lifetimes);
    token = (await signIn.start(alice, {}, 'password')).token;
    sessionId = sessions.all()[0]?.id ?? '';
  });

  it('returns the user and the session of a valid login token', async () => {
    expect(token).toBe(`login:user-1:alice:${sessionId}`);
    await expect(authenticate.execute(token)).resolves.toEqual({
      user: alice,
      weibo: null,
      sessionId,
    });
  });

  it('answers no Weibo account for an account stored but not bound', async () => {
    await store.weiboAccountRepository.saveGrant({ uid: UID, accessToken: 't', expiresAt: null });
    await expect(authenticate.execute(token)).resolves.toMatchObject({ user: alice, weibo: null });
  });

  it('answers the bound uid and when it was bound, never the token', async () => {
    await bindWeibo();
    const signedIn = await authenticate.execute(token);
    expect(signedIn).toEqual({
      user: alice,
      weibo: { uid: UID, boundAt: expect.any(Date), authorization: 'valid', tokenExpiresAt: null },
      sessionId,
    });
    expect(JSON.stringify(signedIn)).not.toContain('weibo-token');
  });

  it.each([
    ['no token', undefined],
    ['an empty token', ''],
  ])('refuses %s with NotSignedIn', async (_case, missing) => {
    await expect(authenticate.execute(missing)).rejects.toThrow(NotSignedIn);
  });

  it.each([
    ['garbage', () => 'garbage'],
    ['a bind token', () => `bind:${UID}`],
    ['a login token without a session', () => 'login:user-1:alice'],
    ['a tampered login token', () => `${token}:admin`],
  ])('refuses %s with NotSignedIn', async (_case, tokenOf) => {
    await expect(authenticate.execute(tokenOf())).rejects.toThrow(NotSignedIn);
  });

  it('refuses a valid token whose user no longer exists with NotSignedIn', async () => {
    await store.userRepository.delete(alice.id);
    await expect(authenticate.execute(token)).rejects.toThrow(NotSignedIn);
  });

  it('refuses a valid token of a user that never existed with NotSignedIn', async () => {
    await expect(authenticate.execute(`login:user-2:mallory:${sessionId}`)).rejects.toThrow(
      NotSignedIn,
    );
  });

  it('refuses a valid token of a session that was never started with NotSignedIn', async () => {
    await expect(authenticate.execute('login:user-1:alice:no-such-session')).rejects.toThrow(
      NotSignedIn,
    );
  });

  it('refuses a token naming another user’s session with NotSignedIn', async () => {
    const bob = aUserProfile({ id: 'user-2', username: 'bob' });
    await store.userRepository.add(bob);
    await sessions.start(
      {
        id: 'bobs-session',
        userId: bob.id,
        createdAt: new Date('2026-11-24T08:00:00Z'),
        lastUsedAt: new Date('2026-11-24T08:00:00Z'),
        expiresAt: new Date('2026-11-25T08:00:00Z'),
        userAgent: null,
        refreshHash: 'bobs-hash',
      },
      null,
    );
    await expect(authenticate.execute('login:user-2:bob:bobs-session')).resolves.toMatchObject({
      user: bob,
    });
    await expect(authenticate.execute('login:user-1:alice:bobs-session')).rejects.toThrow(
      NotSignedIn,
    );
  });
});

describe('ListWeiboFriends', () => {
  const page = { cursor: 10, count: 2 };
  const friends: WeiboFriendsPage = {
    users: [
      {
        uid: '2',
        screenName: 'Bob',
        location: 'Beijing',
        description: '',
        gender: 'm',
        followersCount: 1,
        friendsCount: 2,
        verified: false,
      },
    ],
    nextCursor: 12,
    previousCursor: 8,
    totalNumber: 30,
  };
  let clock: FakeClock;
  let oauth: FakeOAuthProvider;
  let listFriends: ListWeiboFriends;

  beforeEach(() => {
    clock = new FakeClock();
    oauth = new FakeOAuthProvider();
    oauth.friendsPage = friends;
    const health = new WeiboAuthorizationHealth(store, clock, new SequentialIds());
    listFriends = new ListWeiboFriends(store.weiboAccountRepository, oauth, clock, health);
  });

  it('refuses a user without a Weibo account with NoWeiboAccount, asking Weibo nothing', async () => {
    await expect(listFriends.execute(alice.id, page)).rejects.toThrow(NoWeiboAccount);
    expect(oauth.friendsRequests).toEqual([]);
  });

  it('asks Weibo for the page with the stored uid and token and answers what it gives', async () => {
    await bindWeibo();
    await expect(listFriends.execute(alice.id, page)).resolves.toEqual(friends);
    expect(oauth.friendsRequests).toEqual([
      { grant: expect.objectContaining({ uid: UID, accessToken: 'weibo-token' }), page },
    ]);
  });

  it('uses a stored token until its expiry', async () => {
    await bindWeibo(new Date(clock.now().getTime() + 1000));
    await expect(listFriends.execute(alice.id, page)).resolves.toEqual(friends);
    expect(oauth.friendsRequests).toHaveLength(1);
  });

  it.each([
    ['at', 0],
    ['past', -1],
  ])(
    'refuses a stored token %s its expiry with WeiboAuthorizationExpired, asking Weibo nothing',
    async (_case, offsetMs) => {
      await bindWeibo(new Date(clock.now().getTime() + offsetMs));
      await expect(listFriends.execute(alice.id, page)).rejects.toThrow(WeiboAuthorizationExpired);
      expect(oauth.friendsRequests).toEqual([]);
    },
  );

  it.each([
    ['refuses the token', new WeiboAuthorizationExpired('21327', 'expired')],
    ['fails', new OAuthProviderUnavailable('HTTP 500')],
  ])('passes on what Weibo throws when it %s', async (_case, failure) => {
    await bindWeibo();
    oauth.friendsFailure = failure;
    await expect(listFriends.execute(alice.id, page)).rejects.toBe(failure);
  });

  const lostEvent = (reason: string) => ({
    type: 'WeiboAuthorizationLost',
    id: expect.any(String),
    occurredAt: clock.now(),
    userId: alice.id,
    weiboUid: UID,
    reason,
  });

  it.each(['revoked', 'expired'] as const)(
    'marks the account %s and writes one WeiboAuthorizationLost event when Weibo refuses the token so',
    async (reason) => {
      await bindWeibo();
      const failure = new WeiboAuthorizationExpired('21332', reason);
      oauth.friendsFailure = failure;
      await expect(listFriends.execute(alice.id, page)).rejects.toBe(failure);
      expect(store.weiboAccounts.get(UID)?.authorization).toBe(reason);
      expect(store.events).toEqual([lostEvent(reason)]);
    },
  );

  it('answers WeiboAuthorizationExpired after a loss without asking Weibo or writing a second event', async () => {
    await bindWeibo();
    oauth.friendsFailure = new WeiboAuthorizationExpired('21332', 'revoked');
    await expect(listFriends.execute(alice.id, page)).rejects.toThrow(WeiboAuthorizationExpired);
    oauth.friendsFailure = null;
    await expect(listFriends.execute(alice.id, page)).rejects.toThrow(WeiboAuthorizationExpired);
    expect(oauth.friendsRequests).toHaveLength(1);
    expect(store.events).toHaveLength(1);
  });

  it('marks the account expired with one event when its stored expiry passed, asking Weibo nothing', async () => {
    await bindWeibo(new Date(clock.now().getTime() - 1000));
    await expect(listFriends.execute(alice.id, page)).rejects.toThrow(WeiboAuthorizationExpired);
    expect(store.weiboAccounts.get(UID)?.authorization).toBe('expired');
    expect(store.events).toEqual([lostEvent('expired')]);
    expect(oauth.friendsRequests).toEqual([]);
  });

  it('marks nothing when Weibo cannot be reached', async () => {
    await bindWeibo();
    oauth.friendsFailure = new OAuthProviderUnavailable('HTTP 502');
    await expect(listFriends.execute(alice.id, page)).rejects.toThrow(OAuthProviderUnavailable);
    expect(store.weiboAccounts.get(UID)?.authorization).toBe('valid');
    expect(store.events).toEqual([]);
  });
});
