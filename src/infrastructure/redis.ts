import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from '../adapters/redis/redis-client.ts';
import type { RedisTarget } from './redis-target.ts';

export type { RedisClient };

/**
 * Request-time commands: with no offline queue and one retry, a command fails within a second
 * or two when Redis is away (or failing over), instead of holding the request.
 */
const REQUEST_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
};

/** BullMQ's: it waits for Redis itself (`maxRetriesPerRequest: null`, as BullMQ requires). */
const BULLMQ_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: null,
  connectTimeout: 2_000,
};

const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);

/**
 * After a failover, a primary that came back as a replica answers writes with READONLY: the
 * connection is made again, and Sentinel (or the Cluster's slots) names the new primary.
 */
const reconnectOnError = (error: Error) => error.message.startsWith('READONLY');

export function createRedis(target: RedisTarget, logger: Logger): RedisClient {
  return reportState(connect(target, REQUEST_OPTIONS), logger);
}

/** A connection for BullMQ's queues (the relay) and workers (consumers). */
export function createBullMqRedis(target: RedisTarget, logger: Logger): RedisClient {
  return reportState(connect(target, BULLMQ_OPTIONS), logger);
}

function connect(target: RedisTarget, options: RedisOptions): RedisClient {
  const common: RedisOptions = { ...options, retryStrategy, reconnectOnError };
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, common);
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        password: target.password,
        // No `failoverDetector`: its `+switch-master` disconnects the connector even while a
        // reconnect is resolving the primary, which ends the client for good ("Connection is
        // closed."; seen under load in the failover test). A dead primary closes the connection
        // and a demoted one answers READONLY, and either way Sentinel is asked again.
        sentinelRetryStrategy: retryStrategy,
      });
    case 'cluster': {
      const { enableOfflineQueue, ...redisOptions } = common;
      return new Cluster(target.nodes, {
        redisOptions: { ...redisOptions, password: target.password },
        enableOfflineQueue: enableOfflineQueue ?? true,
        maxRedirections: 16,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        clusterRetryStrategy: retryStrategy,
        // A slot's new owner is learnt from MOVED; refreshing now and then finds it sooner.
        slotsRefreshInterval: 2_000,
      });
    }
  }
}

function reportState(redis: RedisClient, logger: Logger): RedisClient {
  let reported = false;
  redis.on('error', (error: Error) => {
    if (!reported) logger.warn({ err: error }, 'Redis connection failed; retrying');
    reported = true;
  });
  // A Cluster reports a lost node apart from its own state.
  if (redis instanceof Cluster) {
    redis.on('node error', (error: Error, node: string) => {
      logger.warn({ err: error, node }, 'Redis Cluster node failed; finding its slots again');
    });
  }
  redis.on('ready', () => {
    if (reported) logger.info('Redis connection restored');
    reported = false;
  });
  return redis;
}

/** Waits for the first connection, so the first requests do not fail for nothing. */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Closes politely, or at once when Redis does not answer. */
export async function quit(redis: RedisClient | null | undefined): Promise<void> {
  await redis?.quit().catch(() => redis.disconnect());
}
