import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { type Logger, pino } from 'pino';
import { KyselyOutbox } from '../src/adapters/persistence/kysely-outbox.ts';
import type { Database } from '../src/adapters/persistence/schema.ts';
import {
  migrateToLatest,
  type OpenDatabase,
  openDatabase,
} from '../src/infrastructure/database.ts';
import {
  bindEvent,
  checkRowShape,
  inspectionRedis,
  percentile,
  quit,
  removeQueue,
  seedOutbox,
  sleep,
  startRelay,
  uniqueQueueName,
} from './outbox/relay.ts';
import type { BenchRow } from './table.ts';

export type { BenchRow };

export interface OutboxScenariosContext {
  /** A fresh, empty Postgres database; migrated here. */
  databaseUrl: string;
  redisUrl: string;
  smoke: boolean;
}

const DRAIN_TARGET_PER_SECOND = 5_000;
const LATENCY_RATE_PER_SECOND = 500;
const P50_TARGET_MS = 10;
const P99_TARGET_MS = 50;
/** A relay that stops publishing fails the scenario instead of hanging the harness. */
const DRAIN_DEADLINE_MS = 10 * 60_000;
/** BENCH_OUTBOX_VERBOSE=1 prints how each figure came about to stderr. */
const VERBOSE = process.env.BENCH_OUTBOX_VERBOSE === '1';
const say = (line: string) => {
  if (VERBOSE) process.stderr.write(`[outbox] ${line}\n`);
};

/**
 * Issue 16's two outbox scenarios, on the real relay (OutboxRelay, KyselyOutboxStore,
 * BullMqEventPublisher, default options) against Postgres and Redis:
 * 1. drain a backlog of 100,000 rows (smoke: 5,000) to one queue, in events per second;
 * 2. commit-to-enqueue latency at a steady 500 commits/s for 10 s (smoke: 2 s), p50 and p99.
 */
export async function outboxScenarios(ctx: OutboxScenariosContext): Promise<BenchRow[]> {
  // Relay warnings (a failed publish, a lost connection) go to stderr; nothing else is logged.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const database = await openDatabase(ctx.databaseUrl, '', logger);
  try {
    await migrateToLatest(database.db, logger);
    await checkRowShape(database.db);
    const drain = await drainBacklog(database, ctx, logger, ctx.smoke ? 5_000 : 100_000);
    await sql`truncate outbox`.execute(database.db);
    const latency = await commitToEnqueue(database, ctx, logger, ctx.smoke ? 2_000 : 10_000);
    return [drain, ...latency];
  } finally {
    await database.db.destroy();
  }
}

async function drainBacklog(
  database: OpenDatabase,
  ctx: OutboxScenariosContext,
  logger: Logger,
  rows: number,
): Promise<BenchRow> {
  const queueName = uniqueQueueName('drain');
  const redis = inspectionRedis(ctx.redisUrl);
  const queue = new Queue(queueName, { connection: redis });
  try {
    // A database that served the service may hold events its relay had not published yet.
    const { rows: left } = await sql<{ n: number }>`
      select count(*)::int as n from outbox where published_at is null`.execute(database.db);
    const expected = rows + (left[0]?.n ?? 0);
    await seedOutbox(database.db, rows);
    const running = await startRelay(database, ctx.redisUrl, queueName, logger);
    let finished: number;
    try {
      // The service's own counter of committed outcomes, read in-process: no load on either store.
      const deadline = running.startedAt + DRAIN_DEADLINE_MS;
      while ((await running.published()) < expected) {
        if (performance.now() > deadline) {
          throw new Error(
            `drain: ${await running.published()} of ${expected} published after 10 min`,
          );
        }
        await sleep(2);
      }
      finished = performance.now();
    } finally {
      await running.stop();
    }
    const [queued, { unpublished }] = await Promise.all([
      queue.count(),
      sql<{
        unpublished: number;
      }>`select count(*)::int as unpublished from outbox where published_at is null`
        .execute(database.db)
        .then((result) => result.rows[0] ?? { unpublished: -1 }),
    ]);
    if (queued !== expected || unpublished !== 0) {
      throw new Error(`drain ended with ${queued} jobs queued and ${unpublished} rows unpublished`);
    }
    const perSecond = expected / ((finished - running.startedAt) / 1000);
    say(`drained ${rows} rows in ${(finished - running.startedAt).toFixed(0)} ms`);
    return {
      name: `Outbox: drain a backlog of ${rows.toLocaleString('en-US')} rows to one queue`,
      value: Math.round(perSecond),
      unit: 'events/s',
      target: {
        text: `>= ${DRAIN_TARGET_PER_SECOND.toLocaleString('en-US')} events/s`,
        met: perSecond >= DRAIN_TARGET_PER_SECOND,
      },
    };
  } finally {
    await queue.close();
    await removeQueue(redis, queueName).catch(() => {});
    await quit(redis);
  }
}

/**
 * Commits one UserBoundToWeibo per transaction through the real KyselyOutbox (insert and
 * pg_notify in the transaction), open loop at a steady rate from a pool of its own, and
 * times each from the resolution of its COMMIT to the moment a QueueEvents listener hears
 * the job's 'added' event: the relay wakes on the NOTIFY as in production. 'added' is
 * XADDed by the same Lua script that puts the job on the wait list, so it is the moment a
 * worker could take the job; hearing it adds only the XREAD round trip, which makes the
 * figure a little pessimistic, never flattering. Both clocks are this process's
 * performance.now(). A warm-up at the same rate (1 s; smoke: 0.25 s) comes first and is
 * not counted.
 */
