import type { MiddlewareHandler } from 'hono';

/**
 * A server span per request (`@hono/otel`), continuing an incoming `traceparent` and named by
 * the route Hono matched (`GET /v1/users/weibo/authorization`); the URL's query is redacted on
 * export. Imported only when tracing is on: the module and its semantic conventions cost start-up
 * time and heap otherwise.
 */
export async function serverSpans(): Promise<MiddlewareHandler> {
  const { httpInstrumentationMiddleware } = await import('@hono/otel');
  return httpInstrumentationMiddleware({ captureActiveRequests: false });
}
