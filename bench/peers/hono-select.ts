/**
 * A reference for the signed-in read: bare Hono plus one Postgres round trip through a pg pool
 * (`SELECT` of a UUID parameter, no table), the least a read that checks its session in
 * Postgres pays. DATABASE_URL is the database to ask. Prints `listening <url>`.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const app = new Hono();
app.get('/', async (c) => {
  const { rows } = await pool.query('SELECT $1::uuid AS id', [randomUUID()]);
  return c.json({ id: rows[0]?.id });
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  console.log(`listening http://127.0.0.1:${info.port}`);
});
