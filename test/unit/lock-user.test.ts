import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { Credentials } from '../../src/application/credentials.ts';
import { FindUsers } from '../../src/application/find-users.ts';
import { LockUser } from '../../src/application/lock-user.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { AccountLocked, UserNotFound, WrongCredentials } from '../../src/domain/errors.ts';
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

const PASSWORD = 'correct horse';
const ADMIN = 'admin:1a2b3c4d' as const;
const SUPPORT_DESK = { ip: '198.51.100.9', userAgent: 'curl/8' };

let clock: FakeClock;
let store: InMemoryStore;
let sessionStore: InMemorySessionRepository;
let sessions: Sessions;
let lockUser: LockUser;
let credentials: Credentials;
const alice = aUserProfile({
  id: 'user-1',
  username: 'alice',
  passwordHash: `hashed(${PASSWORD})`,
});

beforeEach(async () => {
  clock = new FakeClock();
  store = new InMemoryStore();
  await store.userRepository.add(structuredClone(alice));
  sessionStore = new InMemorySessionRepository(store);
  const ids = new SequentialIds();
  sessions = new Sessions(new FakeTokenIssuer(), sessionStore, clock, ids, {
    loginTtlSeconds: 3600,
    refreshTtlSeconds: 86_400,
  });
  lockUser = new LockUser(store, clock, ids);
  credentials = new Credentials(
    store.userRepository,
    new FakePasswordHasher(),
    { limiter: new InMemoryRateLimiter(clock), failuresPerHour: 10 },
    auditFailures(store, clock),
  );
});

describe('LockUser', () => {
  it('locks: ends every session, writes UserLocked and a "locked" entry by the admin', async () => {
    await sessions.start(alice, {}, 'password');
    await sessions.start(alice, {}, 'password');
    await expect(lockUser.lock(alice.id, 'takeover', ADMIN, SUPPORT_DESK)).resolves.toBe(true);
    expect(sessionStore.all().every((session) => session.revokedAt !== null)).toBe(true);
    expect(store.users.get(alice.id)?.lockedAt).toEqual(clock.now());
    expect(store.events).toMatchObject([
      { type: 'UserLocked', userId: alice.id, username: 'alice' },
    ]);
    const entries = store.auditEntries.filter((entry) => entry.actor === ADMIN);
    expect(entries).toMatchObject([
      { action: 'session_ended', detail: { sessions: 'all', count: 2 }, ip: '198.51.100.9' },
      { action: 'locked', detail: { reason: 'takeover' }, userAgent: 'curl/8' },
    ]);
  });

  it('changes nothing, writes nothing, for a lock of a locked account or an unlock of an open one', async () => {
    await expect(lockUser.unlock(alice.id, ADMIN, SUPPORT_DESK)).resolves.toBe(false);
    await lockUser.lock(alice.id, 'once', ADMIN, SUPPORT_DESK);
    const [events, entries] = [store.events.length, store.auditEntries.length];
    await expect(lockUser.lock(alice.id, 'twice', ADMIN, SUPPORT_DESK)).resolves.toBe(false);
    expect([store.events.length, store.auditEntries.length]).toEqual([events, entries]);
    await expect(lockUser.unlock(alice.id, ADMIN, SUPPORT_DESK)).resolves.toBe(true);
    expect(store.events.map((event) => event.type)).toEqual(['UserLocked', 'UserUnlocked']);
    expect(store.users.get(alice.id)?.lockedAt).toBeNull();
  });

  it('refuses an unknown account with UserNotFound', async () => {
    await expect(lockUser.lock('nobody', 'x', ADMIN, {})).rejects.toThrow(UserNotFound);
    await expect(lockUser.unlock('nobody', ADMIN, {})).rejects.toThrow(UserNotFound);
  });

  it('makes the right password answer AccountLocked and a wrong one still WrongCredentials', async () => {
    await expect(
      credentials.verify({ username: 'alice', password: PASSWORD }),
    ).resolves.toMatchObject({ id: alice.id });
    await lockUser.lock(alice.id, 'takeover', ADMIN, SUPPORT_DESK);
    await expect(credentials.verify({ username: 'alice', password: PASSWORD })).rejects.toThrow(
      AccountLocked,
    );
    await expect(credentials.verify({ username: 'alice', password: 'nope' })).rejects.toThrow(
      WrongCredentials,
    );
    await lockUser.unlock(alice.id, ADMIN, SUPPORT_DESK);
    await expect(
      credentials.verify({ username: 'alice', password: PASSWORD }),
    ).resolves.toMatchObject({ id: alice.id });
  });
});

describe('Credentials and the audit log', () => {
  it('records a wrong password of a known user as sign_in_failed, with who tried', async () => {
    const requester = { ip: '203.0.113.4', userAgent: 'Mozilla/5.0' };
    await expect(
      credentials.verify({ username: 'ALICE', password: 'nope' }, requester),
    ).rejects.toThrow(WrongCredentials);
    expect(store.auditEntries).toMatchObject([
      {
        userId: alice.id,
        action: 'sign_in_failed',
        actor: 'user',
        ip: '203.0.113.4',
        userAgent: 'Mozilla/5.0',
        detail: { method: 'password' },
      },
    ]);
  });

  it('records nothing for an unknown username, nor for the right password', async () => {
    await expect(credentials.verify({ username: 'nobody', password: 'nope' })).rejects.toThrow(
      WrongCredentials,
    );
    await credentials.verify({ username: 'alice', password: PASSWORD });
    expect(store.auditEntries).toEqual([]);
  });
});

describe('FindUsers', () => {
  it('finds by username, email (ignoring case) and Weibo uid, with live sessions counted', async () => {
    const find = new FindUsers(
      store.userRepository,
      store.weiboAccountRepository,
      sessionStore,
      clock,
    );
    await store.weiboAccountRepository.saveGrant({ uid: '42', accessToken: 't', expiresAt: null });
    await store.weiboAccountRepository.bindIfUnbound('42', alice.id);
    await sessions.start(alice, {}, 'weibo');
    const [byName] = await find.search({ username: 'ALICE' });
    expect(byName).toMatchObject({
      user: { id: alice.id },
      weibo: { uid: '42', authorization: 'valid' },
      liveSessions: 1,
    });
    expect(await find.search({ email: alice.email.toUpperCase() })).toHaveLength(1);
    expect(await find.search({ weiboUid: '42' })).toHaveLength(1);
    expect(await find.search({ weiboUid: '43' })).toEqual([]);
    await expect(find.get('nobody')).resolves.toBeNull();
  });
});
