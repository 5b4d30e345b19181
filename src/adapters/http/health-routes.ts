import { Hono } from 'hono';
import type { JSONWebKeySet } from 'jose';
import { errorBody, errorStatus } from './error-mapping.ts';

/** A dependency the service needs to answer: resolves when it does, rejects when not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2_000;

export function healthRoutes(deps: { jwks: () => JSONWebKeySet; readiness: ReadinessCheck[] }) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const results = await Promise.allSettled(deps.readiness.map((r) => withTimeout(r.check())));
      const failed = deps.readiness.filter((_, i) => results[i]?.status === 'rejected');
      if (failed.length === 0) return c.json({ status: 'ok' });
      const { code } = errorBody('STORAGE_UNAVAILABLE');
      const error = `Not ready: ${failed.map((r) => r.name).join(', ')}`;
      return c.json({ code, error }, errorStatus('STORAGE_UNAVAILABLE'));
    })
    .get('/.well-known/jwks.json', (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      return c.json(deps.jwks());
    });
}

function withTimeout(check: Promise<unknown>): Promise<unknown> {
  return Promise.race([
    check,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);
}
