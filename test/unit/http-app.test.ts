import { describe, expect, it } from 'vitest';
import { StateStoreUnavailable, StorageUnavailable } from '../../src/application/errors.ts';
import type { StateStore, UnitOfWork } from '../../src/application/ports.ts';
import { appWithFakes, FAKE_BIND_FORM as bindForm } from '../support/app-with-fakes.ts';
import { FakeOAuthProvider } from '../support/fakes.ts';

function appWith(
  overrides: {
    states?: StateStore;
    unitOfWork?: UnitOfWork;
    oauth?: FakeOAuthProvider;
    perMinute?: number;
    trustProxy?: boolean;
  } = {},
) {
  return appWithFakes({
    ...overrides,
    corsOrigins: ['https://shop.example'],
    readiness: [{ name: 'redis', check: () => Promise.reject(new Error('down')) }],
  });
}

const downStateStore: StateStore = {
  save: () => Promise.reject(new StateStoreUnavailable('down')),
  consume: () => Promise.reject(new StateStoreUnavailable('down')),
};
const post = (body: string) => ({
  method: 'POST',
  body,
  headers: { 'content-type': 'application/json' },
});

describe('HTTP app', () => {
  it('answers 503 10124 for the login page when the state store is down', async () => {
    const response = await appWith({ states: downStateStore }).request(
      '/v1/users/weibo/authorization',
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ code: 10124, error: 'Cant get weibo login page' });
  });

  it('answers 503 10154 for the callback when the state store is down', async () => {
    const response = await appWith({ states: downStateStore }).request(
      '/v1/users/weibo/users?code=c&state=s',
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ code: 10154, error: 'Service unavailable' });
  });

  it('answers 503 10154 for the bind when the database is down', async () => {
    const unitOfWork: UnitOfWork = {
      transaction: () => Promise.reject(new StorageUnavailable('down')),
    };
    const response = await appWith({ unitOfWork }).request('/v1/users/weibo/users', post(bindForm));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ code: 10154, error: 'Service unavailable' });
  });

  it('answers 500 10128 without details when the bind fails unexpectedly', async () => {
    const unitOfWork: UnitOfWork = {
      transaction: () =>
        Promise.reject(new Error('relation "users" does not exist at /srv/x.ts:1')),
    };
    const response = await appWith({ unitOfWork }).request('/v1/users/weibo/users', post(bindForm));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"code":10128,"error":"Create user failed"}');
  });

  it('answers 500 10500 without details for an unexpected failure elsewhere', async () => {
    const oauth = new FakeOAuthProvider();
    oauth.authorizationUrl = () => {
      throw new Error('secret=abc stack');
    };
    const response = await appWith({ oauth }).request('/v1/users/weibo/authorization');
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"code":10500,"error":"Internal error"}');
  });

  it('marks the binding cookie Secure when configured', async () => {
    const response = await appWith().request('/v1/users/weibo/authorization');
    expect(response.headers.get('set-cookie')).toContain('Secure');
  });

  it('allows the configured front-end origin with credentials, and no other', async () => {
    const app = appWith();
    const allowed = await app.request('/v1/users/weibo/authorization', {
      headers: { origin: 'https://shop.example' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await app.request('/v1/users/weibo/authorization', {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers /readyz 503 naming what failed', async () => {
    const response = await appWith().request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ code: 10154, error: 'Not ready: redis' });
  });

  it('answers 429 10156 with Retry-After past the per-client limit, counting each client apart', async () => {
    const app = appWith({ perMinute: 2 });
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': `10.9.9.9, ${ip}` } });
    const path = '/v1/users/weibo/authorization';
    expect((await app.request(path, from('203.0.113.1'))).status).toBe(200);
    expect((await app.request(path, from('203.0.113.1'))).status).toBe(200);
    const limited = await app.request(path, from('203.0.113.1'));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ code: 10156, error: 'Too many requests' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.request(path, from('203.0.113.2'))).status).toBe(200);
  });

  it('counts IPv6 clients by their /64 and IPv4-mapped ones as IPv4', async () => {
    const app = appWith({ perMinute: 2, trustProxy: false });
    const path = '/v1/users/weibo/authorization';
    const socket = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
    expect((await app.request(path, {}, socket('2001:db8:1:2::1'))).status).toBe(200);
    expect((await app.request(path, {}, socket('2001:db8:1:2:ffff:ffff:ffff:9'))).status).toBe(200);
    expect((await app.request(path, {}, socket('2001:0db8:0001:0002::abcd'))).status).toBe(429);
    expect((await app.request(path, {}, socket('2001:db8:1:3::1'))).status).toBe(200);
    expect((await app.request(path, {}, socket('::ffff:192.0.2.7'))).status).toBe(200);
    expect((await app.request(path, {}, socket('192.0.2.7'))).status).toBe(200);
    expect((await app.request(path, {}, socket('::ffff:192.0.2.7'))).status).toBe(429);
  });

  it('counts a request without X-Forwarded-For by its socket, also behind a trusted proxy', async () => {
    const app = appWith({ perMinute: 1, trustProxy: true });
    const path = '/v1/users/weibo/authorization';
    const socket = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
    expect((await app.request(path, {}, socket('198.51.100.1'))).status).toBe(200);
    expect((await app.request(path, {}, socket('198.51.100.2'))).status).toBe(200);
    expect((await app.request(path, {}, socket('198.51.100.1'))).status).toBe(429);
  });

  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    const app = appWith({ perMinute: 1, trustProxy: false });
    const path = '/v1/users/weibo/authorization';
    const spoofed = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    const socket = { incoming: { socket: { remoteAddress: '198.51.100.1' } } };
    expect((await app.request(path, spoofed('203.0.113.1'), socket)).status).toBe(200);
    expect((await app.request(path, spoofed('203.0.113.2'), socket)).status).toBe(429);
  });

  it('marks every API answer Cache-Control: no-store, errors included', async () => {
    const app = appWith();
    const answers = [
      await app.request('/v1/users/weibo/authorization'),
      await app.request('/v1/users/weibo/authorization?display=tv'),
      await app.request('/v1/users/weibo/users?code=c&state=unknown'),
      await app.request('/v1/users/weibo/users', post(bindForm)),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 400, 403, 401]);
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it.each(['/.//evil.com', '/..//evil.com', '/%2e//evil.com', '/a\u0085', '/a\u202eb'])(
    'answers 400 10100 for return_to %j',
    async (returnTo) => {
      const response = await appWith().request(
        `/v1/users/weibo/authorization?return_to=${encodeURIComponent(returnTo)}`,
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ code: 10100, error: 'Invalid parameters' });
    },
  );
});
