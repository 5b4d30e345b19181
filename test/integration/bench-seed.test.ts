import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeed, seedDatabase, seededUid } from '../../bench/seed.ts';
import { KyselyHousekeeping } from '../../src/adapters/persistence/kysely-housekeeping.ts';
import { KyselyWeiboAccountRepository } from '../../src/adapters/persistence/kysely-weibo-account-repository.ts';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';
import { Argon2PasswordHasher } from '../../src/adapters/security/argon2-password-hasher.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('the bench seed (--seed)', () => {
  let database: TestDatabase;
  const cipher = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());
  const hasher = new Argon2PasswordHasher();
  let schemaBefore: string[];
  const steps: string[] = [];

  const schemaOf = async () => {
    const { rows } = await sql<{ line: string }>`
      select tablename || ': ' || indexdef as line from pg_indexes where schemaname = current_schema()
      union all
      select conrelid::regclass::text || ': ' || conname || ' ' || pg_get_constraintdef(oid) ||
             case when convalidated then '' else ' NOT VALID' end
      from pg_constraint where connamespace = current_schema()::regnamespace
      order by 1`.execute(database.db);
    return rows.map((row) => row.line);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    schemaBefore = await schemaOf();
    const passwordHash = await hasher.hash('seeded password');
    await seedDatabase(
      database.url,
      parseSeed('1k'),
      { passwordHash, encryptToken: (plaintext, uid) => cipher.encrypt(plaintext, uid) },
      (line) => steps.push(line),
    );
  }, 60_000);
  afterAll(async () => {
    await database.destroy();
  });

  it('puts in ten sessions per user and their audit entries', async () => {
    const count = async (table: string, where = 'true') => {
      const { rows } = await sql<{
        n: string;
      }>`select count(*) as n from ${sql.table(table)} where ${sql.raw(where)}`.execute(
        database.db,
      );
      return Number(rows[0]?.n);
    };
    expect(await count('users')).toBe(1_000);
    expect(await count('weibo_accounts', 'user_id is not null')).toBe(1_000);
    expect(await count('sessions')).toBe(10_000);
    expect(await count('audit_log', "action = 'signed_in'")).toBe(10_000);
    expect(await count('audit_log', "action = 'bound'")).toBe(1_000);
    expect(await count('outbox', 'published_at is not null')).toBe(1_000);
    expect(await count('outbox', 'published_at is null')).toBe(0);
    const used = await count('session_used_refresh_hashes');
    expect(used).toBeGreaterThan(1_500);
    expect(used).toBeLessThan(2_500);
    expect(steps.some((line) => line.includes('sessions_refresh_hash_key'))).toBe(true);
  });

  it('leaves every index and key as the migrations made them, validated', async () => {
    expect(await schemaOf()).toEqual(schemaBefore);
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from pg_tables where schemaname = current_schema() and tablename = 'seed_weibo_tokens'`.execute(
      database.db,
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('writes rows the service reads: tokens decrypt for their uid, passwords verify', async () => {
    const { rows } = await sql<{ id: string; password_hash: string }>`
      select id, password_hash from users where username = 'seed_42'`.execute(database.db);
    const [user] = rows;
    if (!user) throw new Error('seed_42 is missing');
    const account = await new KyselyWeiboAccountRepository(database.db, cipher).findByUserId(
      user.id,
    );
    expect(account).toMatchObject({
      uid: seededUid(42),
      accessToken: 'seed-weibo-token-42',
      authorization: 'valid',
    });
    expect(account?.accessTokenExpiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(await hasher.verify(user.password_hash, 'seeded password')).toBe(true);
  });

  it('is a steady state: housekeeping finds nothing to purge', async () => {
    const housekeeping = new KyselyHousekeeping(database.db);
    const now = new Date();
    expect(await housekeeping.purgeSessions(now, new Date(now.getTime() - DAY_MS), 1_000)).toBe(0);
    expect(await housekeeping.purgeAudit(new Date(now.getTime() - 180 * DAY_MS), 1_000)).toBe(0);
  });

  it('refuses a database that already has users', async () => {
    const passwordHash = await hasher.hash('seeded password');
    await expect(
      seedDatabase(
        database.url,
        parseSeed('1k'),
        { passwordHash, encryptToken: (plaintext, uid) => cipher.encrypt(plaintext, uid) },
        () => {},
      ),
    ).rejects.toThrow(/must be empty/);
    expect(await schemaOf()).toEqual(schemaBefore);
  });
});
