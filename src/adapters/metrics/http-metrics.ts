import type { Context, Handler, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { StateInvalid } from '../../domain/errors.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/** The route label of a request that reached no endpoint (a 404, a CORS preflight). */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type Route = ReturnType<typeof matchedRoutes>[number];

/**
 * Times and counts every request by method, route template and status. Mount it first
 * (`app.use(httpMetrics(metrics))`) so it sees every answer, error handler's included. It also
 * counts each request that ended in StateInvalid (answered 10151) as a refused state nonce:
 * the one place where refusals are counted.
 */
export function httpMetrics(metrics: ServiceMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    // Hono's error handler answers errors inside `next`; a throw here is one it failed to.
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const labels = { method: methodLabel(c.req.method), route: routeTemplate(c), status };
      metrics.observeHttpRequest(labels, (performance.now() - started) / 1000);
      if (c.error instanceof StateInvalid) metrics.countStateRefused();
    }
  };
}

/** Answers `GET /metrics` with the Prometheus exposition. */
export function metricsHandler(metrics: ServiceMetrics): Handler {
  return async (c) => {
    const { contentType, body } = await metrics.text();
    return c.body(body, 200, { 'Content-Type': contentType });
  };
}

/**
 * The template of the endpoint the request was for: the route that answered, or, when a
 * middleware answered first (a rate limit), the endpoint it stood before. Wildcard middleware
 * alone is no endpoint, so paths nobody serves share one label instead of one each.
 */
function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  const endpoint = routes.slice(c.req.routeIndex).find(isEndpoint);
  return endpoint?.path ?? UNMATCHED_ROUTE;
}

function isEndpoint(route: Route): boolean {
  return route.method !== 'ALL' || !route.path.endsWith('*');
}

/** Methods outside the standard ones share a label, so a client cannot invent series. */
function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}
