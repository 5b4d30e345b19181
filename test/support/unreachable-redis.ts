import { Redis } from 'ioredis';

/** A client of a Redis that is not there: every command fails at once. */
export function unreachableRedis(): Redis {
  const redis = new Redis('redis://127.0.0.1:1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  redis.on('error', () => {});
  return redis;
}
