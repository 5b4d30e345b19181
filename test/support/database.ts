import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { usePreparedStatements } from '../../src/adapters/persistence/prepared-query.ts';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { migrateToLatest } from '../../src/infrastructure/database.ts';
import { silentLogger } from './silent-logger.ts';

export interface TestDatabase {
  /** A URL whose connections use this file's own schema. */
  url: string;
  db: Kysely<Database>;
  truncate(): Promise<void>;
  destroy(): Promise<void>;
}

/** A fresh schema of the run's database, migrated, so test files can run side by side. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const schema = `test_${randomBytes(5).toString('hex')}`;
  const base = inject('databaseUrl');
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();

  const pool = new pg.Pool({ connectionString: url.toString(), max: 25 });
  // As the service's pool: the hot queries run as named prepared statements.
  pool.on('connect', usePreparedStatements);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db, silentLogger);
  return {
    url: url.toString(),
    db,
    truncate: async () => {
      await sql`TRUNCATE session_used_refresh_hashes, sessions, outbox, weibo_accounts, users, audit_log`.execute(
        db,
      );
    },
    destroy: async () => {
      await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(db);
      await db.destroy();
    },
  };
}

/** An in-memory embedded Postgres (PGlite), migrated like the real one. */
export async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const db = new Kysely<Database>({
    dialect: new PGliteDialect({ pglite: await PGlite.create() }),
  });
  await migrateToLatest(db, silentLogger);
  return {
    url: 'pglite://memory',
    db,
    truncate: async () => {
      await sql`TRUNCATE session_used_refresh_hashes, sessions, outbox, weibo_accounts, users, audit_log`.execute(
        db,
      );
    },
    destroy: () => db.destroy(),
  };
}
