import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { KyselyOutbox } from '../../src/adapters/persistence/kysely-outbox.ts';
import { userBoundToWeibo } from '../../src/domain/events.ts';
import type { TestDatabase } from './database.ts';

/** Writes `count` UserBoundToWeibo rows, as committed binds would; returns their event ids. */
export async function writeEvents(database: TestDatabase, count: number): Promise<string[]> {
  const outbox = new KyselyOutbox(database.db);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    const user = { id: crypto.randomUUID(), username: `user_${i}` };
    await outbox.add(userBoundToWeibo(id, new Date(), user, String(3_000_000_000 + i)));
    ids.push(id);
  }
  return ids;
}

export async function unpublishedCount(database: TestDatabase): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from outbox where published_at is null`.execute(database.db);
  return rows[0]?.n ?? 0;
}

/** Polls until the check holds or the time is up. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** The jobs a consumer would find in a queue. */
export async function jobsIn(connection: Redis, queueName: string) {
  const queue = new Queue(queueName, { connection });
  try {
    return await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
  } finally {
    await queue.close();
  }
}
