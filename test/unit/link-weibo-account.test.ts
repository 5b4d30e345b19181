import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { Credentials } from '../../src/application/credentials.ts';
import { RateLimited } from '../../src/application/errors.ts';
import { LinkWeiboAccount } from '../../src/application/link-weibo-account.ts';
import { Sessions } from '../../src/application/sessions.ts';
import {
  AccountAlreadyBound,
  BindTokenInvalid,
  InvalidPassword,
  InvalidUsername,
  WeiboAlreadyBound,
  WrongCredentials,
} from '../../src/domain/errors.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  auditFailures,
  FakeClock,
  FakePasswordHasher,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const OTHER_UID = '2000000001';
const PASSWORD = 'correct horse';
const LIMIT = 3;
const BROWSER = 'Mozilla/5.0 (Android 15) Chrome/140.0';

describe('LinkWeiboAccount', () => {
  let clock: FakeClock;
  let store: InMemoryStore;
  let sessions: InMemorySessionRepository;
  let alice: UserProfile;
  let bob: UserProfile;
  let linkWeibo: LinkWeiboAccount;
  const form = (overrides: Record<string, unknown> = {}) => ({
    bind_token: `bind:${UID}`,
    username: 'alice',
    password: PASSWORD,
    ...overrides,
  });

  beforeEach(async () => {
    clock = new FakeClock();
    store = new InMemoryStore();
    sessions = new InMemorySessionRepository(store);
    alice = aUserProfile({ id: 'user-1', username: 'Alice', passwordHash: `hashed(${PASSWORD})` });
    bob = aUserProfile({ id: 'user-2', username: 'bob', passwordHash: `hashed(${PASSWORD})` });
    await store.userRepository.add(alice);
    await store.userRepository.add(bob);
    for (const uid of [UID, OTHER_UID]) {
      await store.weiboAccountRepository.saveGrant({
        uid,
        accessToken: `t-${uid}`,
        expiresAt: null,
      });
    }
    const credentials = new Credentials(
      store.userRepository,
      new FakePasswordHasher(),
      {
        limiter: new InMemoryRateLimiter(clock),
        failuresPerHour: LIMIT,
      },
      auditFailures(store),
    );
    const tokens = new FakeTokenIssuer();
    const ids = new SequentialIds();
    linkWeibo = new LinkWeiboAccount(
      tokens,
      credentials,
      store,
      clock,
      ids,
      new Sessions(tokens, sessions, clock, ids, {
        loginTtlSeconds: 3600,
        refreshTtlSeconds: 86_400,
      }),
    );
  });

  /** Who each stored uid is bound to, the events and the sessions: what a failure leaves alone. */
  const snapshot = () => ({
    bindings: [...store.weiboAccounts.values()].map(({ uid, userId }) => ({ uid, userId })),
    events: [...store.events],
    sessions: sessions.all(),
  });

  async function expectRefused(
    input: Record<string, unknown>,
    error: new (...args: never[]) => Error,
  ) {
    const before = snapshot();
    await expect(linkWeibo.execute(input)).rejects.toThrow(error);
    expect(snapshot()).toEqual(before);
  }

  it('binds the uid to the account and records one UserBoundToWeibo event', async () => {
    await linkWeibo.execute(form());
    expect(store.weiboAccounts.get(UID)?.userId).toBe('user-1');
    expect(store.weiboAccounts.get(OTHER_UID)?.userId).toBeNull();
    expect(store.events).toEqual([
      {
        type: 'UserBoundToWeibo',
        id: '00000000-0000-4000-8000-000000000001',
        occurredAt: clock.now(),
        userId: 'user-1',
        username: 'Alice',
        weiboUid: UID,
      },
    ]);
  });

  it('signs in: a session started with the user agent, its tokens answered', async () => {
    const result = await linkWeibo.execute(form(), { userAgent: BROWSER });
    expect(sessions.all()).toHaveLength(1);
    const [session] = sessions.all();
    expect(session).toMatchObject({
      userId: 'user-1',
      createdAt: clock.now(),
      userAgent: BROWSER,
      revokedAt: null,
    });
    expect(result).toEqual({
      username: 'Alice',
      token: `login:user-1:Alice:${session?.id}`,
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresIn: 3600,
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a string', 42],
    ['forged', 'forged'],
    ['a login token', 'login:user-1:Alice:session-1'],
  ])(
    'refuses a bind token that is %s with BindTokenInvalid, leaving nothing',
    async (_case, bindToken) => {
      await expectRefused(form({ bind_token: bindToken }), BindTokenInvalid);
    },
  );

  it('refuses a bind token for a uid it never stored with BindTokenInvalid, leaving nothing', async () => {
    await expectRefused(form({ bind_token: 'bind:555' }), BindTokenInvalid);
  });

  it('checks the bind token before the credentials', async () => {
    await expectRefused(form({ bind_token: 'forged', password: 'wrong' }), BindTokenInvalid);
    await expectRefused(form({ bind_token: 'forged', username: 7 }), BindTokenInvalid);
  });

  it.each([
    ['a username that is not a string', { username: 7 }, InvalidUsername],
    ['a password that is not a string', { password: null }, InvalidPassword],
    ['an unknown username', { username: 'nobody' }, WrongCredentials],
    ['a wrong password', { password: 'wrong' }, WrongCredentials],
  ] as const)('refuses %s, leaving nothing', async (_case, overrides, error) => {
    await expectRefused(form(overrides), error);
  });

  it('checks the credentials before whether the account is bound', async () => {
    await linkWeibo.execute(form({ bind_token: `bind:${OTHER_UID}` }));
    await expectRefused(form({ password: 'wrong' }), WrongCredentials);
  });

  it('refuses an account already bound to Weibo with AccountAlreadyBound, leaving nothing', async () => {
    await linkWeibo.execute(form({ bind_token: `bind:${OTHER_UID}` }));
    await expectRefused(form(), AccountAlreadyBound);
  });

  it('checks whether the account is bound before whether the uid is', async () => {
    await linkWeibo.execute(form({ bind_token: `bind:${OTHER_UID}` }));
    await linkWeibo.execute(form({ username: 'bob' }));
    await expectRefused(form(), AccountAlreadyBound);
  });

  it('refuses a uid already bound to another account with WeiboAlreadyBound, leaving nothing', async () => {
    await linkWeibo.execute(form({ username: 'bob' }));
    await expectRefused(form(), WeiboAlreadyBound);
    expect(store.weiboAccounts.get(UID)?.userId).toBe('user-2');
  });

  it('counts wrong passwords against the sign-in limit', async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      await expectRefused(form({ password: 'wrong' }), WrongCredentials);
    }
    await expectRefused(form(), RateLimited);
  });
});
