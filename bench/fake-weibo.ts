/**
 * A fast fake Weibo on loopback, run as its own process: the sandbox Weibo the service's tests
 * use (src/adapters/weibo/sandbox, which test/support/fake-weibo.ts wraps with call recording
 * and faults, left out here: they would grow with every call), plus `POST /bench/codes`
 * `{"uids": [...]}` answering one fresh authorization code per uid, and `POST /bench/tokens`
 * `{"uids": [...]}` one access token per uid issued to this app, as the Weibo SDK hands a phone. The client is read from
 * WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and WEIBO_REDIRECT_URI. Prints `listening <url>`.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createWeiboSandbox } from '../src/adapters/weibo/sandbox/weibo-sandbox.ts';

const sandbox = createWeiboSandbox({
  clientId: process.env.WEIBO_CLIENT_ID ?? 'bench-client',
  clientSecret: process.env.WEIBO_CLIENT_SECRET ?? 'bench-secret',
  redirectUri: process.env.WEIBO_REDIRECT_URI ?? 'http://127.0.0.1/callback.html',
});

const app = new Hono();
app.post('/bench/codes', async (c) => {
  const { uids } = await c.req.json<{ uids: string[] }>();
  return c.json(uids.map((uid) => sandbox.issueCode({ uid, screenName: `bench ${uid}` })));
});
app.post('/bench/tokens', async (c) => {
  const { uids } = await c.req.json<{ uids: string[] }>();
  return c.json(uids.map((uid) => sandbox.issueToken({ uid, screenName: `bench ${uid}` })));
});
app.route('/', sandbox.app);

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  console.log(`listening http://127.0.0.1:${info.port}`);
});
