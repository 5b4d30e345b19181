import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ofetch } from 'ofetch';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undiciFetch } from '../../src/adapters/weibo/undici-fetch.ts';
import { OAuthProviderUnavailable } from '../../src/application/errors.ts';
import { weiboClient } from '../support/weibo-client.ts';

const received: Array<{ path: string; contentType?: string; body: string }> = [];
let base = '';
const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
  if (req.url?.startsWith('/redirect')) {
    res.writeHead(302, { location: `${base}/elsewhere` });
    return res.end();
  }
  if (req.url === '/slow') await sleep(1_000);
  if (req.url === '/empty') {
    res.writeHead(204);
    return res.end();
  }
  res.setHeader('set-cookie', ['a=1', 'b=2']);
  res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' });
  res.end(JSON.stringify({ ok: true }));
});
const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
const fetchOnUndici = undiciFetch(dispatcher);

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await dispatcher.close();
});

describe('the fetch the Weibo client runs on (undici.request)', () => {
  it('sends a form with its content type and answers a standard Response, all headers kept', async () => {
    const answer = await fetchOnUndici(`${base}/form`, {
      method: 'POST',
      body: new URLSearchParams({ code: 'c', client_secret: 's' }),
      headers: { accept: 'application/json' },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    expect(answer.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(received.at(-1)).toEqual({
      path: '/form',
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      body: 'code=c&client_secret=s',
    });
  });

  it('refuses a redirect instead of following it, as fetch does with redirect: error', async () => {
    const before = received.length;
    await expect(fetchOnUndici(`${base}/redirect`, { redirect: 'error' })).rejects.toThrow(
      /redirect/,
    );
    expect(received.slice(before).map((r) => r.path)).toEqual(['/redirect']);
  });

  it('gives up when its signal aborts, with the signal’s own reason', async () => {
    const error = await fetchOnUndici(`${base}/slow`, { signal: AbortSignal.timeout(100) }).catch(
      (reason: unknown) => reason,
    );
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('answers a 204 without a body', async () => {
    const answer = await fetchOnUndici(`${base}/empty`);
    expect(answer.status).toBe(204);
    expect(answer.body).toBeNull();
  });

  it('serves ofetch as its fetch', async () => {
    const client = ofetch.create({}, { fetch: fetchOnUndici as typeof fetch });
    expect(await client(`${base}/json`, { parseResponse: JSON.parse })).toEqual({ ok: true });
  });

  it('makes the Weibo client answer OAuthProviderUnavailable for a redirect, the secret sent once', async () => {
    const before = received.length;
    const client = weiboClient(
      {
        clientId: 'id',
        clientSecret: 'the-secret',
        redirectUri: 'https://shop.example/cb',
        scope: '',
        apiBaseUrl: `${base}/redirect?`,
        mobileAuthorizeUrl: 'https://open.weibo.cn/oauth2/authorize',
        timeoutMs: 1_000,
      },
      { now: () => new Date() },
    );
    const refused = await client.exchangeCode('c').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OAuthProviderUnavailable);
    expect((refused as Error).message).toMatch(/unreachable/);
    const sent = received.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toContain('the-secret');
  });
});
