import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselySessionRepository } from '../../src/adapters/persistence/kysely-session-repository.ts';
import { KyselyUserRepository } from '../../src/adapters/persistence/kysely-user-repository.ts';
import { usePreparedStatements } from '../../src/adapters/persistence/prepared-query.ts';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { aUserProfile } from '../support/builders.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const NOW = new Date('2026-12-01T08:00:00Z');
const LATER = new Date('2026-12-02T08:00:00Z');

/** One connection, so what it prepared can be read back on it. */
function singleConnection(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('connect', usePreparedStatements);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

describe('prepared queries on Postgres', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = singleConnection(database.url);
  });
  afterAll(async () => {
    await db.destroy();
    await database.destroy();
  });

  async function signedIn() {
    const users = new KyselyUserRepository(db);
    const sessions = new KyselySessionRepository(db);
    const [alice, bob] = [aUserProfile(), aUserProfile()];
    for (const user of [alice, bob]) await users.add(user);
    const sessionOf = async (userId: string) => {
      const id = crypto.randomUUID();
      await sessions.start(
        {
          id,
          userId,
          createdAt: NOW,
          lastUsedAt: NOW,
          expiresAt: LATER,
          userAgent: null,
          refreshHash: crypto.randomUUID(),
        },
        null,
      );
      return id;
    };
    return {
      sessions,
      alice,
      bob,
      aliceSession: await sessionOf(alice.id),
      bobSession: await sessionOf(bob.id),
    };
  }

  it('are parsed once per connection under their names, each run with its own values', async () => {
    const { sessions, alice, bob, aliceSession, bobSession } = await signedIn();
    expect(await sessions.findSignedInUser(alice.id, aliceSession, NOW)).toEqual({
      user: alice,
      weibo: null,
    });
    expect(await sessions.findSignedInUser(bob.id, bobSession, NOW)).toEqual({
      user: bob,
      weibo: null,
    });
    expect(await sessions.findSignedInUser(alice.id, bobSession, NOW)).toBeNull();
    expect(await sessions.findSignedInUser(alice.id, aliceSession, LATER)).toBeNull();
    const { rows } = await sql<{ name: string }>`
      select name from pg_prepared_statements order by name`.execute(db);
    // Only the prepared queries: the users' inserts went through as Kysely sent them.
    expect(rows.map((row) => row.name)).toEqual([
      'weibo_auth_signed_in_user',
      'weibo_auth_start_session',
    ]);
  });

  it('still run after a migration adds a column to users', async () => {
    const { sessions, alice, aliceSession } = await signedIn();
    expect(await sessions.findSignedInUser(alice.id, aliceSession, NOW)).not.toBeNull();
    await sql`alter table users add column nickname text`.execute(db);
    try {
      expect(await sessions.findSignedInUser(alice.id, aliceSession, NOW)).toEqual({
        user: alice,
        weibo: null,
      });
    } finally {
      await sql`alter table users drop column nickname`.execute(db);
    }
  });
});
