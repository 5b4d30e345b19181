import type { Hono, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Logger } from 'pino';
import type { RateLimiter } from '../../application/ports.ts';
import { httpMetrics } from '../metrics/http-metrics.ts';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import { type AccountRoutesDeps, accountRoutes } from './account-routes.ts';
import { type ActivityRoutesDeps, activityRoutes } from './activity-routes.ts';
import { ADMIN_BASE_PATH, type AdminRoutesDeps, adminRoutes } from './admin-routes.ts';
import { docsRoutes } from './docs-routes.ts';
import { errorBody, errorResponse, errorStatus } from './error-mapping.ts';
import { healthRoutes, type ReadinessCheck } from './health-routes.ts';
import { openApiRouter, serveOpenApiDocument } from './openapi.ts';
import { limitRequestsPerClient } from './rate-limit.ts';
import { responseHeaders } from './response-headers.ts';
import { type SessionRoutesDeps, sessionRoutes } from './session-routes.ts';
import {
  DEAUTHORIZATION_PATH,
  type WeiboAppRoutesDeps,
  weiboAppRoutes,
} from './weibo-app-routes.ts';
import {
  AUTHORIZATION_PATH,
  singleValuedQuery,
  WEIBO_BASE_PATH,
  type WeiboRoutesDeps,
  weiboRoutes,
} from './weibo-routes.ts';

interface AppDeps
  extends ActivityRoutesDeps,
    Omit<AdminRoutesDeps, 'trustProxy'>,
    Omit<WeiboRoutesDeps, 'trustProxy'>,
    Omit<AccountRoutesDeps, 'trustProxy'>,
    Omit<WeiboAppRoutesDeps, 'trustProxy'>,
    Omit<SessionRoutesDeps, 'trustProxy'> {
  logger: Logger;
  serviceMetrics: ServiceMetrics;
  jwks: Parameters<typeof healthRoutes>[0]['jwks'];
  openIdProvider?: Parameters<typeof healthRoutes>[0]['openIdProvider'];
  readiness: ReadinessCheck[];
  corsOrigins: string[];
  /** With tracing on: a server span per request, continuing an incoming `traceparent`. */
  serverSpans?: MiddlewareHandler;
  rateLimit: { limiter: RateLimiter; perMinute: number; trustProxy: boolean };
  /** Development-only apps mounted beside the API: the sandbox Weibo, the demo front-end. */
  mounts: Array<{ path: string; app: Hono }>;
}

/** Weibo's deauthorization call always gets its 200: no client limit or query rule applies. */
function exceptFromWeibo(middleware: MiddlewareHandler): MiddlewareHandler {
  return (c, next) => (c.req.path === DEAUTHORIZATION_PATH ? next() : middleware(c, next));
}

export function createApp(deps: AppDeps) {
  // Routes defined through `openapi()` here or in a mounted router join `GET /openapi.json`.
  const app = openApiRouter();
  // Outermost, so every other middleware, its logs and its queries run inside the span.
  if (deps.serverSpans) app.use(deps.serverSpans);
  // First, so it times every answer, the error handler's included.
  app.use(httpMetrics(deps.serviceMetrics));
  app.use(responseHeaders());
  // At warn and above no request line is written: the middleware would only cost time.
  if (deps.logger.isLevelEnabled('info')) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      // The path only: query strings carry OAuth codes and states.
      deps.logger.info(
        {
          reqId: c.get('requestId'),
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
  }
  if (deps.corsOrigins.length > 0) {
    app.use('/v1/*', cors({ origin: deps.corsOrigins, credentials: true }));
  }
  if (deps.rateLimit.perMinute > 0) {
    const countedByRoute = [AUTHORIZATION_PATH];
    const limit = limitRequestsPerClient({ ...deps.rateLimit, countedByRoute });
    app.use('/v1/*', exceptFromWeibo(limit));
  }
  app.use('/v1/*', exceptFromWeibo(singleValuedQuery));
  const routeDeps = { ...deps, trustProxy: deps.rateLimit.trustProxy };
  app.route(WEIBO_BASE_PATH, weiboRoutes(routeDeps));
  app.route(WEIBO_BASE_PATH, weiboAppRoutes(routeDeps));
  app.route('/v1', accountRoutes(routeDeps));
  app.route('/v1', sessionRoutes(routeDeps));
  app.route('/v1', activityRoutes(deps));
  app.route(ADMIN_BASE_PATH, adminRoutes(routeDeps));
  app.route('/', healthRoutes({ ...deps, metrics: () => deps.serviceMetrics.text() }));
  serveOpenApiDocument(app);
  app.route('/', docsRoutes());
  for (const mount of deps.mounts) app.route(mount.path, mount.app);

  app.notFound((c) => c.json(errorBody('NOT_FOUND'), errorStatus('NOT_FOUND')));
  app.onError((error, c) => {
    const { status, body, headers, unexpected } = errorResponse(
      error,
      `${c.req.method} ${c.req.path}`,
    );
    if (unexpected || status >= 500) {
      deps.logger.error({ reqId: c.get('requestId'), err: error }, 'request failed');
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    return c.json(body, status);
  });
  return app;
}
