import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { Authenticate } from '../../src/application/authenticate.ts';
import { Credentials } from '../../src/application/credentials.ts';
import { DeleteAccount } from '../../src/application/delete-account.ts';
import { RateLimited } from '../../src/application/errors.ts';
import type { Repositories, UnitOfWork } from '../../src/application/ports.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { UnbindWeibo } from '../../src/application/unbind-weibo.ts';
import {
  InvalidPassword,
  NotSignedIn,
  NoWeiboAccount,
  SessionExpired,
  WrongCredentials,
} from '../../src/domain/errors.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  auditFailures,
  FakeClock,
  FakeOAuthProvider,
  FakePasswordHasher,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const PASSWORD = 'correct horse';

/** Weibo that writes each revoke into a shared log, to tell what came before it. */
class LoggingOAuthProvider extends FakeOAuthProvider {
  constructor(private readonly log: string[]) {
    super();
  }
  override async revokeToken(accessToken: string): Promise<boolean> {
    this.log.push('revoke');
    return super.revokeToken(accessToken);
  }
}

/** The store's unit of work, logging each commit; its outbox fails when told to. */
class ObservedUnitOfWork implements UnitOfWork {
  outboxFailure: Error | null = null;
  constructor(
    private readonly store: InMemoryStore,
    private readonly log: string[],
  ) {}
  async transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    const result = await this.store.transaction((repositories) =>
      work({
        ...repositories,
        outbox: {
          add: async (event) => {
            if (this.outboxFailure) throw this.outboxFailure;
            await repositories.outbox.add(event);
          },
        },
      }),
    );
    this.log.push('commit');
    return result;
  }
}

let clock: FakeClock;
let store: InMemoryStore;
let log: string[];
let oauth: LoggingOAuthProvider;
let unitOfWork: ObservedUnitOfWork;
let alice: UserProfile;
let sessionStore: InMemorySessionRepository;
let sessions: Sessions;
let authenticate: Authenticate;

beforeEach(async () => {
  clock = new FakeClock();
  store = new InMemoryStore();
  log = [];
  oauth = new LoggingOAuthProvider(log);
  unitOfWork = new ObservedUnitOfWork(store, log);
  alice = aUserProfile({ id: 'user-1', username: 'alice', passwordHash: `hashed(${PASSWORD})` });
  await store.userRepository.add(alice);
  const tokens = new FakeTokenIssuer();
  sessionStore = new InMemorySessionRepository(store);
  sessions = new Sessions(tokens, sessionStore, clock, new SequentialIds(), {
    loginTtlSeconds: 3600,
    refreshTtlSeconds: 86_400,
  });
  authenticate = new Authenticate(tokens, sessionStore, clock);
});

async function bindWeibo() {
  await store.weiboAccountRepository.saveGrant({
    uid: UID,
    accessToken: 'weibo-token',
    expiresAt: null,
  });
  await store.weiboAccountRepository.bindIfUnbound(UID, alice.id);
}