async function commitToEnqueue(
  database: OpenDatabase,
  ctx: OutboxScenariosContext,
  logger: Logger,
  durationMs: number,
): Promise<BenchRow[]> {
  const queueName = uniqueQueueName('latency');
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 10 });
  // pool.end() resolves before its sockets close: a database dropped right after must not
  // crash the process through an 'error' with no listener.
  pool.on('error', () => {});
  const producer = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const redis = inspectionRedis(ctx.redisUrl);
  const eventsRedis = inspectionRedis(ctx.redisUrl);
  const queueEvents = new QueueEvents(queueName, { connection: eventsRedis });
  queueEvents.on('error', (error) => logger.warn({ err: error }, 'QueueEvents error'));
  const added = new Map<string, number>();
  queueEvents.on('added', ({ jobId }) => {
    added.set(jobId, performance.now());
  });
  let running: Awaited<ReturnType<typeof startRelay>> | undefined;
  try {
    await queueEvents.waitUntilReady();
    running = await startRelay(database, ctx.redisUrl, queueName, logger);
    await running.listening;
    const warmUpMs = ctx.smoke ? 250 : 1_000;
    await commitAtRate(producer, LATENCY_RATE_PER_SECOND, warmUpMs);
    const committed = await commitAtRate(producer, LATENCY_RATE_PER_SECOND, durationMs);
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && [...committed.keys()].some((id) => !added.has(id))) {
      await sleep(10);
    }
    const latencies: number[] = [];
    for (const [id, { at }] of committed) {
      const heard = added.get(id);
      if (heard === undefined) throw new Error(`event ${id} never reached queue ${queueName}`);
      latencies.push(heard - at);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    if (VERBOSE) await explainLatency(committed, latencies, redis, queueName);
    const round = (ms: number) => Math.round(ms * 100) / 100;
    const name = `Outbox: commit-to-enqueue at a steady ${LATENCY_RATE_PER_SECOND} binds/s`;
    return [
      {
        name: `${name}, p50`,
        value: round(p50),
        unit: 'ms',
        target: { text: `<= ${P50_TARGET_MS} ms`, met: p50 <= P50_TARGET_MS },
      },
      {
        name: `${name}, p99`,
        value: round(p99),
        unit: 'ms',
        target: { text: `<= ${P99_TARGET_MS} ms`, met: p99 <= P99_TARGET_MS },
      },
    ];
  } finally {
    await running?.stop();
    await queueEvents.close();
    await quit(eventsRedis);
    await removeQueue(redis, queueName).catch(() => {});
    await quit(redis);
    await producer.destroy();
  }
}

interface Commit {
  /** performance.now() when the COMMIT resolved. */
  at: number;
  /** Date.now() then, to compare with BullMQ's job timestamps. */
  wall: number;
  /** From its scheduled start to its commit, in ms. */
  tookMs: number;
}

/**
 * Starts one transaction every 1000/rate ms for `durationMs`, on schedule whether or not the
 * earlier ones have committed (open loop), and resolves each event id's commit.
 */
async function commitAtRate(
  db: Kysely<Database>,
  rate: number,
  durationMs: number,
): Promise<Map<string, Commit>> {
  const committed = new Map<string, Commit>();
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let n = 0; n < total; ) {
    const due = start + n * interval;
    const now = performance.now();
    if (due > now) {
      await sleep(due - now);
      continue;
    }
    const event = bindEvent(n++);
    inFlight.push(
      db
        .transaction()
        .execute((trx) => new KyselyOutbox(trx).add(event))
        .then(() => {
          const at = performance.now();
          committed.set(event.id, { at, wall: Date.now(), tookMs: at - due });
        }),
    );
  }
  await Promise.all(inFlight);
  return committed;
}

/** The details behind the latency rows: the rate achieved, and BullMQ's own job timestamps. */
async function explainLatency(
  committed: Map<string, Commit>,
  latencies: number[],
  redis: Redis,
  queueName: string,
) {
  const commits = [...committed.values()];
  const span = Math.max(...commits.map((c) => c.at)) - Math.min(...commits.map((c) => c.at));
  const took = commits.map((c) => c.tookMs).sort((a, b) => a - b);
  const pipeline = redis.pipeline();
  for (const id of committed.keys()) pipeline.hget(`bull:${queueName}:${id}`, 'timestamp');
  const stamps = (await pipeline.exec()) ?? [];
  const byStamp = [...committed.values()]
    .map((c, i) => Number(stamps[i]?.[1]) - c.wall)
    .sort((a, b) => a - b);
  const ms = (sorted: number[]) =>
    `p50 ${percentile(sorted, 50).toFixed(2)} p90 ${percentile(sorted, 90).toFixed(2)} p99 ${percentile(sorted, 99).toFixed(2)} max ${sorted.at(-1)?.toFixed(2)} ms`;
  say(
    `${committed.size} commits over ${(span / 1000).toFixed(2)} s = ${(committed.size / (span / 1000)).toFixed(0)}/s`,
  );
  say(`schedule-to-commit: ${ms(took)}`);
  say(`commit-to-'added' heard (the rows): ${ms(latencies)}`);
  say(`commit-to-job.timestamp (Date.now() when the relay built the Job): ${ms(byStamp)}`);
}
