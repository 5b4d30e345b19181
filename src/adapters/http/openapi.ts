import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OpenAPIHono, type OpenAPIHonoOptions, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { BlankEnv, Env } from 'hono/types';
import {
  type ErrorCode,
  errorBody,
  errorHeaders,
  errorRetries,
  errorStatus,
} from './error-mapping.ts';
import { eventSchemas } from './event-schemas.ts';
import { invalidBody, invalidQuery } from './http-errors.ts';

/**
 * A request a route's schemas refuse is thrown as the contract's error, so `app.onError`
 * answers it from the error table: the library's own 400 body is never sent.
 */
const refuseInvalidRequest: OpenAPIHonoOptions<BlankEnv>['defaultHook'] = (result) => {
  if (result.success) return;
  throw result.target === 'json' || result.target === 'form' ? invalidBody() : invalidQuery();
};

/**
 * A router whose routes validate and document themselves: `router.openapi(createRoute(…), handler)`.
 * Mounted with `app.route`, its routes join `GET /openapi.json`.
 */
export function openApiRouter<E extends Env = BlankEnv>() {
  // The hook reads only the outcome of validation, whatever the router's variables.
  const defaultHook = refuseInvalidRequest as OpenAPIHonoOptions<E>['defaultHook'];
  return new OpenAPIHono<E>({ defaultHook });
}

type QueryRoute = RouteConfig & { method: 'get'; request: { query: z.ZodType } };

/**
 * `router.openapi(route, handler)` for a GET whose only input is its query: documented the
 * same way, and validated by the route's own schema synchronously. The library's validator is
 * asynchronous, which cost about 7 µs of CPU per request on the login start (BENCHMARKS.md).
 */
export function openapiQueryRoute<E extends Env, R extends QueryRoute>(
  router: OpenAPIHono<E>,
  route: R,
  handler: (c: Context<E>, query: z.output<R['request']['query']>) => Promise<Response>,
) {
  router.openAPIRegistry.registerPath(route);
  const schema = route.request.query;
  router.get(route.path, (c) => {
    const parsed = schema.safeParse(c.req.query());
    if (!parsed.success) throw invalidQuery();
    return handler(c, parsed.data as z.output<R['request']['query']>);
  });
}

export const json = <T>(schema: T) => ({ 'application/json': { schema } });

/**
 * A JSON request body documented by the component schema `name` but left unread: the handler
 * reads it with `readJsonObject` (size limit, 10155) and the use case checks it in the
 * contract's order. A zod schema here would have the library read the whole body first.
 */
export const documentedJsonBody = (name: string) => ({
  required: true,
  content: json({ $ref: `#/components/schemas/${name}` }),
});

const ErrorSchema = z
  .object({ code: z.number().int(), error: z.string() })
  .strict()
  .openapi('Error', { description: 'Every error answer: exactly a `code` and a reason.' });

/** An error body whose `code` is one of `codes`. */
export function errorSchema(codes: readonly number[]) {
  const code = z
    .number()
    .int()
    .openapi({ enum: [...new Set(codes)] });
  return z.object({ code, error: z.string() }).strict();
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer' as const, minimum: 1 },
  },
};

/**
 * The failures an operation documents, one response per HTTP status, each listing the codes
 * of that status, all taken from the error table.
 */
export function errorResponses(...names: ErrorCode[]) {
  const byStatus = Map.groupBy(names, (name) => errorStatus(name));
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => {
      const errors = new Map(group.map((name) => [errorBody(name).code, errorBody(name).error]));
      const description = [...errors].map(([code, error]) => `${code} ${error}`).join(' · ');
      const content = json(errorSchema([...errors.keys()]));
      const headers = {
        ...(group.some(errorRetries) && RETRY_AFTER),
        ...Object.fromEntries(
          group.flatMap((name) =>
            Object.entries(errorHeaders(name)).map(([header, value]) => [
              header,
              { description: `\`${value}\``, schema: { type: 'string' as const } },
            ]),
          ),
        ),
      };
      const withHeaders = Object.keys(headers).length > 0 ? { headers } : {};
      return [status, { description, content, ...withHeaders }];
    }),
  );
}

const NOT_FOUND = errorBody('NOT_FOUND');
const DESCRIPTION = `Sign in with Weibo.

Every JSON answer carries a numeric \`code\`; every error is exactly \`{"code", "error"}\`
(schema \`Error\`) with the HTTP status of its code. A path no route serves answers
\`${errorStatus('NOT_FOUND')} {"code": ${NOT_FOUND.code}, "error": "${NOT_FOUND.error}"}\`
(response \`NotFound\`).

Events: each domain event is published as a CloudEvents 1.0 envelope, the data of a BullMQ
job named after the event type; their schemas are the components named after the types.`;

/**
 * Serves `GET /openapi.json`: every route `app` or a router mounted on it defined through
 * `openapi()`, built at the first request, so routes mounted after this call join it too.
 */
export function serveOpenApiDocument(app: OpenAPIHono) {
  const { openAPIRegistry: registry } = app;
  registry.register('Error', ErrorSchema);
  registry.register('NotFound', errorSchema([NOT_FOUND.code]));
  registry.registerComponent('responses', 'NotFound', {
    description: 'No route serves this method and path.',
    content: json({ $ref: '#/components/schemas/NotFound' }),
  });
  for (const [type, schema] of eventSchemas()) registry.register(type, schema);
  const info = { title: 'weibo-auth', version: packageVersion(), description: DESCRIPTION };
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({ openapi: '3.1.0', info });
    c.header('Cache-Control', 'no-cache');
    return c.json(document);
  });
}

/** The version in the service's package.json, found from here in `src/` and in `dist/src/`. */
function packageVersion(): string {
  for (let folder = import.meta.dirname; folder !== path.dirname(folder); ) {
    const file = path.join(folder, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version ?? '0.0.0';
    folder = path.dirname(folder);
  }
  return '0.0.0';
}
