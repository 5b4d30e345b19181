import { beforeEach, describe, expect, it } from 'vitest';
import type { Repositories, UnitOfWork } from '../../src/application/ports.ts';
import { WeiboAuthorizationHealth } from '../../src/application/weibo-authorization-health.ts';
import { aStartedSession, aUserProfile } from '../support/builders.ts';
import { FakeClock, InMemoryStore, SequentialIds } from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const EXPIRY = new Date('2026-12-24T08:00:00Z');

let clock: FakeClock;
let store: InMemoryStore;
let sessionRepo: InMemorySessionRepository;
let health: WeiboAuthorizationHealth;

beforeEach(async () => {
  clock = new FakeClock();
  store = new InMemoryStore();
  sessionRepo = new InMemorySessionRepository(store);
  health = new WeiboAuthorizationHealth(store, clock, new SequentialIds());
  await store.userRepository.add(aUserProfile({ id: 'user-1', username: 'alice' }));
});

/** Stores a valid grant for the uid, bound to the user when one is named (and created). */
async function account(uid: string, expiresAt: Date | null, userId?: string) {
  await store.weiboAccountRepository.saveGrant({ uid, accessToken: `token-${uid}`, expiresAt });
  if (!userId) return;
  if (!store.users.has(userId)) await store.userRepository.add(aUserProfile({ id: userId }));
  await store.weiboAccountRepository.bindIfUnbound(uid, userId);
}

function lostEvent(weiboUid: string, userId: string, reason: string) {
  return {
    type: 'WeiboAuthorizationLost',
    id: expect.any(String),
    occurredAt: clock.now(),
    userId,
    weiboUid,
    reason,
  };
}

async function startSession(id: string, userId = 'user-1') {
  await sessionRepo.start(aStartedSession(id, userId, clock.now()), null);
}

describe('WeiboAuthorizationHealth.lost', () => {
  beforeEach(async () => {
    await account(UID, EXPIRY, 'user-1');
  });

  it('marks a revoked token revoked, keeps it, and writes one WeiboAuthorizationLost event', async () => {
    await health.lost(UID, 'revoked');
    expect(store.weiboAccounts.get(UID)).toMatchObject({
      authorization: 'revoked',
      accessToken: `token-${UID}`,
    });
    expect(store.events).toEqual([lostEvent(UID, 'user-1', 'revoked')]);
  });

  it('marks an expired token expired and writes one event with reason expired', async () => {
    await health.lost(UID, 'expired');
    expect(store.weiboAccounts.get(UID)?.authorization).toBe('expired');
    expect(store.events).toEqual([lostEvent(UID, 'user-1', 'expired')]);
  });

  it('ends no session for a revoked or an expired token', async () => {
    await startSession('s-1');
    await health.lost(UID, 'revoked');
    await health.lost(UID, 'expired');
    expect(sessionRepo.stored('s-1')?.revokedAt).toBeNull();
  });

  it('writes no second event for a second loss', async () => {
    await health.lost(UID, 'revoked');
    await health.lost(UID, 'expired');
    await health.lost(UID, 'revoked');
    expect(store.events).toHaveLength(1);
  });

  it('writes an event again for a loss after a sign-in made the authorization valid', async () => {
    await health.lost(UID, 'revoked');
    await store.weiboAccountRepository.saveGrant({ uid: UID, accessToken: 'new', expiresAt: null });
    expect(store.weiboAccounts.get(UID)?.authorization).toBe('valid');
    await health.lost(UID, 'expired');
    expect(store.events).toEqual([
      lostEvent(UID, 'user-1', 'revoked'),
      lostEvent(UID, 'user-1', 'expired'),
    ]);
  });

  it('marks an unbound account but writes no event', async () => {
    await account('2000000001', EXPIRY);
    await health.lost('2000000001', 'revoked');
    expect(store.weiboAccounts.get('2000000001')?.authorization).toBe('revoked');
    expect(store.events).toEqual([]);
  });

  it('changes nothing for an unknown uid', async () => {
    await startSession('s-1');
    const before = structuredClone([...store.weiboAccounts]);
    await health.lost('9999999999', 'deauthorized');
    expect([...store.weiboAccounts]).toEqual(before);
    expect(store.events).toEqual([]);
    expect(sessionRepo.stored('s-1')?.revokedAt).toBeNull();
  });
});

