import { createRoute, z } from '@hono/zod-openapi';
import type { Authenticate } from '../../application/authenticate.ts';
import type { ListActivity } from '../../application/list-activity.ts';
import { decodeCursor, encodeCursor } from './audit-cursor.ts';
import { errorResponses, json, openApiRouter, openapiQueryRoute } from './openapi.ts';
import { answerJson } from './response-headers.ts';
import { BEARER, type SignedInEnv, signedIn } from './signed-in.ts';

export interface ActivityRoutesDeps {
  authenticate: Authenticate;
  listActivity: ListActivity;
}

const ActivityQuery = z.object({
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/)
    .optional()
    .openapi({ description: 'Opaque, from `next_cursor`; the first page without it.' }),
  limit: z
    .string()
    .regex(/^([1-9]|[1-9][0-9]|100)$/)
    .optional()
    .openapi({ description: '1-100, default 20.' }),
});

const ActivityEvent = z
  .object({
    id: z.uuid(),
    at: z.iso.datetime(),
    action: z.enum([
      'signed_in',
      'sign_in_failed',
      'bound',
      'linked',
      'unbound',
      'deleted',
      'session_ended',
      'weibo_authorization_lost',
      'locked',
      'unlocked',
    ]),
    method: z
      .enum(['weibo', 'app', 'password'])
      .optional()
      .openapi({ description: 'How a sign-in (or a failed one) proved who it was.' }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    current_session: z
      .boolean()
      .openapi({ description: 'Written by the session that asks (its sign-in, say).' }),
  })
  .strict()
  .openapi('ActivityEvent');

const Activity = z
  .object({
    code: z.literal(200),
    events: z.array(ActivityEvent),
    next_cursor: z.string().nullable().openapi({ description: 'null on the last page.' }),
  })
  .strict()
  .openapi('Activity');

const activity = createRoute({
  method: 'get',
  path: '/users/me/activity',
  tags: ['Account'],
  summary: "The user's own security activity, newest first",
  security: BEARER,
  request: { query: ActivityQuery },
  responses: {
    200: { description: 'A page of entries.', content: json(Activity) },
    ...errorResponses(
      'INVALID_QUERY',
      'NOT_SIGNED_IN',
      'RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

/** Endpoint 14, mounted at `/v1`. */
export function activityRoutes(deps: ActivityRoutesDeps) {
  const app = openApiRouter<SignedInEnv>();
  app.use('/users/me/activity', signedIn(deps.authenticate));
  openapiQueryRoute(app, activity, async (c, query) => {
    const from = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const limit = Number(query.limit ?? 20);
    const page = await deps.listActivity.execute(c.get('user').id, limit, from);
    const current = c.get('sessionId');
    const events = page.entries.map((entry) => {
      const method = entry.detail.method;
      return {
        id: entry.id,
        at: entry.at.toISOString(),
        action: entry.action,
        ...(typeof method === 'string' && { method }),
        ip: entry.ip,
        user_agent: entry.userAgent,
        current_session: entry.sessionId !== null && entry.sessionId === current,
      };
    });
    const nextCursor = page.next && encodeCursor(page.next);
    return answerJson(c, { code: 200 as const, events, next_cursor: nextCursor }, 200);
  });
  return app;
}
