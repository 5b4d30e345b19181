import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
    runId: string;
  }
}

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

/**
 * Finds Postgres and Redis: DATABASE_URL/REDIS_URL, else the local default ports, else
 * testcontainers. Creates a fresh database for this run and drops it afterwards.
 */
export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<unknown>> = [];
  const serverUrl = process.env.DATABASE_URL ?? (await localOrContainer('postgres', stops));
  const redisUrl = process.env.REDIS_URL ?? (await localOrContainer('redis', stops));

  const runId = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const databaseName = `weibo_auth_${runId}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${databaseName}`));
  const databaseUrl = withDatabase(serverUrl, databaseName);

  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);
  project.provide('runId', runId);

  return async () => {
    await withAdmin(serverUrl, (admin) =>
      admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`),
    );
    await deleteRedisKeys(redisUrl, runId);
    for (const stop of stops.reverse()) await stop();
  };
}

async function localOrContainer(kind: 'postgres' | 'redis', stops: Array<() => Promise<unknown>>) {
  const port = kind === 'postgres' ? 5432 : 6379;
  if (await answers('127.0.0.1', port)) return kind === 'postgres' ? LOCAL_POSTGRES : LOCAL_REDIS;
  try {
    if (kind === 'postgres') {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:15-alpine').start();
      stops.push(() => container.stop());
      return container.getConnectionUri();
    }
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    stops.push(() => container.stop());
    return container.getConnectionUrl();
  } catch (error) {
    throw new Error(
      `No ${kind} for the integration tests: ${kind === 'postgres' ? 'DATABASE_URL' : 'REDIS_URL'} is unset, ` +
        `nothing answers on 127.0.0.1:${port}, and testcontainers could not start one ` +
        `(${(error as Error).message}). Start ${kind} locally, set the URL, or run Docker.`,
    );
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function withAdmin(url: string, work: (client: pg.Client) => Promise<unknown>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function deleteRedisKeys(url: string, runId: string) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    // The run's own keys, and the BullMQ queues its tests name after the run.
    for (const pattern of [`${runId}*`, `bull:${runId}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
