/**
 * What the replica acknowledgement (`WAIT 1` before a row is marked published) costs the outbox
 * drain: the outbox scenarios against a Redis primary of their own, with a replica attached
 * (the relay waits for it), then with none (the relay does not wait), then with one again.
 *   npx tsx bench/outbox/replicated.ts [--smoke]
 * Env: PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type BenchRow, outboxScenarios } from '../outbox-scenarios.ts';

const admin = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const smoke = process.argv.includes('--smoke');
const dir = mkdtempSync(path.join(tmpdir(), 'weibo-auth-bench-replica-'));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function redisServer(port: number, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      `${port}`,
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ],
    { stdio: 'ignore' },
  );
  await until(async () => (await info(port)).includes('redis_version'));
  return child;
}

async function info(port: number, section = 'server'): Promise<string> {
  const redis = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.info(section);
  } catch {
    return '';
  } finally {
    redis.disconnect();
  }
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error('timed out');
}

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_outbox_replica_${randomBytes(4).toString('hex')}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  await run(`create database ${name}`);
  try {
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await run(`drop database ${name} with (force)`);
  }
}

async function replicas(port: number): Promise<number> {
  return Number(/connected_slaves:(\d+)/.exec(await info(port, 'replication'))?.[1] ?? 0);
}

const drain = (rows: BenchRow[]) => rows.find((row) => row.name.startsWith('Outbox: drain'));

const primaryPort = await freePort();
const primary = await redisServer(primaryPort);
const redisUrl = `redis://127.0.0.1:${primaryPort}`;
let replica: ChildProcess | undefined;
const attach = async () => {
  const port = await freePort();
  replica = await redisServer(port, ['--replicaof', '127.0.0.1', `${primaryPort}`]);
  // Online, not merely connected: a replica still in its first sync acknowledges nothing.
  await until(async () => (await info(primaryPort, 'replication')).includes('state=online'));
  await until(async () => (await info(port, 'replication')).includes('master_link_status:up'));
};
const detach = async () => {
  replica?.kill('SIGTERM');
  await until(async () => (await replicas(primaryPort)) === 0);
};

const results: Array<{ replicas: number; row: BenchRow | undefined }> = [];
try {
  for (const withReplica of [true, false, true]) {
    if (withReplica) await attach();
    else await detach();
    const rows = await withDatabase((databaseUrl) =>
      outboxScenarios({ databaseUrl, redisUrl, smoke }),
    );
    results.push({ replicas: await replicas(primaryPort), row: drain(rows) });
    if (withReplica) await detach();
  }
} finally {
  replica?.kill('SIGTERM');
  primary.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

for (const { replicas: count, row } of results) {
  console.log(
    `${count === 1 ? 'a replica, WAIT 1 per batch' : 'no replica, no WAIT'}: ${row?.value} ${row?.unit}`,
  );
}
const [first, bare, last] = results.map(({ row }) => Number(row?.value ?? 0));
const waited = ((first ?? 0) + (last ?? 0)) / 2;
console.log(`drain with the acknowledgement vs without: ${(waited / (bare || 1)).toFixed(2)}x`);
