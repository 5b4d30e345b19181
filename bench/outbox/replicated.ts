/**
 * What the replica acknowledgement (`WAIT 1` before a row is marked published) costs the outbox
 * drain: the outbox scenarios against a Redis primary of their own, with a replica attached
 * (the relay waits for it), then with none (the relay does not wait), then with one again.
 *   npx tsx bench/outbox/replicated.ts [--smoke]
 * Env: PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  info,
  type RedisProcess,
  startDataNode,
  waitFor,
} from '../../test/support/redis-topology.ts';
import { type BenchRow, outboxScenarios } from '../outbox-scenarios.ts';

const admin = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const smoke = process.argv.includes('--smoke');
const dir = mkdtempSync(path.join(tmpdir(), 'weibo-auth-bench-replica-'));
const until = (check: () => Promise<boolean>) => waitFor(check, 10_000, 'the replica');

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

const primary = await startDataNode(dir);
const primaryPort = primary.port;
const redisUrl = `redis://127.0.0.1:${primaryPort}`;
let replica: RedisProcess | undefined;
const attach = async () => {
  replica = await startDataNode(dir, ['--replicaof', '127.0.0.1', `${primaryPort}`]);
  const { port } = replica;
  // Online, not merely connected: a replica still in its first sync acknowledges nothing.
  await until(async () => (await info(primaryPort, 'replication')).includes('state=online'));
  await until(async () => (await info(port, 'replication')).includes('master_link_status:up'));
};
const detach = async () => {
  await replica?.stop();
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
  await replica?.stop();
  await primary.stop();
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
