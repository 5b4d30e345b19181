import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { httpMetrics, metricsHandler } from '../../src/adapters/metrics/http-metrics.ts';
import { ServiceMetrics } from '../../src/adapters/metrics/service-metrics.ts';
import { StateInvalid } from '../../src/domain/errors.ts';
import { InMemoryOutboxStore } from '../support/in-memory-outbox-store.ts';

/** A sample line of the exposition: `name{labels} value`, label values without commas. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;

/** The value of the sample with exactly these labels, or undefined when it is not exposed. */
async function sample(metrics: ServiceMetrics, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  for (const line of (await metrics.text()).body.split('\n')) {
    const [, sampleName, labelText, value] = SAMPLE.exec(line) ?? [];
    const have = labelText ? labelText.split(',') : [];
    const same = have.length === wanted.length && wanted.every((label) => have.includes(label));
    if (sampleName === name && same) return Number(value);
  }
  return undefined;
}

let metrics: ServiceMetrics;
let app: Hono;
const requests = (method: string, route: string, status: string) =>
  sample(metrics, 'weibo_auth_http_requests_total', { method, route, status });

beforeEach(() => {
  metrics = new ServiceMetrics(new InMemoryOutboxStore());
  app = new Hono();
  app.use(httpMetrics(metrics));
  app.use('/v1/*', async (c, next) => {
    if (c.req.header('x-over-limit')) return c.json({ code: 10429 }, 429);
    await next();
  });
  app.get('/v1/users/:id', (c) => c.json({ id: c.req.param('id') }));
  app.post('/v1/users', (c) => c.json({}, 201));
  app.get('/v1/callback', () => {
    throw new StateInvalid();
  });
  app.get('/v1/forbidden', (c) => c.json({ code: 10130 }, 403));
  app.get('/v1/broken', () => {
    throw new Error('a bug');
  });
  app.get('/metrics', metricsHandler(metrics));
  app.onError((error, c) =>
    error instanceof StateInvalid ? c.json({ code: 10151 }, 403) : c.json({ code: 10128 }, 500),
  );
});

describe('httpMetrics', () => {
  it('counts a parametrised route by its template, not per id', async () => {
    for (const id of ['1', '2', '3']) await app.request(`/v1/users/${id}`);
    expect(await requests('GET', '/v1/users/:id', '200')).toBe(3);
    expect((await metrics.text()).body).not.toContain('/v1/users/1');
  });

  it('labels every request no route serves as unmatched', async () => {
    for (const path of ['/nothing', '/v1/nothing/here', '/wp-login.php']) {
      expect((await app.request(path)).status).toBe(404);
    }
    await app.request('/v1/users/1', { method: 'DELETE' });
    expect(await requests('GET', 'unmatched', '404')).toBe(3);
    expect(await requests('DELETE', 'unmatched', '404')).toBe(1);
    expect((await metrics.text()).body).not.toMatch(/nothing|wp-login/);
  });

  it('labels each request by its method and status, and times it', async () => {
    expect((await app.request('/v1/users', { method: 'POST' })).status).toBe(201);
    expect(await requests('POST', '/v1/users', '201')).toBe(1);
    const labels = { method: 'POST', route: '/v1/users', status: '201' };
    const histogram = 'weibo_auth_http_request_duration_seconds';
    expect(await sample(metrics, `${histogram}_count`, labels)).toBe(1);
    expect(await sample(metrics, `${histogram}_bucket`, { ...labels, le: '+Inf' })).toBe(1);
  });

  it('counts an error by the status the error handler answered', async () => {
    expect((await app.request('/v1/broken')).status).toBe(500);
    expect(await requests('GET', '/v1/broken', '500')).toBe(1);
  });

  it('counts a request a middleware answered early under the route it was for', async () => {
    await app.request('/v1/users/7', { headers: { 'x-over-limit': '1' } });
    expect(await requests('GET', '/v1/users/:id', '429')).toBe(1);
  });

  it('puts methods outside the standard ones under one label', async () => {
    await app.request('/v1/users/1', { method: 'PROPFIND' });
    expect(await requests('OTHER', 'unmatched', '404')).toBe(1);
  });

  it('counts each state refused with 10151 once, and no other 403', async () => {
    expect((await app.request('/v1/callback')).status).toBe(403);
    expect((await app.request('/v1/forbidden')).status).toBe(403);
    expect(await sample(metrics, 'weibo_auth_state_nonces_refused_total')).toBe(1);
    expect(await requests('GET', '/v1/callback', '403')).toBe(1);
  });
});

describe('metricsHandler', () => {
  it('answers the Prometheus exposition with its content type', async () => {
    await app.request('/v1/users/1');
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    const body = await response.text();
    expect(body).toContain(
      'weibo_auth_http_requests_total{method="GET",route="/v1/users/:id",status="200"} 1',
    );
    expect(body).toContain('# TYPE weibo_auth_outbox_backlog gauge');
  });
});
