/**
 * The limit: bare Hono plus the one Redis write a login start needs, `SET key value EX 600`
 * through ioredis, with a fresh random key and a value the size of a login state. Keys start
 * with BENCH_KEY_PREFIX (the harness deletes them after). Prints `listening <url>`.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = process.env.BENCH_KEY_PREFIX ?? 'bench:hono-set:';

const app = new Hono();
app.get('/', async (c) => {
  const state = randomBytes(32).toString('base64url');
  const value = JSON.stringify({
    returnTo: '/',
    browserBindingHash: randomBytes(32).toString('base64url'),
  });
  await redis.set(`${prefix}${state}`, value, 'EX', 600);
  return c.json({ state });
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  console.log(`listening http://127.0.0.1:${info.port}`);
});
