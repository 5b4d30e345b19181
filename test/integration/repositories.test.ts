import { Kysely, PostgresDialect } from 'kysely';
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
import { userBoundToWeibo } from '../../src/domain/events.ts';
import type { WeiboAccount } from '../../src/domain/weibo-account.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../support/database.ts';
import { InMemoryStore } from '../support/fakes.ts';

const cipher = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());

/** The ports under contract, and a look at what they stored that goes around them. */
interface Storage {
  users: UserRepository;
  weiboAccounts: WeiboAccountRepository;
  unitOfWork: UnitOfWork;
  storedAccount(uid: string): Promise<WeiboAccount | undefined>;
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
          accessToken: cipher.decrypt(row.access_token_encrypted, uid),
          accessTokenExpiresAt: row.access_token_expires_at,
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
  });

  describe('Weibo accounts', () => {
    it('stores a new grant unbound', async () => {
      const expected = {
        uid: grant.uid,
        userId: null,
        accessToken: grant.accessToken,
        accessTokenExpiresAt: grant.expiresAt,
      };
      expect(await storage.weiboAccounts.saveGrant(grant)).toEqual(expected);
      expect(await storage.storedAccount(grant.uid)).toEqual(expected);
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
      expect(refreshed).toEqual(expected);
      expect(await storage.storedAccount(grant.uid)).toEqual(expected);
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

    it('refuses to bind an account to a user it does not hold', async () => {
      await storage.weiboAccounts.saveGrant(grant);
      await expect(
        storage.weiboAccounts.bindIfUnbound(grant.uid, crypto.randomUUID()),
      ).rejects.toThrow();
      expect(await storage.storedAccount(grant.uid)).toMatchObject({ userId: null });
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
])('the Kysely storage on %s', (_name, createDatabase) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createDatabase();
  });
  beforeEach(() => database.truncate());
  afterAll(() => database.destroy());

  it('keeps Weibo access tokens encrypted at rest', async () => {
    await new KyselyWeiboAccountRepository(database.db, cipher).saveGrant({
      uid: '1404376560',
      accessToken: '2.00SECRET_token',
      expiresAt: null,
    });
    const row = await database.db
      .selectFrom('weibo_accounts')
      .select('access_token_encrypted')
      .executeTakeFirstOrThrow();
    expect(row.access_token_encrypted).not.toContain('SECRET');
    expect(cipher.decrypt(row.access_token_encrypted, '1404376560')).toBe('2.00SECRET_token');
  });

  it('writes each event as a CloudEvents outbox row, unpublished', async () => {
    const user = aUserProfile({ username: 'alice' });
    const event = userBoundToWeibo(
      crypto.randomUUID(),
      new Date('2026-11-24T08:00:01Z'),
      user,
      '42',
    );
    await new KyselyUnitOfWork(database.db, cipher).transaction((tx) => tx.outbox.add(event));
    const row = await database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      id: event.id,
      type: 'UserBoundToWeibo',
      aggregate_id: user.id,
      published_at: null,
      attempts: 0,
      last_error: null,
    });
    expect(row.payload).toEqual({
      specversion: '1.0',
      id: event.id,
      source: 'weibo-auth',
      type: 'UserBoundToWeibo',
      subject: user.id,
      time: '2026-11-24T08:00:01.000Z',
      datacontenttype: 'application/json',
      data: {
        userId: user.id,
        username: 'alice',
        weiboUid: '42',
        boundAt: '2026-11-24T08:00:01.000Z',
      },
    });
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
