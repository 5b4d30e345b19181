import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { ReadinessCheck } from '../adapters/http/health-routes.ts';
import type { Database } from '../adapters/persistence/schema.ts';

/** What `/readyz` asks: Postgres, and Redis when the service uses it. */
export function readinessChecks(db: Kysely<Database>, redis: Redis | null): ReadinessCheck[] {
  const postgres = {
    name: 'postgres',
    check: () => db.selectNoFrom((eb) => eb.lit(1).as('one')).execute(),
  };
  return redis ? [postgres, { name: 'redis', check: () => redis.ping() }] : [postgres];
}
