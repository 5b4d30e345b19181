import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createWeiboSandbox } from '../../src/adapters/weibo/sandbox/weibo-sandbox.ts';

const client = {
  clientId: '1352222456',
  clientSecret: 'secret',
  redirectUri: 'http://localhost:8000/callback.html',
};

let now = Date.parse('2026-12-07T08:00:00Z');
let deauthorizationUrl: string | undefined;
const sandbox = createWeiboSandbox(client, 'http://localhost:8000/sandbox/weibo', {
  deauthorizationUrl: () => deauthorizationUrl,
  now: () => now,
});

async function call(path: string, form: Record<string, string>) {
  const answer = await sandbox.app.request(path, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  return {
    status: answer.status,
    type: answer.headers.get('content-type'),
    body: JSON.parse(await answer.text()),
  };
}

const appToken = async (form: Record<string, string>) =>
  (await call('/sdk/authorize', form)).body.access_token as string;
const tokenInfo = (token: string) => call('/oauth2/get_token_info', { access_token: token });

afterEach(() => {
  deauthorizationUrl = undefined;
});

describe('the sandbox Weibo for native apps', () => {
  it('hands out a token as the Weibo app does, with the uid and its lifetime', async () => {
    const answer = await call('/sdk/authorize', { uid: '1000000002' });
    expect(answer).toMatchObject({
      status: 200,
      type: 'text/plain;charset=UTF-8',
      body: { uid: '1000000002', expires_in: 157679999 },
    });
    expect(answer.body.access_token).toMatch(/^2\.00[0-9a-f]{32}$/);
    expect((await call('/sdk/authorize', { uid: 'x1' })).body).toMatchObject({
      error_code: 10017,
    });
  });

  it('tells whose a token is with get_token_info: uid and appkey as numbers, expire_in', async () => {
    const token = await appToken({ uid: '1000000002', expires_in: '3600' });
    now += 600_000;
    expect(await tokenInfo(token)).toMatchObject({
      status: 200,
      type: 'text/plain;charset=UTF-8',
      body: { uid: 1000000002, appkey: 1352222456, scope: null, expire_in: 3000 },
    });
  });

  it("names the app a token was issued to: another app's token is valid all the same", async () => {
    const foreign = await appToken({ uid: '1000000002', app_key: '3000000001' });
    expect((await tokenInfo(foreign)).body).toMatchObject({ appkey: 3000000001 });
  });

  it('answers 21327 for an expired token and 21332 for an unknown one, as Weibo does', async () => {
    const token = await appToken({ uid: '1000000002', expires_in: '60' });
    now += 61_000;
    expect(await tokenInfo(token)).toMatchObject({
      status: 400,
      body: { error: 'expired_token', error_code: 21327, request: '/oauth2/get_token_info' },
    });
    expect((await tokenInfo('2.00unknown')).body).toMatchObject({ error_code: 21332 });
  });

  it("kills the user's tokens of this app when they remove it, and calls the app's URL", async () => {
    const received: Array<Record<string, string>> = [];
    const receiver = new Hono().post('/deauthorized', async (c) => {
      received.push((await c.req.parseBody()) as Record<string, string>);
      return c.json({ code: 200 });
    });
    const server = serve({ fetch: receiver.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    deauthorizationUrl = `http://127.0.0.1:${port}/deauthorized`;
    try {
      const mine = await appToken({ uid: '1000000003' });
      const others = await appToken({ uid: '1000000003', app_key: '3000000001' });
      expect((await tokenInfo(mine)).status).toBe(200);
      const removed = await call('/sdk/remove-app', { uid: '1000000003' });
      expect(removed.body).toEqual({ result: 'true', notified: true });
      expect(received).toEqual([{ uid: '1000000003', source: client.clientId }]);
      expect((await tokenInfo(mine)).body).toMatchObject({ error_code: 21332 });
      expect((await tokenInfo(others)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('says it notified nobody when no cancel-authorization URL is known', async () => {
    const removed = await call('/sdk/remove-app', { uid: '1000000003' });
    expect(removed.body).toEqual({ result: 'true', notified: false });
  });
});
