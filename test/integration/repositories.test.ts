import { setTimeout } from 'node:timers/promises';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  type QueryId,
  type RootOperationNode,
  sql,
} from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KyselyUnitOfWork } from '../../src/adapters/persistence/kysely-unit-of-work.ts';
import { KyselyUserRepository } from '../../src/adapters/persistence/kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from '../../src/adapters/persistence/kysely-weibo-account-repository.ts';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';
import { StorageUnavailable } from '../../src/application/errors.ts';
import type {
  UnitOfWork,
  UserRepository,
  WeiboAccountRepository,
} from '../../src/application/ports.ts';
import { UsernameTaken } from '../../src/domain/errors.ts';
import { userBoundToWeibo, userDeleted } from '../../src/domain/events.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../support/database.ts';
import { InMemoryStore, type StoredAccount } from '../support/fakes.ts';

const cipher = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());

/** The ports under contract, and a look at what they stored that goes around them. */
interface Storage {
  users: UserRepository;
  weiboAccounts: WeiboAccountRepository;
  unitOfWork: UnitOfWork;
  storedAccount(uid: string): Promise<StoredAccount | undefined>;
  storedEventIds(): Promise<string[]>;
}

interface Backend {
  /** The storage, emptied. */
  empty(): Promise<Storage>;
  close(): Promise<void>;
}

function kyselyStorage(database: TestDatabase): Storage {
  return {
    users: new KyselyUserRepository(database.db),
    weiboAccounts: new KyselyWeiboAccountRepository(database.db, cipher),
    unitOfWork: new KyselyUnitOfWork(database.db, cipher),
    storedAccount: async (uid) => {
      const row = await database.db
        .selectFrom('weibo_accounts')
        .selectAll()
        .where('uid', '=', uid)
        .executeTakeFirst();
      return (
        row && {
          uid,
          userId: row.user_id,
          accessToken:
            row.access_token_encrypted && cipher.decrypt(row.access_token_encrypted, uid),
          accessTokenExpiresAt: row.access_token_expires_at,
          authorization: row.authorization_state,
        }
      );
    },
    storedEventIds: async () =>
      (await database.db.selectFrom('outbox').select('id').orderBy('created_at').execute()).map(
        (row) => row.id,
      ),
  };
}

const onDatabase = (createDatabase: () => Promise<TestDatabase>) => async (): Promise<Backend> => {
  const database = await createDatabase();
  const storage = kyselyStorage(database);
  return {
    empty: async () => {
      await database.truncate();
      return storage;
    },
    close: () => database.destroy(),
  };
};

async function inMemory(): Promise<Backend> {
  return {
    empty: async () => {
      const store = new InMemoryStore();
      return {
        users: store.userRepository,
        weiboAccounts: store.weiboAccountRepository,
        unitOfWork: store,
        storedAccount: async (uid) => store.weiboAccounts.get(uid),
        storedEventIds: async () => store.events.map((event) => event.id),
      };
    },
    close: async () => undefined,
  };
}