describe('WeiboAuthorizationHealth.lost for a removed app', () => {
  beforeEach(async () => {
    await account(UID, EXPIRY, 'user-1');
    await store.userRepository.add(aUserProfile({ id: 'user-2', username: 'bob' }));
    await startSession('alice-phone');
    await startSession('alice-laptop');
    await startSession('bob-phone', 'user-2');
  });

  it('marks it revoked and deletes the token and its expiry, keeping the binding', async () => {
    await health.lost(UID, 'deauthorized');
    expect(store.weiboAccounts.get(UID)).toEqual({
      uid: UID,
      userId: 'user-1',
      accessToken: null,
      accessTokenExpiresAt: null,
      authorization: 'revoked',
    });
  });

  it('ends every live session of the user, and only theirs', async () => {
    clock.advance(5);
    await health.lost(UID, 'deauthorized');
    expect(sessionRepo.stored('alice-phone')?.revokedAt).toEqual(clock.now());
    expect(sessionRepo.stored('alice-laptop')?.revokedAt).toEqual(clock.now());
    expect(sessionRepo.stored('bob-phone')?.revokedAt).toBeNull();
  });

  it('writes one event with reason deauthorized', async () => {
    await health.lost(UID, 'deauthorized');
    expect(store.events).toEqual([lostEvent(UID, 'user-1', 'deauthorized')]);
  });

  it('still deletes the token and ends the sessions of an authorization already lost, without an event', async () => {
    await health.lost(UID, 'revoked');
    await health.lost(UID, 'deauthorized');
    expect(store.weiboAccounts.get(UID)?.accessToken).toBeNull();
    expect(sessionRepo.stored('alice-phone')?.revokedAt).not.toBeNull();
    expect(
      store.events.map((event) => event.type === 'WeiboAuthorizationLost' && event.reason),
    ).toEqual(['revoked']);
  });
});

/** The store's unit of work, recording how many accounts each sweep batch asked for and got. */
class BatchRecordingUnitOfWork implements UnitOfWork {
  readonly batches: Array<{ limit: number; swept: number }> = [];
  constructor(private readonly inner: InMemoryStore) {}
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.inner.transaction((repositories) =>
      work({
        ...repositories,
        weiboAccounts: {
          ...repositories.weiboAccounts,
          expireDue: async (now, limit) => {
            const expired = await repositories.weiboAccounts.expireDue(now, limit);
            this.batches.push({ limit, swept: expired.length });
            return expired;
          },
        },
      }),
    );
  }
}

describe('WeiboAuthorizationHealth.sweepExpired', () => {
  const past = () => new Date(clock.now().getTime() - 1000);
  const future = () => new Date(clock.now().getTime() + 1000);

  beforeEach(async () => {
    await account('1000000001', past(), 'user-1');
    await account('1000000002', clock.now(), 'user-2');
    await account('1000000003', past());
    await account('1000000004', future(), 'user-4');
    await account('1000000005', null, 'user-5');
    await account('1000000006', null);
    await account('1000000007', past(), 'user-7');
    await store.weiboAccountRepository.markLost('1000000007', 'revoked');
  });

  const authorizations = () =>
    Object.fromEntries([...store.weiboAccounts].map(([uid, a]) => [uid, a.authorization]));

  it('marks expired only the valid accounts whose expiry passed', async () => {
    await health.sweepExpired();
    expect(authorizations()).toEqual({
      '1000000001': 'expired',
      '1000000002': 'expired',
      '1000000003': 'expired',
      '1000000004': 'valid',
      '1000000005': 'valid',
      '1000000006': 'valid',
      '1000000007': 'revoked',
    });
  });

  it('writes one expired event per bound account it marks, and resolves how many it marked', async () => {
    await expect(health.sweepExpired()).resolves.toBe(3);
    expect(store.events).toEqual([
      lostEvent('1000000001', 'user-1', 'expired'),
      lostEvent('1000000002', 'user-2', 'expired'),
    ]);
  });

  it('finds nothing on a second sweep', async () => {
    await health.sweepExpired();
    await expect(health.sweepExpired()).resolves.toBe(0);
    expect(store.events).toHaveLength(2);
  });

  it('sweeps more than one batch of 100 in one call', async () => {
    for (let n = 0; n < 150; n += 1) await account(String(3_000_000_000 + n), past(), `many-${n}`);
    const unitOfWork = new BatchRecordingUnitOfWork(store);
    const sweeper = new WeiboAuthorizationHealth(unitOfWork, clock, new SequentialIds());
    await expect(sweeper.sweepExpired()).resolves.toBe(153);
    expect(unitOfWork.batches).toEqual([
      { limit: 100, swept: 100 },
      { limit: 100, swept: 53 },
    ]);
    expect(Object.values(authorizations()).filter((a) => a === 'expired')).toHaveLength(153);
    expect(store.events).toHaveLength(152);
  });

  it('sweeps exactly one full batch and stops at the empty one after it', async () => {
    for (let n = 0; n < 97; n += 1) await account(String(3_000_000_000 + n), past());
    const unitOfWork = new BatchRecordingUnitOfWork(store);
    const sweeper = new WeiboAuthorizationHealth(unitOfWork, clock, new SequentialIds());
    await expect(sweeper.sweepExpired()).resolves.toBe(100);
    expect(unitOfWork.batches.map((batch) => batch.swept)).toEqual([100, 0]);
  });
});
