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
 * One server, or Sentinel's primary: a PING. A Cluster: every primary the client knows answers
 * a PING, so a slot whose primary is gone (before its replica took over) makes it not ready.
 */
async function redisAnswers(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  if (redis.status !== 'ready') throw new Error(`Redis Cluster connection is ${redis.status}`);
  const primaries = redis.nodes('master');
  if (primaries.length === 0) throw new Error('Redis Cluster: no primary known');
  await Promise.all(primaries.map((node) => node.ping()));
}
