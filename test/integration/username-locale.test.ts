import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KyselyUserRepository } from '../../src/adapters/persistence/kysely-user-repository.ts';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { UsernameTaken } from '../../src/domain/errors.ts';
import { migrateToLatest } from '../../src/infrastructure/database.ts';
import { aUserProfile } from '../support/builders.ts';
import { silentLogger } from '../support/silent-logger.ts';

// A database whose locale folds letters differently: Turkish lowers "I" to a dotless "ı".
const name = `weibo_auth_tr_${randomBytes(4).toString('hex')}`;
const serverUrl = new URL(inject('databaseUrl'));
const adminUrl = new URL(serverUrl);
adminUrl.pathname = '/postgres';
const turkishUrl = new URL(serverUrl);
turkishUrl.pathname = `/${name}`;

async function admin(query: string) {
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

let db: Kysely<Database>;
beforeAll(async () => {
  await admin(
    `CREATE DATABASE ${name} LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR' LOCALE 'C.UTF-8' TEMPLATE template0`,
  );
  db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: turkishUrl.toString() }),
    }),
  });
  await migrateToLatest(db, silentLogger);
});
afterAll(async () => {
  await db?.destroy();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

describe('usernames on an ICU tr-TR database', () => {
  it('is a database where lower() is not ASCII', async () => {
    const { rows } = await sql<{ lowered: string }>`select lower('IVAN') as lowered`.execute(db);
    expect(rows[0]?.lowered).toBe('ıvan');
  });

  it('still refuses "IVAN" and "Ivan" once "ivan" exists', async () => {
    const users = new KyselyUserRepository(db);
    await users.add(aUserProfile({ username: 'ivan' }));
    await expect(users.add(aUserProfile({ username: 'IVAN' }))).rejects.toThrow(UsernameTaken);
    await expect(users.add(aUserProfile({ username: 'Ivan' }))).rejects.toThrow(UsernameTaken);
  });
});
