import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONParsed, JSONValue } from 'hono/utils/types';

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's id: its valid `X-Request-Id`, else a new UUID; echoed in the answer. */
    requestId: string;
  }
}

/** What hono's `secureHeaders()` sends by default; every answer carries them. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};
/** API answers carry tokens, bind tokens, cookies or personal data: no cache may keep them. */
const API_HEADERS: Readonly<Record<string, string>> = {
  ...SECURITY_HEADERS,
  'Cache-Control': 'no-store',
};
const JSON_HEADERS = { 'Content-Type': 'application/json', ...SECURITY_HEADERS };
const API_JSON_HEADERS = { 'Content-Type': 'application/json', ...API_HEADERS };
const API_PREFIX = '/v1/';
const REQUEST_ID = 'X-Request-Id';
const VALID_REQUEST_ID = /^[\w\-=]{1,255}$/;

/** Answers built by `answerJson`, which already carry every header below. */
const complete = new WeakSet<Response>();

const headersFor = (c: Context) =>
  c.req.path.startsWith(API_PREFIX) ? API_HEADERS : SECURITY_HEADERS;

/**
 * The answer's common headers: the security headers, `Cache-Control: no-store` under /v1 and
 * the request id (taken from a valid `X-Request-Id`, else a new UUID, as hono's `requestId()`).
 * An answer built with `answerJson` has them already, in one plain object that the Node adapter
 * writes as it is; any other answer gets them set one by one afterwards.
 */
export function responseHeaders(): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.header(REQUEST_ID);
    const requestId = given !== undefined && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    await next();
    if (complete.has(c.res)) return;
    const headers = c.res.headers;
    for (const [name, value] of Object.entries(headersFor(c))) headers.set(name, value);
    headers.set(REQUEST_ID, requestId);
  };
}

/**
 * `c.json(body, status)` with the common headers (and `headers`) in one plain object: the
 * hot endpoints answer through it, so no WHATWG `Headers` object is built for them. Headers set
 * with `c.header()` or `setCookie()` are not in it: pass them as `headers`.
 */
export function answerJson<T extends JSONValue | object, S extends ContentfulStatusCode>(
  c: Context,
  body: T,
  status: S,
  headers?: Record<string, string>,
): Response & TypedResponse<JSONParsed<T>, S, 'json'> {
  // One copy of a constant object, then two keys: far cheaper than spreading several objects.
  const all: Record<string, string> = c.req.path.startsWith(API_PREFIX)
    ? { ...API_JSON_HEADERS }
    : { ...JSON_HEADERS };
  const requestId = c.get('requestId');
  if (requestId !== undefined) all[REQUEST_ID] = requestId;
  if (headers) Object.assign(all, headers);
  const response = new Response(JSON.stringify(body), { status, headers: all });
  complete.add(response);
  return response as Response & TypedResponse<JSONParsed<T>, S, 'json'>;
}
