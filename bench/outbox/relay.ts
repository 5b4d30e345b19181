import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { MeteredOutboxStore } from '../../src/adapters/metrics/metered-outbox-store.ts';
import { ServiceMetrics } from '../../src/adapters/metrics/service-metrics.ts';
import { BullMqEventPublisher } from '../../src/adapters/outbox/bullmq-event-publisher.ts';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/adapters/outbox/outbox-relay.ts';
import { KyselyOutbox, OUTBOX_CHANNEL } from '../../src/adapters/persistence/kysely-outbox.ts';
import { KyselyOutboxStore } from '../../src/adapters/persistence/kysely-outbox-store.ts';
import type { CloudEvent, Database } from '../../src/adapters/persistence/schema.ts';
import { type UserBoundToWeibo, userBoundToWeibo } from '../../src/domain/events.ts';
import type { OpenDatabase } from '../../src/infrastructure/database.ts';
import { createBullMqRedis, whenReady } from '../../src/infrastructure/redis.ts';

/** A queue name of this run's own, so its keys can be removed without touching anyone else's. */
export function uniqueQueueName(scenario: string): string {
  return `bench-outbox-${scenario}-${randomBytes(4).toString('hex')}`;
}

export interface RunningRelay {
  relay: OutboxRelay;
  /** performance.now() just before the relay started. */
  startedAt: number;
  /** Events whose outcome the relay has committed (the service's own counter). */
  published(): Promise<number>;
  /** Resolves once the LISTEN connection is up (the listener's first call). */
  listening: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The relay wired as src/infrastructure/container.ts and outbox.ts wire it: KyselyOutboxStore
 * behind MeteredOutboxStore, a BullMqEventPublisher on a Redis connection of its own made by
 * createRedis, woken by LISTEN/NOTIFY (database.listen) as well as by its own polling.
 * `options` undefined keeps the relay's defaults.
 */
export async function startRelay(
  database: OpenDatabase,
  redisUrl: string,
  queueName: string,
  logger: Logger,
  options?: OutboxRelayOptions,
): Promise<RunningRelay> {
  const relayRedis = createBullMqRedis({ mode: 'single', url: redisUrl }, logger);
  if (!(await whenReady(relayRedis, 5_000))) {
    relayRedis.disconnect();
    throw new Error(`Redis at ${redisUrl} is not answering`);
  }
  const store = new KyselyOutboxStore(database.db);
  const metrics = new ServiceMetrics(store);
  const publisher = new BullMqEventPublisher(relayRedis, [queueName], logger);
  const relay = new OutboxRelay(new MeteredOutboxStore(store, metrics), publisher, logger, options);
  let heard: () => void = () => {};
  const listening = new Promise<void>((resolve) => {
    heard = resolve;
  });
  const listener = database.listen(OUTBOX_CHANNEL, () => {
    heard();
    relay.wake();
  });
  const startedAt = performance.now();
  relay.start();
  const counter = metrics.registry.getSingleMetric('weibo_auth_outbox_events_published_total');
  return {
    relay,
    startedAt,
    listening,
    async published() {
      const value = await counter?.get();
      return value?.values[0]?.value ?? 0;
    },
    async stop() {
      await listener.close();
      await relay.stop();
      await publisher.close();
    },
  };
}

/** A connection of the benchmark's own, for counting and cleaning up queues. */
export function inspectionRedis(redisUrl: string): Redis {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  return redis;
}

export async function quit(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/** Obliterates the queue and removes any key left under its name (the events stream, meta). */
export async function removeQueue(redis: Redis, name: string): Promise<void> {
  const queue = new Queue(name, { connection: redis });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${name}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** A UserBoundToWeibo as the bind use case makes it: fresh ids, occurred now (or at `at`). */
export function bindEvent(n: number, at = new Date()): UserBoundToWeibo {
  return userBoundToWeibo(
    randomUUID(),
    at,
    { id: randomUUID(), username: `bench_user_${n}` },
    String(6_000_000_000 + n),
  );
}

/**
 * The outbox row KyselyOutbox.add writes for a UserBoundToWeibo, for bulk inserts;
 * `checkRowShape` proves it is the same as the real one.
 */
export function outboxRow(event: UserBoundToWeibo) {
  const at = event.occurredAt.toISOString();
  const envelope: CloudEvent = {
    specversion: '1.0',
    id: event.id,
    source: 'weibo-auth',
    type: event.type,
    subject: event.userId,
    time: at,
    datacontenttype: 'application/json',
    data: { userId: event.userId, username: event.username, weiboUid: event.weiboUid, boundAt: at },
  };
  return {
    id: event.id,
    type: event.type,
    aggregate_id: event.userId,
    payload: JSON.stringify(envelope),
    created_at: event.occurredAt,
  };
}

/**
 * Writes one event through the real KyselyOutbox and one through `outboxRow`, compares the two
 * rows (ids aside), then deletes both; throws if the bulk rows would differ from real ones.
 */
export async function checkRowShape(db: Kysely<Database>): Promise<void> {
  const at = new Date();
  const real = bindEvent(0, at);
  const bulk = { ...real, id: randomUUID() };
  await db.transaction().execute((trx) => new KyselyOutbox(trx).add(real));
  await db.insertInto('outbox').values(outboxRow(bulk)).execute();
  const rows = await db
    .selectFrom('outbox')
    .select(['id', 'type', 'aggregate_id', 'payload', 'created_at'])
    .where('id', 'in', [real.id, bulk.id])
    .execute();
  await db.deleteFrom('outbox').where('id', 'in', [real.id, bulk.id]).execute();
  const strip = (row: (typeof rows)[number]) =>
    JSON.stringify({ ...row, id: undefined, payload: { ...row.payload, id: undefined } });
  const [a, b] = rows;
  if (!a || !b || strip(a) !== strip(b)) {
    throw new Error(`bulk outbox rows differ from KyselyOutbox's: ${JSON.stringify(rows)}`);
  }
}

/** Inserts `count` bind events, `chunk` rows per multi-row INSERT, oldest first. */
export async function seedOutbox(db: Kysely<Database>, count: number, chunk = 5_000) {
  const start = Date.now() - count;
  for (let from = 0; from < count; from += chunk) {
    const rows = [];
    for (let n = from; n < Math.min(count, from + chunk); n++) {
      rows.push(outboxRow(bindEvent(n, new Date(start + n))));
    }
    await db.insertInto('outbox').values(rows).execute();
  }
  await sql`analyze outbox`.execute(db);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
