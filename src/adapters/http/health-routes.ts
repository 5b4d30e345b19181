import { createRoute, z } from '@hono/zod-openapi';
import type { JSONWebKeySet } from 'jose';
import { errorBody } from './error-mapping.ts';
import { errorSchema, json, openApiRouter } from './openapi.ts';
import { JsonWebKeySet, OpenIdConfiguration, Status } from './schemas.ts';

/** Who signs the tokens, and where clients reach this service (PUBLIC_URL). */
export interface OpenIdProvider {
  issuer: string;
  publicUrl: string;
}

/** A dependency the service needs to answer: resolves when it does, rejects when not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2_000;
const NOT_READY = errorBody('STORAGE_UNAVAILABLE').code;
const tags = ['Service'];
const JWKS_PATH = '/.well-known/jwks.json';
// The keys change only at a restart: caches may keep them a few minutes.
const PUBLIC_CACHE = 'public, max-age=300';

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
  path: JWKS_PATH,
  tags: ['Keys'],
  summary: 'The public keys that verify login tokens',
  responses: { 200: { description: 'A JSON Web Key Set.', content: json(JsonWebKeySet) } },
});

const openIdConfiguration = createRoute({
  method: 'get',
  path: '/.well-known/openid-configuration',
  tags: ['Keys'],
  summary: 'Discovery: the issuer, where its keys are and their algorithms',
  responses: {
    200: {
      description: 'An OpenID Connect discovery document, for JWT middlewares of gateways.',
      content: json(OpenIdConfiguration),
    },
  },
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
  /** Without one (the HTTP adapter alone in tests) there is no discovery document. */
  openIdProvider?: OpenIdProvider;
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
    c.header('Cache-Control', PUBLIC_CACHE);
    // jose types every JWK member as optional; the issuer's keys carry the documented ones.
    return c.json(deps.jwks() as z.infer<typeof JsonWebKeySet>, 200);
  });
  const provider = deps.openIdProvider;
  if (provider) {
    app.openapi(openIdConfiguration, (c) => {
      c.header('Cache-Control', PUBLIC_CACHE);
      const algorithms = deps.jwks().keys.flatMap((key) => (key.alg ? [key.alg] : []));
      return c.json(
        {
          issuer: provider.issuer,
          jwks_uri: `${provider.publicUrl}${JWKS_PATH}`,
          token_endpoint: `${provider.publicUrl}/v1/tokens`,
          id_token_signing_alg_values_supported: [...new Set(algorithms)],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
        },
        200,
      );
    });
  }
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