describe('UnbindWeibo', () => {
  let unbind: UnbindWeibo;
  beforeEach(() => {
    unbind = new UnbindWeibo(unitOfWork, oauth, clock, new SequentialIds());
  });

  it('refuses a user without a Weibo account with NoWeiboAccount, revoking nothing', async () => {
    await expect(unbind.execute(alice)).rejects.toThrow(NoWeiboAccount);
    expect(oauth.revoked).toEqual([]);
    expect(store.events).toEqual([]);
  });

  it('deletes the stored account and token and records one UserUnboundFromWeibo event', async () => {
    await bindWeibo();
    await unbind.execute(alice);
    expect(store.weiboAccounts.has(UID)).toBe(false);
    expect(await store.weiboAccountRepository.findByUserId(alice.id)).toBeNull();
    expect(store.users.has(alice.id)).toBe(true);
    expect(store.events).toEqual([
      {
        type: 'UserUnboundFromWeibo',
        id: '00000000-0000-4000-8000-000000000001',
        occurredAt: clock.now(),
        userId: 'user-1',
        username: 'alice',
        weiboUid: UID,
        by: 'user',
      },
    ]);
  });

  it('revokes the token at Weibo once, after the commit, and reports it revoked', async () => {
    await bindWeibo();
    await expect(unbind.execute(alice)).resolves.toEqual({ weiboUid: UID, revoked: true });
    expect(oauth.revoked).toEqual(['weibo-token']);
    expect(log).toEqual(['commit', 'revoke']);
  });

  it('still unbinds when Weibo does not confirm the revoke, and reports it not revoked', async () => {
    await bindWeibo();
    oauth.revokeConfirmed = false;
    await expect(unbind.execute(alice)).resolves.toEqual({ weiboUid: UID, revoked: false });
    expect(store.weiboAccounts.has(UID)).toBe(false);
    expect(store.events).toHaveLength(1);
  });

  it('keeps the account and revokes nothing when the transaction fails', async () => {
    await bindWeibo();
    unitOfWork.outboxFailure = new Error('outbox down');
    await expect(unbind.execute(alice)).rejects.toThrow('outbox down');
    expect(store.weiboAccounts.get(UID)?.userId).toBe(alice.id);
    expect(store.events).toEqual([]);
    expect(oauth.revoked).toEqual([]);
  });

  it('lets exactly one of 5 unbinds at once write its event and revoke; the rest NoWeiboAccount', async () => {
    await bindWeibo();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => unbind.execute(alice)),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect(outcome.reason).toBeInstanceOf(NoWeiboAccount);
    }
    expect(store.events).toHaveLength(1);
    expect(oauth.revoked).toEqual(['weibo-token']);
  });

  it('leaves the user’s sessions alive', async () => {
    await bindWeibo();
    const signedIn = await sessions.start(alice, {}, 'password');
    await unbind.execute(alice);
    await expect(authenticate.execute(signedIn.token)).resolves.toMatchObject({ user: alice });
    await expect(sessions.refresh(signedIn.refreshToken)).resolves.toMatchObject({
      username: 'alice',
    });
  });
});

