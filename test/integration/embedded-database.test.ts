import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { migrateToLatest } from '../../src/infrastructure/database.ts';
import { silentLogger } from '../support/silent-logger.ts';

let db: Kysely<Database>;
beforeAll(async () => {
  db = new Kysely<Database>({
    dialect: new PGliteDialect({ pglite: await PGlite.create() }),
  });
  await migrateToLatest(db, silentLogger);
});
afterAll(() => db.destroy());

const user = (username: string) => ({
  id: crypto.randomUUID(),
  username,
  password_hash: 'x',
  phone: '13800138000',
  email: 'a@b.cn',
});

describe('PGliteDialect', () => {
  it('keeps a query out of another request’s open transaction', async () => {
    const rolledBack = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values(user('inside_tx')).execute();
        await sleep(100);
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    await sleep(20);
    await db.insertInto('users').values(user('outside_tx')).execute();
    expect(await rolledBack).toBe('rolled back');
    const { rows } = await sql<{ username: string }>`select username from users`.execute(db);
    expect(rows.map((row) => row.username)).toEqual(['outside_tx']);
  });
});
