import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { Credentials } from '../../src/application/credentials.ts';
import {
  RateLimited,
  RateLimiterUnavailable,
  StorageUnavailable,
} from '../../src/application/errors.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { SignInWithPassword } from '../../src/application/sign-in-with-password.ts';
import { InvalidPassword, InvalidUsername, WrongCredentials } from '../../src/domain/errors.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  auditFailures,
  FakeClock,
  FakePasswordHasher,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
  UnreachableRateLimiter,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const PASSWORD = 'correct horse';
const LIMIT = 3;

/** The fake hasher, remembering every hash it made and every verify asked of it. */
class CountingHasher extends FakePasswordHasher {
  readonly made: string[] = [];
  readonly verified: Array<{ hash: string; password: string }> = [];
  override async hash(password: string): Promise<string> {
    const hash = await super.hash(password);
    this.made.push(hash);
    return hash;
  }
  override async verify(hash: string, password: string): Promise<boolean> {
    this.verified.push({ hash, password });
    return super.verify(hash, password);
  }
}

describe('Credentials', () => {
  let clock: FakeClock;
  let hasher: CountingHasher;
  let store: InMemoryStore;
  let alice: UserProfile;
  let credentials: Credentials;
  const withLimit = (failuresPerHour: number) =>
    new Credentials(
      store.userRepository,
      hasher,
      {
        limiter: new InMemoryRateLimiter(clock),
        failuresPerHour,
      },
      auditFailures(store),
    );

  beforeEach(async () => {
    clock = new FakeClock();
    hasher = new CountingHasher();
    store = new InMemoryStore();
    alice = aUserProfile({ username: 'Alice', passwordHash: `hashed(${PASSWORD})` });
    await store.userRepository.add(alice);
    credentials = withLimit(LIMIT);
  });

  async function failTimes(times: number, username: (attempt: number) => string) {
    for (let attempt = 0; attempt < times; attempt += 1) {
      await expect(
        credentials.verify({ username: username(attempt), password: 'wrong' }),
      ).rejects.toThrow(WrongCredentials);
    }
  }

  describe('verify', () => {
    it.each([
      ['missing', undefined],
      ['a number', 42],
      ['null', null],
      ['an array', ['Alice']],
    ])('refuses a username that is %s with InvalidUsername', async (_case, username) => {
      await expect(credentials.verify({ username, password: PASSWORD })).rejects.toThrow(
        InvalidUsername,
      );
      expect(hasher.verified).toEqual([]);
    });

    it.each([
      ['missing', undefined],
      ['a number', 12345678],
      ['null', null],
      ['an object', { value: PASSWORD }],
    ])('refuses a password that is %s with InvalidPassword', async (_case, password) => {
      await expect(credentials.verify({ username: 'Alice', password })).rejects.toThrow(
        InvalidPassword,
      );
      expect(hasher.verified).toEqual([]);
    });

    it('checks the username type before the password type', async () => {
      await expect(credentials.verify({ username: 1, password: 2 })).rejects.toThrow(
        InvalidUsername,
      );
    });

    it.each([
      ['empty', ''],
      ['not a valid username', 'a!'],
      ['very long', 'a'.repeat(10_000)],
      ['with a NUL', 'Ali\u0000ce'],
      ['with a lone surrogate', 'Ali\ud800ce'],
      ['a name with a non-ASCII letter', 'Alİce'],
    ])(
      'refuses a username string that is %s as wrong credentials, looking nothing up',
      async (_case, username) => {
        const lookups: string[] = [];
        const users = { ...store.userRepository };
        users.findByUsername = async (name) => {
          lookups.push(name);
          return store.userRepository.findByUsername(name);
        };
        credentials = new Credentials(
          users,
          hasher,
          {
            limiter: new InMemoryRateLimiter(clock),
            failuresPerHour: LIMIT,
          },
          auditFailures(store),
        );
        for (let i = 0; i <= LIMIT; i += 1) {
          await expect(credentials.verify({ username, password: PASSWORD })).rejects.toThrow(
            WrongCredentials,
          );
        }
        expect(lookups).toEqual([]);
        expect(hasher.verified).toEqual([]);
      },
    );

    it.each(['Alice', 'alice', 'ALICE', 'aLiCe'])(
      'returns the user for its password, the name typed as %s',
      async (username) => {
        await expect(credentials.verify({ username, password: PASSWORD })).resolves.toEqual(alice);
      },
    );

    it('refuses a wrong password with WrongCredentials', async () => {
      await expect(credentials.verify({ username: 'Alice', password: 'wrong' })).rejects.toThrow(
        WrongCredentials,
      );
      expect(hasher.verified).toEqual([{ hash: alice.passwordHash, password: 'wrong' }]);
    });

    it('refuses an unknown user with WrongCredentials after exactly one verify of a dummy hash', async () => {
      await expect(credentials.verify({ username: 'nobody', password: PASSWORD })).rejects.toThrow(
        WrongCredentials,
      );
      expect(hasher.verified).toHaveLength(1);
      const [{ hash } = { hash: '' }] = hasher.verified;
      expect(hasher.made).toContain(hash);
      expect(hash).not.toBe(alice.passwordHash);
    });

    it("refuses an unknown user even with a password that matches the dummy hash's", async () => {
      const dummy = hasher.made[0] ?? '';
      const dummyPassword = dummy.slice('hashed('.length, -1);
      await expect(
        credentials.verify({ username: 'nobody', password: dummyPassword }),
      ).rejects.toThrow(WrongCredentials);
    });

    it('refuses even the right password once the failures of the hour reach the limit, without verifying it', async () => {
      await failTimes(LIMIT, () => 'Alice');
      const verifies = hasher.verified.length;
      const limited = credentials.verify({ username: 'Alice', password: PASSWORD });
      await expect(limited).rejects.toThrow(RateLimited);
      await expect(limited).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
      expect(hasher.verified).toHaveLength(verifies);
    });

    it('tells how long to wait, and lets the right password in once the hour has passed', async () => {
      await failTimes(LIMIT, () => 'Alice');
      const limited = credentials.verify({ username: 'Alice', password: PASSWORD });
      const error = await limited.catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).retryAfterSeconds).toBeGreaterThan(0);
      expect((error as RateLimited).retryAfterSeconds).toBeLessThanOrEqual(3600);
      clock.advance(3600);
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).resolves.toEqual(
        alice,
      );
    });

    it('counts the failures of one username in any ASCII letter case together', async () => {
      const cases = ['alice', 'ALICE', 'aLiCe'];
      await failTimes(LIMIT, (attempt) => cases[attempt] ?? 'alice');
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).rejects.toThrow(
        RateLimited,
      );
    });

    it('counts the failures of each username apart', async () => {
      await failTimes(LIMIT, () => 'bob');
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).resolves.toEqual(
        alice,
      );
      await expect(credentials.verify({ username: 'bob', password: 'x' })).rejects.toThrow(
        RateLimited,
      );
    });

    it('counts the failures of an unknown username too', async () => {
      await failTimes(LIMIT, () => 'nobody');
      await expect(credentials.verify({ username: 'NOBODY', password: 'x' })).rejects.toThrow(
        RateLimited,
      );
    });

    it('does not count a success as a failure', async () => {
      await failTimes(LIMIT - 1, () => 'Alice');
      for (let i = 0; i < 5; i += 1) {
        await credentials.verify({ username: 'Alice', password: PASSWORD });
      }
      await failTimes(1, () => 'Alice');
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).rejects.toThrow(
        RateLimited,
      );
    });

    it('checks no more passwords than the limit of 40 attempts made at once', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          credentials.verify({ username: 'Alice', password: i === 35 ? PASSWORD : `wrong ${i}` }),
        ),
      );
      expect(hasher.verified.length).toBeLessThanOrEqual(LIMIT);
      const refused = attempts.filter(
        (attempt) => attempt.status === 'rejected' && attempt.reason instanceof RateLimited,
      );
      expect(refused.length).toBeGreaterThanOrEqual(40 - LIMIT);
    });

    it('gives back the place of an attempt that failed for another reason than its password', async () => {
      const users = { ...store.userRepository };
      let down = true;
      users.findByUsername = async (name) => {
        if (down) throw new StorageUnavailable('down');
        return store.userRepository.findByUsername(name);
      };
      credentials = new Credentials(
        users,
        hasher,
        {
          limiter: new InMemoryRateLimiter(clock),
          failuresPerHour: LIMIT,
        },
        auditFailures(store),
      );
      for (let i = 0; i < LIMIT * 2; i += 1) {
        await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).rejects.toThrow(
          StorageUnavailable,
        );
      }
      down = false;
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).resolves.toEqual(
        alice,
      );
    });

    it('checks no password when the count cannot be reached: the limiter’s error stands', async () => {
      credentials = new Credentials(
        store.userRepository,
        hasher,
        {
          limiter: new UnreachableRateLimiter(),
          failuresPerHour: LIMIT,
        },
        auditFailures(store),
      );
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).rejects.toThrow(
        RateLimiterUnavailable,
      );
      await expect(credentials.confirm(alice, PASSWORD)).rejects.toThrow(RateLimiterUnavailable);
      expect(hasher.verified).toEqual([]);
    });

    it('needs no count with a limit of 0, even when the count cannot be reached', async () => {
      credentials = new Credentials(
        store.userRepository,
        hasher,
        {
          limiter: new UnreachableRateLimiter(),
          failuresPerHour: 0,
        },
        auditFailures(store),
      );
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).resolves.toEqual(
        alice,
      );
    });

    it('limits nothing with a limit of 0', async () => {
      credentials = withLimit(0);
      await failTimes(50, () => 'Alice');
      await expect(credentials.verify({ username: 'Alice', password: PASSWORD })).resolves.toEqual(
        alice,
      );
    });
  });

  describe('confirm', () => {
    it('accepts the user’s own password', async () => {
      await expect(credentials.confirm(alice, PASSWORD)).resolves.toBeUndefined();
      expect(hasher.verified).toEqual([{ hash: alice.passwordHash, password: PASSWORD }]);
    });

    it.each([
      ['missing', undefined],
      ['a number', 7],
      ['null', null],
    ])('refuses a password that is %s with InvalidPassword', async (_case, password) => {
      await expect(credentials.confirm(alice, password)).rejects.toThrow(InvalidPassword);
      expect(hasher.verified).toEqual([]);
    });

    it('refuses a wrong password with WrongCredentials', async () => {
      await expect(credentials.confirm(alice, 'wrong')).rejects.toThrow(WrongCredentials);
    });

    it('counts its failures against the same limit as sign-in', async () => {
      for (let i = 0; i < LIMIT; i += 1) {
        await expect(credentials.confirm(alice, 'wrong')).rejects.toThrow(WrongCredentials);
      }
      await expect(credentials.confirm(alice, PASSWORD)).rejects.toThrow(RateLimited);
      await expect(credentials.verify({ username: 'alice', password: PASSWORD })).rejects.toThrow(
        RateLimited,
      );
    });
  });
});

