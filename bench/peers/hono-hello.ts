/**
 * The baseline: bare Hono on @hono/node-server answering "Hello". Prints `listening <url>`.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello'));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  console.log(`listening http://127.0.0.1:${info.port}`);
});
