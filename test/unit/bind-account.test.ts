import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { BindAccount, type BindAccountInput } from '../../src/application/bind-account.ts';
import { RateLimited, RateLimiterUnavailable } from '../../src/application/errors.ts';
import { Sessions } from '../../src/application/sessions.ts';
import {
  BindTokenInvalid,
  InvalidEmail,
  InvalidPassword,
  InvalidPhone,
  InvalidUsername,
  UsernameTaken,
  WeiboAlreadyBound,
} from '../../src/domain/errors.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  FakeClock,
  FakePasswordHasher,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
  UnreachableRateLimiter,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const BROWSER = 'Mozilla/5.0 (iPhone) Weibo';

describe('BindAccount', () => {
  let store: InMemoryStore;
  let clock: FakeClock;
  let sessions: InMemorySessionRepository;
  let bindAccount: BindAccount;
  const form = (overrides: BindAccountInput = {}): BindAccountInput => ({
    bind_token: `bind:${UID}`,
    username: 'alice',
    password: 'correct horse',
    phone: '138 0013 8000',
    email: 'alice@example.com',
    ...overrides,
  });

  beforeEach(async () => {
    store = new InMemoryStore();
    clock = new FakeClock();
    sessions = new InMemorySessionRepository(store);
    const tokens = new FakeTokenIssuer();
    const ids = new SequentialIds();
    bindAccount = new BindAccount(
      tokens,
      new FakePasswordHasher(),
      store,
      clock,
      ids,
      { limiter: new InMemoryRateLimiter(clock), perUidPerHour: 3 },
      new Sessions(tokens, sessions, clock, ids, {
        loginTtlSeconds: 3600,
        refreshTtlSeconds: 86_400,
      }),
    );
    await store.weiboAccountRepository.saveGrant({ uid: UID, accessToken: 't', expiresAt: null });
  });

  function expectNothingWritten() {
    expect(store.users.size).toBe(0);
    expect(store.weiboAccounts.get(UID)?.userId).toBeNull();
    expect(store.events).toEqual([]);
    expect(sessions.all()).toEqual([]);
  }

  it('creates the user, binds the uid and records one UserBoundToWeibo event', async () => {
    await bindAccount.execute(form());
    const [user] = [...store.users.values()];
    expect(user).toMatchObject({
      username: 'alice',
      passwordHash: 'hashed(correct horse)',
      phone: '13800138000',
      email: 'alice@example.com',
    });
    expect(store.weiboAccounts.get(UID)?.userId).toBe(user?.id);
    expect(store.events).toEqual([
      {
        type: 'UserBoundToWeibo',
        id: expect.any(String),
        occurredAt: clock.now(),
        userId: user?.id,
        username: 'alice',
        weiboUid: UID,
      },
    ]);
    expect(store.events[0]?.id).not.toBe(user?.id);
  });

  it('signs the new user in: a session started with the user agent, its tokens answered', async () => {
    const result = await bindAccount.execute(form(), { userAgent: BROWSER });
    const [user] = [...store.users.values()];
    expect(sessions.all()).toHaveLength(1);
    const [session] = sessions.all();
    expect(session).toMatchObject({
      userId: user?.id,
      createdAt: clock.now(),
      userAgent: BROWSER,
      revokedAt: null,
    });
    expect(result).toEqual({
      username: 'alice',
      token: `login:${user?.id}:alice:${session?.id}`,
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresIn: 3600,
    });
  });

  it('accepts the uid the old front-end sends when it matches the token, even as a number', async () => {
    await expect(bindAccount.execute(form({ uid: Number(UID) }))).resolves.toMatchObject({
      username: 'alice',
    });
  });

  it.each([
    ['username', { username: 'a!' }, InvalidUsername],
    ['password', { password: 'short' }, InvalidPassword],
    ['email', { email: 'nope' }, InvalidEmail],
    ['phone', { phone: '123' }, InvalidPhone],
  ] as const)('refuses an invalid %s and writes nothing', async (_field, overrides, error) => {
    await expect(bindAccount.execute(form(overrides))).rejects.toThrow(error);
    expectNothingWritten();
  });

  it('checks the form fields before the bind token', async () => {
    await expect(bindAccount.execute(form({ bind_token: 'forged', phone: 'x' }))).rejects.toThrow(
      InvalidPhone,
    );
  });

  it.each([
    ['missing', { bind_token: undefined }],
    ['empty', { bind_token: '' }],
    ['not a string', { bind_token: 42 }],
    ['forged', { bind_token: 'login:user:alice' }],
    ['for another uid than the one sent', { uid: '999' }],
  ] as const)('refuses a bind token that is %s', async (_case, overrides) => {
    await expect(bindAccount.execute(form(overrides))).rejects.toThrow(BindTokenInvalid);
    expectNothingWritten();
  });

  it('refuses a token for a Weibo account it has never seen', async () => {
    await expect(bindAccount.execute(form({ bind_token: 'bind:555' }))).rejects.toThrow(
      BindTokenInvalid,
    );
    expect(store.users.size).toBe(0);
    expect(sessions.all()).toEqual([]);
  });

  it('refuses a username taken in another letter case and leaves no trace', async () => {
    await store.userRepository.add(aUserProfile({ username: 'Alice' }));
    await expect(bindAccount.execute(form())).rejects.toThrow(UsernameTaken);
    expect(store.users.size).toBe(1);
    expect(store.weiboAccounts.get(UID)?.userId).toBeNull();
    expect(store.events).toEqual([]);
    expect(sessions.all()).toEqual([]);
  });

  it('refuses a second bind of the same uid and rolls back its user', async () => {
    await bindAccount.execute(form());
    await expect(bindAccount.execute(form({ username: 'bob' }))).rejects.toThrow(WeiboAlreadyBound);
    expect([...store.users.values()].map((u) => u.username)).toEqual(['alice']);
    expect(store.events).toHaveLength(1);
    expect(sessions.all()).toHaveLength(1);
  });

  it('refuses more bind attempts per uid than the hourly limit, until the hour has passed', async () => {
    for (const username of ['taken_1', 'taken_2', 'taken_3']) {
      await store.userRepository.add(aUserProfile({ username }));
      await expect(bindAccount.execute(form({ username }))).rejects.toThrow(UsernameTaken);
    }
    const limited = bindAccount.execute(form());
    await expect(limited).rejects.toThrow(RateLimited);
    await expect(limited).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
    clock.advance(3600);
    await expect(bindAccount.execute(form())).resolves.toMatchObject({ username: 'alice' });
  });

  it('refuses while its count cannot be reached, hashing and storing nothing', async () => {
    const tokens = new FakeTokenIssuer();
    const ids = new SequentialIds();
    const hasher = new FakePasswordHasher();
    let hashes = 0;
    hasher.hash = async (password) => {
      hashes += 1;
      return `hashed(${password})`;
    };
    bindAccount = new BindAccount(
      tokens,
      hasher,
      store,
      clock,
      ids,
      { limiter: new UnreachableRateLimiter(), perUidPerHour: 3 },
      new Sessions(tokens, sessions, clock, ids, { loginTtlSeconds: 3600, refreshTtlSeconds: 60 }),
    );
    await expect(bindAccount.execute(form())).rejects.toThrow(RateLimiterUnavailable);
    expect(hashes).toBe(0);
    expectNothingWritten();
  });
});