describe('SignInWithPassword', () => {
  const BROWSER = 'curl/8.5.0';
  let clock: FakeClock;
  let store: InMemoryStore;
  let sessions: InMemorySessionRepository;
  let signIn: SignInWithPassword;

  beforeEach(async () => {
    clock = new FakeClock();
    store = new InMemoryStore();
    sessions = new InMemorySessionRepository(store);
    await store.userRepository.add(
      aUserProfile({ id: 'user-1', username: 'Alice', passwordHash: `hashed(${PASSWORD})` }),
    );
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
    signIn = new SignInWithPassword(
      credentials,
      new Sessions(tokens, sessions, clock, new SequentialIds(), {
        loginTtlSeconds: 3600,
        refreshTtlSeconds: 86_400,
      }),
    );
  });

  it('answers the stored username and a login token for it, whatever the case typed', async () => {
    await expect(signIn.execute({ username: 'ALICE', password: PASSWORD })).resolves.toMatchObject({
      username: 'Alice',
      token: expect.stringMatching(/^login:user-1:Alice:/),
    });
  });

  it('starts a session with the user agent and answers its refresh token and lifetime', async () => {
    const result = await signIn.execute(
      { username: 'Alice', password: PASSWORD },
      { userAgent: BROWSER },
    );
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

  it('issues no token and starts no session for a wrong password', async () => {
    await expect(signIn.execute({ username: 'Alice', password: 'nope' })).rejects.toThrow(
      WrongCredentials,
    );
    expect(sessions.all()).toEqual([]);
  });
});