describe('DeleteAccount', () => {
  const LIMIT = 3;
  let deleteAccount: DeleteAccount;
  beforeEach(() => {
    const credentials = new Credentials(
      store.userRepository,
      new FakePasswordHasher(),
      {
        limiter: new InMemoryRateLimiter(clock),
        failuresPerHour: LIMIT,
      },
      auditFailures(store),
    );
    deleteAccount = new DeleteAccount(credentials, unitOfWork, oauth, clock, new SequentialIds());
  });

  function expectNothingDeleted() {
    expect(store.users.has(alice.id)).toBe(true);
    expect(store.events).toEqual([]);
    expect(oauth.revoked).toEqual([]);
  }

  it.each([
    ['missing', undefined],
    ['a number', 7],
    ['null', null],
  ])(
    'refuses a password that is %s with InvalidPassword, deleting nothing',
    async (_case, password) => {
      await bindWeibo();
      await expect(deleteAccount.execute(alice, { password })).rejects.toThrow(InvalidPassword);
      expectNothingDeleted();
      expect(store.weiboAccounts.has(UID)).toBe(true);
    },
  );

  it('refuses a wrong password with WrongCredentials, deleting nothing', async () => {
    await bindWeibo();
    await expect(deleteAccount.execute(alice, { password: 'wrong' })).rejects.toThrow(
      WrongCredentials,
    );
    expectNothingDeleted();
    expect(store.weiboAccounts.has(UID)).toBe(true);
  });

  it('refuses even the right password past the limit of failures', async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      await expect(deleteAccount.execute(alice, { password: 'wrong' })).rejects.toThrow(
        WrongCredentials,
      );
    }
    await expect(deleteAccount.execute(alice, { password: PASSWORD })).rejects.toThrow(RateLimited);
    expectNothingDeleted();
  });

  it('deletes the user and its Weibo account and records one UserDeleted event with the uid', async () => {
    await bindWeibo();
    await deleteAccount.execute(alice, { password: PASSWORD });
    expect(store.users.has(alice.id)).toBe(false);
    expect(store.weiboAccounts.has(UID)).toBe(false);
    expect(store.events).toEqual([
      {
        type: 'UserDeleted',
        id: '00000000-0000-4000-8000-000000000001',
        occurredAt: clock.now(),
        userId: 'user-1',
        username: 'alice',
        weiboUid: UID,
      },
    ]);
  });

  it('revokes the Weibo token once, after the commit, and reports it revoked', async () => {
    await bindWeibo();
    await expect(deleteAccount.execute(alice, { password: PASSWORD })).resolves.toEqual({
      weiboUid: UID,
      revoked: true,
    });
    expect(oauth.revoked).toEqual(['weibo-token']);
    expect(log).toEqual(['commit', 'revoke']);
  });

  it('still deletes when Weibo does not confirm the revoke, and reports it not revoked', async () => {
    await bindWeibo();
    oauth.revokeConfirmed = false;
    await expect(deleteAccount.execute(alice, { password: PASSWORD })).resolves.toEqual({
      weiboUid: UID,
      revoked: false,
    });
    expect(store.users.has(alice.id)).toBe(false);
  });

  it('deletes a user without Weibo with a null weiboUid in its event and revokes nothing', async () => {
    await expect(deleteAccount.execute(alice, { password: PASSWORD })).resolves.toEqual({
      weiboUid: null,
      revoked: false,
    });
    expect(store.users.has(alice.id)).toBe(false);
    expect(store.events).toMatchObject([{ type: 'UserDeleted', userId: 'user-1', weiboUid: null }]);
    expect(oauth.revoked).toEqual([]);
  });

  it('keeps the user and its Weibo account and revokes nothing when the transaction fails', async () => {
    await bindWeibo();
    unitOfWork.outboxFailure = new Error('outbox down');
    await expect(deleteAccount.execute(alice, { password: PASSWORD })).rejects.toThrow(
      'outbox down',
    );
    expectNothingDeleted();
    expect(store.weiboAccounts.get(UID)?.userId).toBe(alice.id);
  });

  it('lets exactly one of several deletions at once write its event and revoke; the rest NotSignedIn', async () => {
    await bindWeibo();
    const outcomes = await Promise.allSettled(
      Array.from({ length: LIMIT }, () => deleteAccount.execute(alice, { password: PASSWORD })),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      expect(outcome.reason).toBeInstanceOf(NotSignedIn);
    }
    expect(store.events).toMatchObject([{ type: 'UserDeleted', weiboUid: UID }]);
    expect(oauth.revoked).toEqual(['weibo-token']);
  });

  it('frees the username, in any letter case', async () => {
    await bindWeibo();
    await deleteAccount.execute(alice, { password: PASSWORD });
    await expect(
      store.userRepository.add(aUserProfile({ username: 'ALICE' })),
    ).resolves.toBeUndefined();
  });

  it('ends every session of the user: its login tokens are refused', async () => {
    const first = await sessions.start(alice, {}, 'password');
    const second = await sessions.start(alice, {}, 'password');
    await expect(authenticate.execute(first.token)).resolves.toMatchObject({ user: alice });
    await deleteAccount.execute(alice, { password: PASSWORD });
    await expect(authenticate.execute(first.token)).rejects.toThrow(NotSignedIn);
    await expect(authenticate.execute(second.token)).rejects.toThrow(NotSignedIn);
    expect(sessionStore.all()).toEqual([]);
  });

  it('ends every session of the user: its refresh tokens are refused', async () => {
    const signedIn = await sessions.start(alice, {}, 'password');
    await deleteAccount.execute(alice, { password: PASSWORD });
    await expect(sessions.refresh(signedIn.refreshToken)).rejects.toThrow(SessionExpired);
  });

  it('keeps the user’s sessions when the transaction fails', async () => {
    const signedIn = await sessions.start(alice, {}, 'password');
    unitOfWork.outboxFailure = new Error('outbox down');
    await expect(deleteAccount.execute(alice, { password: PASSWORD })).rejects.toThrow(
      'outbox down',
    );
    await expect(authenticate.execute(signedIn.token)).resolves.toMatchObject({ user: alice });
  });
});
