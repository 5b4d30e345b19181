import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/infrastructure/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('notices from Postgres', () => {
  let database: TestDatabase;
  let opened: OpenDatabase;
  const lines: Array<{
    level: number;
    msg: string;
    postgres?: { severity: string; message: string };
  }> = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    opened = await openDatabase(database.url, '', pino({ level: 'debug' }, sink));
  });
  afterAll(async () => {
    await opened.db.destroy();
    await database.destroy();
  });

  it('logs a warning at warn and a notice at debug, with what Postgres said', async () => {
    await sql`do $$ begin raise warning 'a test warning'; raise notice 'a test notice'; end $$`.execute(
      opened.db,
    );
    await expect.poll(() => lines.length).toBeGreaterThanOrEqual(2);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'Postgres warning',
        postgres: expect.objectContaining({ severity: 'WARNING', message: 'a test warning' }),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 20,
        msg: 'Postgres notice',
        postgres: expect.objectContaining({ severity: 'NOTICE', message: 'a test notice' }),
      }),
    );
  });
});
