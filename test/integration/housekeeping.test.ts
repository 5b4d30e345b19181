import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyHousekeeping } from '../../src/adapters/persistence/kysely-housekeeping.ts';
import { Housekeeping } from '../../src/application/housekeeping.ts';
import { PASSWORD, send, signUp } from '../support/accounts.ts';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

const clock = { now: () => new Date() };
const DAY = 24 * 60 * 60 * 1000;

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest();
  // The service's own first purge runs a second after start-up, the next an hour later: past
  // it, the purges here are the only ones.
  await sleep(1_500);
});
afterAll(() => sut.stop());

async function count(table: 'sessions' | 'audit_log', userId: string) {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} where user_id = ${userId}`.execute(
    sut.database.db,
  );
  return rows[0]?.n ?? 0;
}

/** Sessions of `userId` straight into the table: `n` of them, created and ending at the offsets. */
async function seedSessions(
  userId: string,
  n: number,
  times: { expiresInMs: number; revokedAgoMs?: number },
) {
  await sql`
    insert into sessions (id, user_id, refresh_hash, created_at, last_used_at, expires_at, revoked_at)
    select gen_random_uuid(), ${userId}, 'seed-' || gen_random_uuid(), now() - interval '40 days',
           now() - interval '40 days', now() + ${times.expiresInMs} * interval '1 millisecond',
           ${times.revokedAgoMs === undefined ? null : sql`now() - ${times.revokedAgoMs} * interval '1 millisecond'`}
    from generate_series(1, ${n})`.execute(sut.database.db);
}

describe('housekeeping', () => {
  it('purges 100,000 expired sessions in batches while sign-ins go on, keeping live ones', async () => {
    const { browser, username, userId } = await signUp(sut);
    await seedSessions(userId, 100_000, { expiresInMs: -DAY });
    await seedSessions(userId, 5, { expiresInMs: DAY, revokedAgoMs: 2 * DAY });
    await seedSessions(userId, 3, { expiresInMs: DAY, revokedAgoMs: 60_000 });
    const before = await count('sessions', userId);
    expect(before).toBe(100_000 + 5 + 3 + 1);

    const batches: number[] = [];
    const purging = new Housekeeping(
      new KyselyHousekeeping(sut.database.db),
      clock,
      180,
      (_, rows) => batches.push(rows),
    ).run();
    const signIns: number[] = [];
    let done = false;
    purging.finally(() => {
      done = true;
    });
    while (!done || signIns.length < 5) {
      const answer = await send(browser, 'POST', '/v1/tokens', undefined, {
        username,
        password: PASSWORD,
      });
      signIns.push(answer.status);
    }
    const purged = await purging;

    expect(purged.sessions).toBe(100_005);
    expect(batches.every((rows) => rows <= 1_000)).toBe(true);
    expect(batches.length).toBeGreaterThanOrEqual(101);
    expect(signIns.every((status) => status === 200)).toBe(true);
    // Live: the sign-up's, the sign-ins' and the three ended a minute ago.
    expect(await count('sessions', userId)).toBe(1 + signIns.length + 3);
  }, 120_000);

  it('purges audit entries older than the retention, and nothing newer', async () => {
    const { userId } = await signUp(sut);
    await sql`
      insert into audit_log (id, at, user_id, action, actor, detail)
      select gen_random_uuid(), now() - days * interval '1 day', ${userId}, 'signed_in', 'user', '{}'
      from unnest(array[400, 200, 181, 179, 10]) as days`.execute(sut.database.db);
    const entries = await count('audit_log', userId);
    const purged = await new Housekeeping(
      new KyselyHousekeeping(sut.database.db),
      clock,
      180,
    ).run();
    expect(purged.audit).toBeGreaterThanOrEqual(3);
    expect(await count('audit_log', userId)).toBe(entries - 3);
  });

  it('lets one instance purge at a time: another one deletes nothing meanwhile', async () => {
    const { userId } = await signUp(sut);
    await seedSessions(userId, 10, { expiresInMs: -DAY });
    const store = new KyselyHousekeeping(sut.database.db);
    const held = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const holder = sut.database.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext('weibo-auth:housekeeping'))`.execute(trx);
      held.resolve();
      await release.promise;
    });
    await held.promise;
    expect(await store.purgeSessions(new Date(), new Date(), 1_000)).toBe(0);
    release.resolve();
    await holder;
    expect(
      await store.purgeSessions(new Date(), new Date(Date.now() - DAY), 1_000),
    ).toBeGreaterThanOrEqual(10);
  });

  it('is counted in /metrics', async () => {
    const metrics = await (await fetch(`${sut.service.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE weibo_auth_housekeeping_purged_total counter');
  });
});
