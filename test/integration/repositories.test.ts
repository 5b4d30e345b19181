import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KyselyUnitOfWork } from '../../src/adapters/persistence/kysely-unit-of-work.ts';
import { KyselyUserRepository } from '../../src/adapters/persistence/kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from '../../src/adapters/persistence/kysely-weibo-account-repository.ts';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';
import { StorageUnavailable } from '../../src/application/errors.ts';
import { UsernameTaken } from '../../src/domain/errors.ts';
import { userBoundToWeibo } from '../../src/domain/events.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../support/database.ts';

const cipher = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());
describe.each([
  ['Postgres', createTestDatabase],
  ['embedded Postgres (PGlite)', createEmbeddedTestDatabase],
])('repositories on %s', (_name, createDatabase) => {
  let database: TestDatabase;
  let users: KyselyUserRepository;
  let weiboAccounts: KyselyWeiboAccountRepository;
  let unitOfWork: KyselyUnitOfWork;

  beforeAll(async () => {
    database = await createDatabase();
    users = new KyselyUserRepository(database.db);
    weiboAccounts = new KyselyWeiboAccountRepository(database.db, cipher);
    unitOfWork = new KyselyUnitOfWork(database.db, cipher);
  });
  beforeEach(() => database.truncate());
  afterAll(() => database.destroy());

  /** The stored row, its token decrypted as the adapter would. */
  async function stored(uid: string) {
    const row = await database.db
      .selectFrom('weibo_accounts')
      .selectAll()
      .where('uid', '=', uid)
      .executeTakeFirstOrThrow();
    return {
      encrypted: row.access_token_encrypted,
      accessToken: cipher.decrypt(row.access_token_encrypted, uid),
      accessTokenExpiresAt: row.access_token_expires_at,
      userId: row.user_id,
    };
  }

  describe('KyselyUserRepository', () => {
    it('stores a user and finds it by id', async () => {
      const user = aUserProfile();
      await users.add(user);
      expect(await users.findById(user.id)).toEqual(user);
      expect(await users.findById(crypto.randomUUID())).toBeNull();
    });

    it('refuses a username taken in another letter case', async () => {
      await users.add(aUserProfile({ username: 'Alice' }));
      await expect(users.add(aUserProfile({ username: 'aLICE' }))).rejects.toThrow(UsernameTaken);
    });
  });

  describe('KyselyWeiboAccountRepository', () => {
    const grant = {
      uid: '1404376560',
      accessToken: '2.00SECRET_token',
      expiresAt: new Date('2031-01-01T00:00:00Z'),
    };

    it('stores a new grant unbound, with the token encrypted at rest', async () => {
      expect(await weiboAccounts.saveGrant(grant)).toEqual({
        uid: grant.uid,
        userId: null,
        accessToken: grant.accessToken,
        accessTokenExpiresAt: grant.expiresAt,
      });
      const row = await stored(grant.uid);
      expect(row.encrypted).not.toContain('SECRET');
      expect(row.accessToken).toBe(grant.accessToken);
    });

    it('refreshes the token of a known uid and keeps its binding', async () => {
      const user = aUserProfile();
      await users.add(user);
      await weiboAccounts.saveGrant(grant);
      await weiboAccounts.bindIfUnbound(grant.uid, user.id);
      const refreshed = await weiboAccounts.saveGrant({
        ...grant,
        accessToken: '2.00NEW',
        expiresAt: null,
      });
      expect(refreshed.userId).toBe(user.id);
      expect(await stored(grant.uid)).toMatchObject({
        accessToken: '2.00NEW',
        accessTokenExpiresAt: null,
        userId: user.id,
      });
    });

    it('binds only an unbound account and tells the other outcomes apart', async () => {
      const [first, second] = [aUserProfile(), aUserProfile()];
      await users.add(first);
      await users.add(second);
      await weiboAccounts.saveGrant(grant);
      expect(await weiboAccounts.bindIfUnbound(grant.uid, first.id)).toBe('bound');
      expect(await weiboAccounts.bindIfUnbound(grant.uid, second.id)).toBe('already-bound');
      expect(await weiboAccounts.bindIfUnbound('999', second.id)).toBe('unknown-account');
      expect((await stored(grant.uid)).userId).toBe(first.id);
    });
  });

  describe('KyselyUnitOfWork', () => {
    it('commits the user, the binding and the CloudEvents outbox row together', async () => {
      const user = aUserProfile({ username: 'alice' });
      await weiboAccounts.saveGrant({ uid: '42', accessToken: 't', expiresAt: null });
      const event = userBoundToWeibo(
        crypto.randomUUID(),
        new Date('2026-11-24T08:00:01Z'),
        user,
        '42',
      );
      await unitOfWork.transaction(async (tx) => {
        await tx.users.add(user);
        await tx.weiboAccounts.bindIfUnbound('42', user.id);
        await tx.outbox.add(event);
      });
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

    it('rolls everything back when the work fails', async () => {
      const user = aUserProfile();
      await weiboAccounts.saveGrant({ uid: '42', accessToken: 't', expiresAt: null });
      await expect(
        unitOfWork.transaction(async (tx) => {
          await tx.users.add(user);
          await tx.weiboAccounts.bindIfUnbound('42', user.id);
          await tx.outbox.add(userBoundToWeibo(crypto.randomUUID(), new Date(), user, '42'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await users.findById(user.id)).toBeNull();
      expect((await stored('42')).userId).toBeNull();
      expect(await sql`select count(*)::int as n from outbox`.execute(database.db)).toMatchObject({
        rows: [{ n: 0 }],
      });
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
