import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/infrastructure/http-server.ts';
import { appWithFakes, FAKE_BIND_FORM as bindForm } from '../support/app-with-fakes.ts';

/** What hono's own secureHeaders() sends: the service must send the same, on every answer. */
async function honoSecureHeaders(): Promise<Record<string, string>> {
  const reference = new Hono().use(secureHeaders()).get('/', (c) => c.text('x'));
  const headers = Object.fromEntries((await reference.request('/')).headers);
  delete headers['content-type'];
  return headers;
}

/** Answers built by `answerJson` (the 200s) and by the error handler, the 404 and the docs. */
const requests: Array<[string, RequestInit | undefined, number]> = [
  ['/v1/users/weibo/authorization', undefined, 200],
  ['/v1/users/weibo/authorization?display=tv', undefined, 400],
  ['/v1/users/weibo/users?code=c&state=unknown', undefined, 403],
  [
    '/v1/users/weibo/users',
    { method: 'POST', body: bindForm, headers: { 'content-type': 'application/json' } },
    401,
  ],
  ['/v1/users/me', undefined, 401],
  ['/v1/nothing-here', undefined, 404],
  ['/healthz', undefined, 200],
  ['/.well-known/jwks.json', undefined, 200],
  ['/nothing-here', undefined, 404],
];

describe('response headers', () => {
  let expected: Record<string, string>;
  let server: RunningServer;
  beforeAll(async () => {
    expected = await honoSecureHeaders();
    server = await listen(appWithFakes(), 0, '127.0.0.1');
  });
  afterAll(() => server.close());

  it("has the reference send hono's eleven secure headers", () => {
    expect(Object.keys(expected)).toHaveLength(11);
    expect(expected['x-content-type-options']).toBe('nosniff');
    expect(expected['referrer-policy']).toBe('no-referrer');
  });

  for (const [through, send] of [
    ['app.request', (path: string, init?: RequestInit) => appWithFakes().request(path, init)],
    ['a listening server', (path: string, init?: RequestInit) => fetch(server.url + path, init)],
  ] as const) {
    describe(`through ${through}`, () => {
      it.each(requests)(
        '%s carries every secure header, no-store under /v1, a request id',
        async (path, init, status) => {
          const answer = await send(path, init);
          expect(answer.status).toBe(status);
          for (const [name, value] of Object.entries(expected)) {
            expect(answer.headers.get(name), name).toBe(value);
          }
          if (path.startsWith('/v1/')) expect(answer.headers.get('cache-control')).toBe('no-store');
          else expect(answer.headers.get('cache-control')).not.toBe('no-store');
          expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
          await answer.arrayBuffer();
        },
      );

      it('echoes a valid X-Request-Id and replaces one that is not', async () => {
        const path = '/v1/users/weibo/authorization';
        const echoed = await send(path, { headers: { 'x-request-id': 'trace-1_a=' } });
        expect(echoed.headers.get('x-request-id')).toBe('trace-1_a=');
        const replaced = await send(path, { headers: { 'x-request-id': 'a b<script>' } });
        expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        const tooLong = await send(path, { headers: { 'x-request-id': 'a'.repeat(256) } });
        expect(tooLong.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      });

      it('sends the authorize answer as JSON with its one binding cookie', async () => {
        const answer = await send('/v1/users/weibo/authorization', undefined);
        expect(answer.headers.get('content-type')).toBe('application/json');
        const cookies = answer.headers.getSetCookie();
        expect(cookies).toHaveLength(1);
        expect(cookies[0]).toMatch(
          /^weibo_auth_binding=[\w-]{43}; Max-Age=\d+; Path=\/v1\/users\/weibo; HttpOnly(; Secure)?; SameSite=Lax$/,
        );
        const body = (await answer.json()) as { code: number; oauth_url: string };
        expect(body.code).toBe(200);
        if (through === 'a listening server') {
          expect(Number(answer.headers.get('content-length'))).toBe(
            Buffer.byteLength(JSON.stringify(body)),
          );
        }
      });
    });
  }

  it('keeps the CORS headers, the cookie and the secure headers together on a real server', async () => {
    const withCors = await listen(
      appWithFakes({ corsOrigins: ['https://shop.example'] }),
      0,
      '127.0.0.1',
    );
    try {
      const answer = await fetch(`${withCors.url}/v1/users/weibo/authorization`, {
        headers: { origin: 'https://shop.example' },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.getSetCookie()).toHaveLength(1);
      for (const [name, value] of Object.entries(expected)) {
        expect(answer.headers.get(name), name).toBe(value);
      }
      expect(answer.headers.get('cache-control')).toBe('no-store');
      await answer.arrayBuffer();
    } finally {
      await withCors.close();
    }
  });
});
