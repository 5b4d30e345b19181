import { createRoute, z } from '@hono/zod-openapi';
import type { JSONWebKeySet } from 'jose';
import { errorBody } from './error-mapping.ts';
import { errorSchema, json, openApiRouter } from './openapi.ts';
import { JsonWebKeySet, Status } from './schemas.ts';

/** A dependency the service needs to answer: resolves when it does, rejects when not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2_000;
const NOT_READY = errorBody('STORAGE_UNAVAILABLE').code;
const tags = ['Service'];

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags,
  summary: 'Alive: answers as soon as the server serves',
  responses: { 200: { description: 'Serving.', content: json(Status) } },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags,
  summary: 'Ready: its stores answer',
  responses: {
    200: { description: 'Every store answers.', content: json(Status) },
    503: {
      description: `${NOT_READY} Not ready: followed by the stores that did not answer.`,
      content: json(errorSchema([NOT_READY])),
    },
  },
});

const jwks = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['Keys'],
  summary: 'The public keys that verify login tokens',
  responses: { 200: { description: 'A JSON Web Key Set.', content: json(JsonWebKeySet) } },
});

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  tags,
  summary: 'Prometheus metrics (keep it off the public ingress)',
  responses: {
    200: {
      description: 'The Prometheus text exposition.',
      content: { 'text/plain': { schema: z.string() } },
    },
  },
});

export function healthRoutes(deps: {
  jwks: () => JSONWebKeySet;
  readiness: ReadinessCheck[];
  metrics: () => Promise<{ contentType: string; body: string }>;
}) {
  const app = openApiRouter();
  app.openapi(metrics, async (c) => {
    const { contentType, body } = await deps.metrics();
    return c.text(body, 200, { 'Content-Type': contentType });
  });
  app.openapi(healthz, (c) => c.json({ status: 'ok' }, 200));
  app.openapi(readyz, async (c) => {
    const results = await Promise.allSettled(deps.readiness.map((r) => withTimeout(r.check())));
    const failed = deps.readiness.filter((_, i) => results[i]?.status === 'rejected');
    if (failed.length === 0) return c.json({ status: 'ok' }, 200);
    const error = `Not ready: ${failed.map((r) => r.name).join(', ')}`;
    return c.json({ code: NOT_READY, error }, 503);
  });
  app.openapi(jwks, (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    // jose types every JWK member as optional; the issuer's keys carry the documented ones.
    return c.json(deps.jwks() as z.infer<typeof JsonWebKeySet>, 200);
  });
  return app;
}

function withTimeout(check: Promise<unknown>): Promise<unknown> {
  return Promise.race([
    check,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);
}
