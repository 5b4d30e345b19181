/**
 * Runs the outbox scenarios alone, on a database of their own, as the harness would:
 *   npx tsx bench/outbox/try.ts [--smoke]
 * Env: PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL
 * (redis://127.0.0.1:6379), BENCH_OUTBOX_VERBOSE=1 for the details behind each figure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { outboxScenarios } from '../outbox-scenarios.ts';

const admin = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const smoke = process.argv.includes('--smoke');
const name = `bench_outbox_try_${randomBytes(4).toString('hex')}`;

const run = async (sql: string) => {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

await run(`create database ${name}`);
try {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const started = performance.now();
  const rows = await outboxScenarios({ databaseUrl: url.toString(), redisUrl, smoke });
  console.log(JSON.stringify(rows, null, 2));
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
} finally {
  await run(`drop database ${name} with (force)`);
}
