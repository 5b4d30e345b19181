import { Cluster } from 'ioredis';
import type { Kysely } from 'kysely';
import type { ReadinessCheck } from '../adapters/http/health-routes.ts';
import type { Database } from '../adapters/persistence/schema.ts';
import type { RedisClient } from './redis.ts';

/** What `/readyz` asks: Postgres, and Redis when the service uses it. */
export function readinessChecks(db: Kysely<Database>, redis: RedisClient | null): ReadinessCheck[] {
  const postgres = {
    name: 'postgres',
    check: () => db.selectNoFrom((eb) => eb.lit(1).as('one')).execute(),
  };
  return redis ? [postgres, { name: 'redis', check: () => redisAnswers(redis) }] : [postgres];
}

/**
 * One server, or Sentinel's primary: a PING. A Cluster: its state is ok (every slot has a
 * primary) and every primary the client knows answers a PING.
 */
async function redisAnswers(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  if (redis.status !== 'ready') throw new Error(`Redis Cluster connection is ${redis.status}`);
  // A slot without a primary (before its replica took over) makes the whole Cluster "fail".
  const info = String(await redis.cluster('INFO'));
  if (!info.includes('cluster_state:ok')) throw new Error('Redis Cluster state is not ok');
  const primaries = redis.nodes('master');
  if (primaries.length === 0) throw new Error('Redis Cluster: no primary known');
  await Promise.all(primaries.map((node) => node.ping()));
}
