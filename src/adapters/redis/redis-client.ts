import type { Cluster, Redis } from 'ioredis';

/** A connection to Redis in any of its modes: one server, Sentinel's primary, or a Cluster. */
export type RedisClient = Redis | Cluster;