describe.each([
  { name: 'Postgres', open: onDatabase(createTestDatabase), interleaves: true },
  // One connection for all: a second transaction cannot run while the first is open.
  {
    name: 'embedded Postgres (PGlite)',
    open: onDatabase(createEmbeddedTestDatabase),
    interleaves: false,
  },
  { name: 'the in-memory fake of the unit tests', open: inMemory, interleaves: true },
])('the storage contract on $name', ({ open, interleaves }) => {
  let backend: Backend;
  let storage: Storage;

  beforeAll(async () => {
    backend = await open();
  });
  beforeEach(async () => {
    storage = await backend.empty();
  });
  afterAll(() => backend.close());

  const grant = {
    uid: '1404376560',
    accessToken: '2.00SECRET_token',
    expiresAt: new Date('2031-01-01T00:00:00Z'),
  };

  describe('users', () => {
    it('stores a user and finds it by id', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      expect(await storage.users.findById(user.id)).toEqual(user);
      expect(await storage.users.findById(crypto.randomUUID())).toBeNull();
    });

    it('keeps what it stored when the caller changes the objects it passed or got back', async () => {
      const user = aUserProfile({ username: 'kept' });
      await storage.users.add(user);
      user.username = 'changed_after_add';
      const found = await storage.users.findById(user.id);
      if (found) found.username = 'changed_after_find';
      expect(await storage.users.findById(user.id)).toMatchObject({ username: 'kept' });
    });

    it.each([
      ['Alice', 'aLICE'],
      ['IVAN', 'ivan'],
    ])('takes %s, then refuses %s', async (first, second) => {
      await storage.users.add(aUserProfile({ username: first }));
      await expect(storage.users.add(aUserProfile({ username: second }))).rejects.toThrow(
        UsernameTaken,
      );
    });

    it('folds ASCII letters only: ÉCOLE and école are two names', async () => {
      await storage.users.add(aUserProfile({ username: 'ÉCOLE' }));
      await expect(storage.users.add(aUserProfile({ username: 'école' }))).resolves.toBeUndefined();
    });

    it('refuses a second user with the same id and keeps the first', async () => {
      const user = aUserProfile({ username: 'first' });
      await storage.users.add(user);
      await expect(storage.users.add({ ...user, username: 'second' })).rejects.toThrow();
      expect(await storage.users.findById(user.id)).toEqual(user);
    });

    it.each(['Alice', 'alice', 'ALICE', 'aLiCe'])('finds Alice by username as %s', async (name) => {
      const user = aUserProfile({ username: 'Alice' });
      await storage.users.add(user);
      await storage.users.add(aUserProfile({ username: 'Alicia' }));
      expect(await storage.users.findByUsername(name)).toEqual(user);
    });

    it('finds no user by an unknown username', async () => {
      await storage.users.add(aUserProfile({ username: 'alice' }));
      expect(await storage.users.findByUsername('bob')).toBeNull();
      expect(await storage.users.findByUsername('alic')).toBeNull();
      expect(await storage.users.findByUsername('alice_')).toBeNull();
    });

    it('folds ASCII letters only when finding by username', async () => {
      const ecole = aUserProfile({ username: 'ÉCOLE' });
      const ivan = aUserProfile({ username: 'IVAN' });
      await storage.users.add(ecole);
      await storage.users.add(ivan);
      expect(await storage.users.findByUsername('ÉcOlE')).toEqual(ecole);
      expect(await storage.users.findByUsername('école')).toBeNull();
      expect(await storage.users.findByUsername('ivan')).toEqual(ivan);
      expect(await storage.users.findByUsername('ıvan')).toBeNull();
    });

    it('deletes a user, which frees its username', async () => {
      const user = aUserProfile({ username: 'Leaving' });
      const other = aUserProfile();
      await storage.users.add(user);
      await storage.users.add(other);
      await storage.users.delete(user.id);
      expect(await storage.users.findById(user.id)).toBeNull();
      expect(await storage.users.findByUsername('leaving')).toBeNull();
      expect(await storage.users.findById(other.id)).toEqual(other);
      await expect(
        storage.users.add(aUserProfile({ username: 'LEAVING' })),
      ).resolves.toBeUndefined();
    });

    it('locks an existing user only: false for an unknown or deleted one', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      const locked = await storage.unitOfWork.transaction(async (tx) => [
        await tx.users.lock(user.id),
        await tx.users.lock(user.id),
        await tx.users.lock(crypto.randomUUID()),
      ]);
      expect(locked).toEqual([true, true, false]);
      await storage.users.delete(user.id);
      expect(await storage.unitOfWork.transaction((tx) => tx.users.lock(user.id))).toBe(false);
    });

    it.runIf(interleaves)(
      'holds a locked user until its transaction ends: a second lock waits, then finds it deleted',
      async () => {
        const user = aUserProfile();
        await storage.users.add(user);
        const firstLocked = Promise.withResolvers<void>();
        const release = Promise.withResolvers<void>();
        const first = storage.unitOfWork.transaction(async (tx) => {
          await tx.users.lock(user.id);
          firstLocked.resolve();
          await release.promise;
          await tx.users.delete(user.id);
        });
        await firstLocked.promise;
        let second: boolean | undefined;
        const secondDone = storage.unitOfWork.transaction(async (tx) => {
          second = await tx.users.lock(user.id);
        });
        await setTimeout(100);
        expect(second).toBeUndefined();
        release.resolve();
        await first;
        await secondDone;
        expect(second).toBe(false);
      },
    );

    it('deletes nothing for an unknown user id', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await expect(storage.users.delete(crypto.randomUUID())).resolves.toBeUndefined();
      expect(await storage.users.findById(user.id)).toEqual(user);
    });

    it("deletes the user's Weibo account with the user, and no other", async () => {
      const [leaving, staying] = [aUserProfile(), aUserProfile()];
      await storage.users.add(leaving);
      await storage.users.add(staying);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.saveGrant({ ...grant, uid: '43' });
      await storage.weiboAccounts.saveGrant({ ...grant, uid: '44' });
      await storage.weiboAccounts.bindIfUnbound(grant.uid, leaving.id);
      await storage.weiboAccounts.bindIfUnbound('43', staying.id);
      await storage.users.delete(leaving.id);
      expect(await storage.storedAccount(grant.uid)).toBeUndefined();
      expect(await storage.weiboAccounts.findByUserId(leaving.id)).toBeNull();
      expect(await storage.storedAccount('43')).toMatchObject({ userId: staying.id });
      expect(await storage.storedAccount('44')).toMatchObject({ userId: null });
    });
  });

  describe('Weibo accounts', () => {
    it('stores a new grant unbound', async () => {
      const expected = {
        uid: grant.uid,
        userId: null,
        accessToken: grant.accessToken,
        accessTokenExpiresAt: grant.expiresAt,
      };
      expect(await storage.weiboAccounts.saveGrant(grant)).toEqual({ ...expected, user: null });
      expect(await storage.storedAccount(grant.uid)).toEqual({
        ...expected,
        authorization: 'valid',
      });
    });

    it('refreshes the token of a known uid and keeps its binding', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      const refreshed = await storage.weiboAccounts.saveGrant({
        ...grant,
        accessToken: '2.00NEW',
        expiresAt: null,
      });
      const expected = {
        uid: grant.uid,
        userId: user.id,
        accessToken: '2.00NEW',
        accessTokenExpiresAt: null,
      };
      // The bound user comes back with it, read in the same statement.
      expect(refreshed).toEqual({ ...expected, user });
      expect(await storage.storedAccount(grant.uid)).toEqual({
        ...expected,
        authorization: 'valid',
      });
    });

    it('binds only an unbound account and tells the other outcomes apart', async () => {
      const [first, second] = [aUserProfile(), aUserProfile()];
      await storage.users.add(first);
      await storage.users.add(second);
      await storage.weiboAccounts.saveGrant(grant);
      expect(await storage.weiboAccounts.bindIfUnbound(grant.uid, first.id)).toBe('bound');
      expect(await storage.weiboAccounts.bindIfUnbound(grant.uid, second.id)).toBe('already-bound');
      expect(await storage.weiboAccounts.bindIfUnbound(grant.uid, first.id)).toBe('already-bound');
      expect(await storage.weiboAccounts.bindIfUnbound('999', second.id)).toBe('unknown-account');
      expect(await storage.storedAccount(grant.uid)).toMatchObject({ userId: first.id });
      expect(await storage.storedAccount('999')).toBeUndefined();
    });

    it('binds no second account to a user already bound: user-already-bound', async () => {
      const [bound, unbound] = [aUserProfile(), aUserProfile()];
      await storage.users.add(bound);
      await storage.users.add(unbound);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.saveGrant({ ...grant, uid: '43' });
      await storage.weiboAccounts.bindIfUnbound(grant.uid, bound.id);
      expect(await storage.weiboAccounts.bindIfUnbound('43', bound.id)).toBe('user-already-bound');
      expect(await storage.storedAccount('43')).toMatchObject({ userId: null });
      expect(await storage.weiboAccounts.findByUserId(bound.id)).toMatchObject({ uid: grant.uid });
      expect(await storage.weiboAccounts.bindIfUnbound('43', unbound.id)).toBe('bound');
    });

    it('tells a bound uid (already-bound) before a bound user (user-already-bound)', async () => {
      const [first, second] = [aUserProfile(), aUserProfile()];
      await storage.users.add(first);
      await storage.users.add(second);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.saveGrant({ ...grant, uid: '43' });
      await storage.weiboAccounts.bindIfUnbound(grant.uid, first.id);
      await storage.weiboAccounts.bindIfUnbound('43', second.id);
      expect(await storage.weiboAccounts.bindIfUnbound('43', first.id)).toBe('already-bound');
      expect(await storage.weiboAccounts.bindIfUnbound('999', first.id)).toBe('unknown-account');
    });

    it('finds the account bound to a user, its token decrypted, with when it was bound', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      const before = Date.now();
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      const found = await storage.weiboAccounts.findByUserId(user.id);
      expect(found).toEqual({
        uid: grant.uid,
        userId: user.id,
        accessToken: grant.accessToken,
        accessTokenExpiresAt: grant.expiresAt,
        boundAt: expect.any(Date),
        authorization: 'valid',
      });
      // The database's clock may differ a little from this process's.
      expect(Math.abs((found?.boundAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
    });

    it('finds the refreshed token of a bound account, and keeps when it was bound', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      const { boundAt } = (await storage.weiboAccounts.findByUserId(user.id)) ?? {};
      await storage.weiboAccounts.saveGrant({ ...grant, accessToken: '2.00NEW', expiresAt: null });
      expect(await storage.weiboAccounts.findByUserId(user.id)).toEqual({
        uid: grant.uid,
        userId: user.id,
        accessToken: '2.00NEW',
        accessTokenExpiresAt: null,
        boundAt,
        authorization: 'valid',
      });
    });

    it('finds no account for a user without a bound one', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      expect(await storage.weiboAccounts.findByUserId(user.id)).toBeNull();
      expect(await storage.weiboAccounts.findByUserId(crypto.randomUUID())).toBeNull();
    });

    it("unbinds a user's account: returns it as it was, deletes it and its token, frees the user", async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.saveGrant({ ...grant, uid: '43' });
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      const bound = await storage.weiboAccounts.findByUserId(user.id);
      expect(await storage.weiboAccounts.unbind(user.id)).toEqual(bound);
      expect(bound).toMatchObject({ uid: grant.uid, accessToken: grant.accessToken });
      expect(await storage.storedAccount(grant.uid)).toBeUndefined();
      expect(await storage.weiboAccounts.findByUserId(user.id)).toBeNull();
      expect(await storage.users.findById(user.id)).toEqual(user);
      expect(await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id)).toBe('unknown-account');
      expect(await storage.weiboAccounts.bindIfUnbound('43', user.id)).toBe('bound');
    });

    it('unbinds once: a second unbind of the same user finds nothing', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      expect(await storage.weiboAccounts.unbind(user.id)).toMatchObject({ uid: grant.uid });
      expect(await storage.weiboAccounts.unbind(user.id)).toBeNull();
    });

    it('stores an unbound uid anew, unbound, at its next grant', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      await storage.weiboAccounts.unbind(user.id);
      expect(await storage.weiboAccounts.saveGrant(grant)).toMatchObject({
        userId: null,
        user: null,
      });
      expect(await storage.storedAccount(grant.uid)).toMatchObject({ userId: null });
    });

    it('unbinds nothing for a user without a bound account, nor any unbound account', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      expect(await storage.weiboAccounts.unbind(user.id)).toBeNull();
      expect(await storage.weiboAccounts.unbind(crypto.randomUUID())).toBeNull();
      expect(await storage.storedAccount(grant.uid)).toMatchObject({ uid: grant.uid });
    });

    it('refuses to bind an account to a user it does not hold', async () => {
      await storage.weiboAccounts.saveGrant(grant);
      await expect(
        storage.weiboAccounts.bindIfUnbound(grant.uid, crypto.randomUUID()),
      ).rejects.toThrow();
      expect(await storage.storedAccount(grant.uid)).toMatchObject({ userId: null });
    });
  });

  describe('Weibo authorization', () => {
    const past = new Date(Date.now() - 60_000);
    const future = new Date(Date.now() + 3_600_000);

    async function boundAccount(uid: string, expiresAt: Date | null) {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant({ uid, accessToken: `t${uid}`, expiresAt });
      await storage.weiboAccounts.bindIfUnbound(uid, user.id);
      return user;
    }

    it('finds an account by uid with its token, user and authorization', async () => {
      const user = await boundAccount('42', future);
      expect(await storage.weiboAccounts.findByUid('42')).toEqual({
        uid: '42',
        userId: user.id,
        accessToken: 't42',
        authorization: 'valid',
      });
      expect(await storage.weiboAccounts.findByUid('43')).toBeNull();
    });

    it('marks a loss once: valid before the first mark only', async () => {
      const user = await boundAccount('42', future);
      expect(await storage.weiboAccounts.markLost('42', 'revoked')).toEqual({
        userId: user.id,
        wasValid: true,
      });
      expect(await storage.weiboAccounts.markLost('42', 'expired')).toEqual({
        userId: user.id,
        wasValid: false,
      });
      expect(await storage.storedAccount('42')).toMatchObject({
        authorization: 'expired',
        accessToken: 't42',
      });
      expect(await storage.weiboAccounts.markLost('43', 'revoked')).toBeNull();
    });

    it('forgets the token and its expiry of a removed app, keeping the binding', async () => {
      const user = await boundAccount('42', future);
      await storage.weiboAccounts.markLost('42', 'deauthorized');
      expect(await storage.storedAccount('42')).toMatchObject({
        userId: user.id,
        accessToken: null,
        accessTokenExpiresAt: null,
        authorization: 'revoked',
      });
      expect(await storage.weiboAccounts.findByUserId(user.id)).toMatchObject({
        accessToken: null,
        authorization: 'revoked',
      });
    });

    it('makes a lost authorization valid again with the next grant', async () => {
      await boundAccount('42', future);
      await storage.weiboAccounts.markLost('42', 'deauthorized');
      await storage.weiboAccounts.saveGrant({ uid: '42', accessToken: 'fresh', expiresAt: future });
      expect(await storage.storedAccount('42')).toMatchObject({
        accessToken: 'fresh',
        authorization: 'valid',
      });
    });

    it('expires the valid accounts past their expiry, up to the limit, once', async () => {
      const [first, second] = [await boundAccount('1', past), await boundAccount('2', past)];
      await boundAccount('3', future);
      await boundAccount('4', null);
      await boundAccount('5', past);
      await storage.weiboAccounts.markLost('5', 'revoked');
      await storage.weiboAccounts.saveGrant({ uid: '6', accessToken: 't6', expiresAt: past });
      const now = new Date();
      const swept = [
        ...(await storage.unitOfWork.transaction((tx) => tx.weiboAccounts.expireDue(now, 2))),
        ...(await storage.unitOfWork.transaction((tx) => tx.weiboAccounts.expireDue(now, 2))),
      ];
      expect(swept.sort((a, b) => a.uid.localeCompare(b.uid))).toEqual([
        { uid: '1', userId: first.id },
        { uid: '2', userId: second.id },
        { uid: '6', userId: null },
      ]);
      expect(
        await storage.unitOfWork.transaction((tx) => tx.weiboAccounts.expireDue(now, 2)),
      ).toEqual([]);
      for (const uid of ['1', '2', '6']) {
        expect(await storage.storedAccount(uid)).toMatchObject({ authorization: 'expired' });
      }
      expect(await storage.storedAccount('3')).toMatchObject({ authorization: 'valid' });
      expect(await storage.storedAccount('5')).toMatchObject({ authorization: 'revoked' });
    });

    it.runIf(interleaves)('lets one sweeper at a time: another one finds nothing', async () => {
      await boundAccount('1', past);
      await boundAccount('2', past);
      const firstSwept = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      const first = storage.unitOfWork.transaction(async (tx) => {
        const swept = await tx.weiboAccounts.expireDue(new Date(), 1);
        firstSwept.resolve();
        await release.promise;
        return swept;
      });
      await firstSwept.promise;
      const second = await storage.unitOfWork.transaction((tx) =>
        tx.weiboAccounts.expireDue(new Date(), 10),
      );
      release.resolve();
      expect((await first).map((account) => account.uid)).toHaveLength(1);
      expect(second).toEqual([]);
    });
  });

  describe('unit of work', () => {
    it('commits the user, the binding and the event together, and returns what the work returns', async () => {
      const user = aUserProfile();
      await storage.weiboAccounts.saveGrant({ uid: '42', accessToken: 't', expiresAt: null });
      const event = userBoundToWeibo(crypto.randomUUID(), new Date(), user, '42');
      const result = await storage.unitOfWork.transaction(async (tx) => {
        await tx.users.add(user);
        await tx.weiboAccounts.bindIfUnbound('42', user.id);
        await tx.outbox.add(event);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await storage.users.findById(user.id)).toEqual(user);
      expect(await storage.storedAccount('42')).toMatchObject({ userId: user.id });
      expect(await storage.storedEventIds()).toEqual([event.id]);
    });

    it('rolls everything back when the work fails, and rethrows its error', async () => {
      const user = aUserProfile();
      await storage.weiboAccounts.saveGrant({ uid: '42', accessToken: 'old', expiresAt: null });
      await expect(
        storage.unitOfWork.transaction(async (tx) => {
          await tx.users.add(user);
          await tx.weiboAccounts.bindIfUnbound('42', user.id);
          await tx.weiboAccounts.saveGrant({ uid: '42', accessToken: 'new', expiresAt: null });
          await tx.weiboAccounts.saveGrant({ uid: '43', accessToken: 't', expiresAt: null });
          await tx.outbox.add(userBoundToWeibo(crypto.randomUUID(), new Date(), user, '42'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await storage.users.findById(user.id)).toBeNull();
      expect(await storage.storedAccount('42')).toMatchObject({ userId: null, accessToken: 'old' });
      expect(await storage.storedAccount('43')).toBeUndefined();
      expect(await storage.storedEventIds()).toEqual([]);
    });

    it('rolls back deletes and bindings when the work fails', async () => {
      const [leaving, binding] = [aUserProfile(), aUserProfile()];
      await storage.users.add(leaving);
      await storage.users.add(binding);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.saveGrant({ uid: '43', accessToken: 't43', expiresAt: null });
      await storage.weiboAccounts.saveGrant({ uid: '44', accessToken: 't44', expiresAt: null });
      await storage.weiboAccounts.bindIfUnbound(grant.uid, leaving.id);
      await storage.weiboAccounts.bindIfUnbound('43', binding.id);
      const bound = await storage.weiboAccounts.findByUserId(leaving.id);
      const unbound = await storage.weiboAccounts.findByUserId(binding.id);
      await expect(
        storage.unitOfWork.transaction(async (tx) => {
          await tx.users.delete(leaving.id);
          expect(await tx.weiboAccounts.unbind(binding.id)).toEqual(unbound);
          expect(await tx.weiboAccounts.bindIfUnbound('44', binding.id)).toBe('bound');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await storage.users.findById(leaving.id)).toEqual(leaving);
      expect(await storage.weiboAccounts.findByUserId(leaving.id)).toEqual(bound);
      expect(await storage.weiboAccounts.findByUserId(binding.id)).toEqual(unbound);
      expect(await storage.storedAccount('43')).toMatchObject({ accessToken: 't43' });
      expect(await storage.storedAccount('44')).toMatchObject({ userId: null });
    });

    it('commits a delete with its event', async () => {
      const user = aUserProfile();
      await storage.users.add(user);
      await storage.weiboAccounts.saveGrant(grant);
      await storage.weiboAccounts.bindIfUnbound(grant.uid, user.id);
      const event = userDeleted(crypto.randomUUID(), new Date(), user, grant.uid);
      await storage.unitOfWork.transaction(async (tx) => {
        await tx.users.delete(user.id);
        await tx.outbox.add(event);
      });
      expect(await storage.users.findById(user.id)).toBeNull();
      expect(await storage.storedAccount(grant.uid)).toBeUndefined();
      expect(await storage.storedEventIds()).toEqual([event.id]);
    });

    it('rolls back the user it added when the username turns out taken', async () => {
      await storage.users.add(aUserProfile({ username: 'Taken' }));
      const user = aUserProfile();
      await expect(
        storage.unitOfWork.transaction(async (tx) => {
          await tx.users.add(user);
          await tx.users.add(aUserProfile({ username: 'tAKEN' }));
        }),
      ).rejects.toThrow(UsernameTaken);
      expect(await storage.users.findById(user.id)).toBeNull();
    });

    it.runIf(interleaves)(
      'rolls back only its own work, not what another transaction committed meanwhile',
      async () => {
        const [failing, committing] = [aUserProfile(), aUserProfile()];
        const { promise: added, resolve: hasAdded } = Promise.withResolvers<void>();
        const { promise: failure, resolve: fail } = Promise.withResolvers<void>();
        const failed = storage.unitOfWork.transaction(async (tx) => {
          await tx.users.add(failing);
          hasAdded();
          await failure;
          throw new Error('boom');
        });
        await added;
        await storage.unitOfWork.transaction((tx) => tx.users.add(committing));
        fail();
        await expect(failed).rejects.toThrow('boom');
        expect(await storage.users.findById(committing.id)).toEqual(committing);
        expect(await storage.users.findById(failing.id)).toBeNull();
      },
    );
  });
});

describe.each([
  ['Postgres', createTestDatabase],
  ['embedded Postgres (PGlite)', createEmbeddedTestDatabase],
])('the Kysely storage on %s', (name, createDatabase) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createDatabase();
  });
  beforeEach(() => database.truncate());
  afterAll(() => database.destroy());

  const secretGrant = { uid: '1404376560', accessToken: '2.00SECRET_token', expiresAt: null };

  it('keeps Weibo access tokens encrypted at rest', async () => {
    await new KyselyWeiboAccountRepository(database.db, cipher).saveGrant(secretGrant);
    const row = await database.db
      .selectFrom('weibo_accounts')
      .select('access_token_encrypted')
      .executeTakeFirstOrThrow();
    expect(row.access_token_encrypted).not.toContain('SECRET');
    expect(cipher.decrypt(row.access_token_encrypted ?? '', secretGrant.uid)).toBe(
      secretGrant.accessToken,
    );
  });

  it("leaves no copy of a Weibo token's ciphertext once its account is unbound", async () => {
    const accounts = new KyselyWeiboAccountRepository(database.db, cipher);
    const user = aUserProfile();
    await new KyselyUserRepository(database.db).add(user);
    await accounts.saveGrant(secretGrant);
    await accounts.bindIfUnbound(secretGrant.uid, user.id);
    const stored = await storedCiphertext(secretGrant.uid);
    expect(await tablesHolding(stored)).toEqual(['weibo_accounts']);
    await accounts.unbind(user.id);
    expect(await tablesHolding(stored)).toEqual([]);
    expect(await tablesHolding(secretGrant.accessToken)).toEqual([]);
  });

  it("leaves no copy of a Weibo token's ciphertext once its user is deleted", async () => {
    const users = new KyselyUserRepository(database.db);
    const accounts = new KyselyWeiboAccountRepository(database.db, cipher);
    const user = aUserProfile();
    await users.add(user);
    await accounts.saveGrant(secretGrant);
    await accounts.bindIfUnbound(secretGrant.uid, user.id);
    const event = userDeleted(crypto.randomUUID(), new Date(), user, secretGrant.uid);
    const stored = await storedCiphertext(secretGrant.uid);
    await new KyselyUnitOfWork(database.db, cipher).transaction(async (tx) => {
      await tx.users.delete(user.id);
      await tx.outbox.add(event);
    });
    expect(await tablesHolding(stored)).toEqual([]);
    expect(await tablesHolding(secretGrant.accessToken)).toEqual([]);
    expect(await tablesHolding(user.id)).toEqual(['outbox']);
  });

  it('finds a user by username through the unique index on its ASCII fold', async () => {
    const plans: string[] = [];
    await database.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const recorded: Array<{ node: RootOperationNode; queryId: QueryId }> = [];
      const recording = trx.withPlugin({
        transformQuery: (args) => {
          recorded.push(args);
          return args.node;
        },
        transformResult: async ({ result }) => result,
      });
      await new KyselyUserRepository(recording).findByUsername('Alice');
      for (const { node, queryId } of recorded) {
        const query = trx.getExecutor().compileQuery(node, queryId);
        const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
        );
        plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
      }
    });
    expect(plans).toHaveLength(1);
    expect(plans[0]).toContain('users_username_ascii_lower_key');
  });

  /** The ciphertext as stored, found by decrypting what the uid's row holds. */
  async function storedCiphertext(uid: string): Promise<string> {
    const row = await database.db
      .selectFrom('weibo_accounts')
      .select('access_token_encrypted')
      .where('uid', '=', uid)
      .executeTakeFirstOrThrow();
    expect(cipher.decrypt(row.access_token_encrypted ?? '', uid)).toBe(secretGrant.accessToken);
    return row.access_token_encrypted ?? '';
  }

  /** Every table of the schema whose rows, read whole as text, contain `needle`: a dump's view. */
  async function tablesHolding(needle: string): Promise<string[]> {
    const { rows: tables } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'
      order by table_name`.execute(database.db);
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['outbox', 'users', 'weibo_accounts']),
    );
    const holding: string[] = [];
    for (const { name } of tables) {
      const { rows } = await sql<{ count: number }>`
        select count(*)::int as count from ${sql.table(name)} as t
        where strpos(t::text, ${needle}) > 0`.execute(database.db);
      if ((rows[0]?.count ?? 0) > 0) holding.push(name);
    }
    return holding;
  }

  describe.runIf(name === 'Postgres')('two links racing on real Postgres', () => {
    it('binds one user to only one of two accounts it links at once', async () => {
      const user = aUserProfile();
      await new KyselyUserRepository(database.db).add(user);
      await saveGrants('1', '2');
      const [first, [second, boundInSecond]] = await race(
        ({ weiboAccounts }) => weiboAccounts.bindIfUnbound('1', user.id),
        async ({ weiboAccounts }) => [
          await weiboAccounts.bindIfUnbound('2', user.id),
          // Its transaction is still usable after the lost race.
          await weiboAccounts.findByUserId(user.id),
        ],
      );
      expect([first, second]).toEqual(['bound', 'user-already-bound']);
      expect(boundInSecond).toMatchObject({ uid: '1' });
      expect(await boundUids()).toEqual({ '1': user.id, '2': null });
    });

    it('binds one account to only one of two users linking it at once', async () => {
      const [first, second] = [aUserProfile(), aUserProfile()];
      await new KyselyUserRepository(database.db).add(first);
      await new KyselyUserRepository(database.db).add(second);
      await saveGrants('1');
      const outcomes = await race(
        ({ weiboAccounts }) => weiboAccounts.bindIfUnbound('1', first.id),
        ({ weiboAccounts }) => weiboAccounts.bindIfUnbound('1', second.id),
      );
      expect(outcomes).toEqual(['bound', 'already-bound']);
      expect(await boundUids()).toEqual({ '1': first.id });
    });

    it('unbinds in only one of two transactions unbinding one user at once', async () => {
      const user = aUserProfile();
      await new KyselyUserRepository(database.db).add(user);
      await saveGrants('1');
      await new KyselyWeiboAccountRepository(database.db, cipher).bindIfUnbound('1', user.id);
      const [first, second] = await race(
        ({ weiboAccounts }) => weiboAccounts.unbind(user.id),
        ({ weiboAccounts }) => weiboAccounts.unbind(user.id),
      );
      expect(first).toMatchObject({ uid: '1', userId: user.id });
      expect(second).toBeNull();
    });

    it('makes a deletion that locks the user wait for a link in flight, then see its account', async () => {
      const user = aUserProfile();
      await new KyselyUserRepository(database.db).add(user);
      await saveGrants('1');
      const [, [locked, unbound]] = await race(
        ({ weiboAccounts }) => weiboAccounts.bindIfUnbound('1', user.id),
        async ({ users, weiboAccounts }) => [
          await users.lock(user.id),
          await weiboAccounts.unbind(user.id),
        ],
      );
      expect(locked).toBe(true);
      expect(unbound).toMatchObject({ uid: '1', userId: user.id });
    });

    it('binds exactly one of many accounts one user links at once', async () => {
      const user = aUserProfile();
      await new KyselyUserRepository(database.db).add(user);
      const uids = Array.from({ length: 8 }, (_, index) => String(index + 1));
      await saveGrants(...uids);
      const outcomes = await Promise.all(
        uids.map((uid) =>
          new KyselyUnitOfWork(database.db, cipher).transaction((tx) =>
            tx.weiboAccounts.bindIfUnbound(uid, user.id),
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'bound')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'user-already-bound')).toHaveLength(7);
      const bound = Object.values(await boundUids()).filter((userId) => userId !== null);
      expect(bound).toEqual([user.id]);
    });

    async function saveGrants(...uids: string[]): Promise<void> {
      const accounts = new KyselyWeiboAccountRepository(database.db, cipher);
      for (const uid of uids) await accounts.saveGrant({ uid, accessToken: 't', expiresAt: null });
    }

    async function boundUids(): Promise<Record<string, string | null>> {
      const rows = await database.db
        .selectFrom('weibo_accounts')
        .select(['uid', 'user_id'])
        .orderBy('uid')
        .execute();
      return Object.fromEntries(rows.map((row) => [row.uid, row.user_id]));
    }

    /**
     * Runs `first` in a transaction held open until `second`, in another, has gone as far as it
     * can: to its end, or to waiting on a lock `first` holds. Then commits both. Without the
     * hold, `second` could start after `first` committed, and a check in the code would do.
     */
    async function race<A, B>(
      first: (repositories: InTransaction) => Promise<A>,
      second: (repositories: InTransaction) => Promise<B>,
    ): Promise<[A, B]> {
      const firstRan = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      const firstCommitted = database.db.transaction().execute(async (trx) => {
        const outcome = await first(inTransaction(trx));
        firstRan.resolve();
        await release.promise;
        return outcome;
      });
      await Promise.race([firstRan.promise, firstCommitted]);
      const secondPid = Promise.withResolvers<number>();
      const secondCommitted = database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        secondPid.resolve(rows[0]?.pid ?? 0);
        return second(inTransaction(trx));
      });
      await waitUntilBlockedOrDone(await secondPid.promise, secondCommitted);
      release.resolve();
      return Promise.all([firstCommitted, secondCommitted]);
    }

    interface InTransaction {
      users: UserRepository;
      weiboAccounts: WeiboAccountRepository;
    }

    function inTransaction(trx: Kysely<Database>): InTransaction {
      return {
        users: new KyselyUserRepository(trx),
        weiboAccounts: new KyselyWeiboAccountRepository(trx, cipher),
      };
    }

    async function waitUntilBlockedOrDone(pid: number, done: Promise<unknown>): Promise<void> {
      let finished = false;
      const stop = () => {
        finished = true;
      };
      done.then(stop, stop);
      while (!finished) {
        const { rows } = await sql<{ blocked: boolean }>`
          select cardinality(pg_blocking_pids(${pid})) > 0 as blocked`.execute(database.db);
        if (rows[0]?.blocked) return;
        await setTimeout(5);
      }
    }
  });
});

describe('with the database unreachable', () => {
  it('fails with StorageUnavailable', async () => {
    const unreachable = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }),
      }),
    });
    await expect(
      new KyselyUserRepository(unreachable).findById(crypto.randomUUID()),
    ).rejects.toThrow(StorageUnavailable);
    await expect(
      new KyselyUnitOfWork(unreachable, cipher).transaction(async () => undefined),
    ).rejects.toThrow(StorageUnavailable);
    await unreachable.destroy();
  });
});
