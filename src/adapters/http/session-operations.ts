import { createRoute, z } from '@hono/zod-openapi';
import { Done } from './account-schemas.ts';
import { documentedJsonBody, errorResponses, json } from './openapi.ts';
import { AccountBound } from './schemas.ts';
import { BEARER } from './signed-in.ts';

const tags = ['Sessions'];

export const RefreshTokenBody = z
  .object({ refresh_token: z.string() })
  .openapi('RefreshTokenBody', { description: 'A refresh token from a sign-in or a refresh.' });

export const SessionList = z
  .object({
    code: z.literal(200),
    sessions: z.array(
      z
        .object({
          id: z.uuid(),
          created_at: z.iso.datetime(),
          last_used_at: z.iso.datetime(),
          user_agent: z.string().nullable(),
          current: z.boolean().openapi({ description: "The session of this request's token." }),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi('SessionList');

export const refresh = createRoute({
  method: 'post',
  path: '/tokens/refresh',
  tags,
  summary: 'A new login token and refresh token for a refresh token (it works once)',
  description:
    'A refresh token presented a second time revokes its whole session: the newer tokens die too.',
  request: { body: documentedJsonBody('RefreshTokenBody') },
  responses: {
    200: {
      description: 'A new pair; the old refresh token is used up.',
      content: json(AccountBound),
    },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'SESSION_EXPIRED',
      'RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

export const revoke = createRoute({
  method: 'post',
  path: '/tokens/revoke',
  tags,
  summary: "Sign out: ends the refresh token's session (200 for an unknown token too)",
  request: { body: documentedJsonBody('RefreshTokenBody') },
  responses: {
    200: { description: 'Ended, if it was live.', content: json(Done) },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

const signedInErrors = [
  'INVALID_QUERY',
  'NOT_SIGNED_IN',
  'RATE_LIMITED',
  'STORAGE_UNAVAILABLE',
  'UNEXPECTED',
] as const;

export const listSessions = createRoute({
  method: 'get',
  path: '/users/me/sessions',
  tags,
  summary: "The signed-in user's live sessions",
  security: BEARER,
  responses: {
    200: { description: 'Newest first.', content: json(SessionList) },
    ...errorResponses(...signedInErrors),
  },
});

export const endSession = createRoute({
  method: 'delete',
  path: '/users/me/sessions/{id}',
  tags,
  summary: "Ends one of the user's sessions",
  security: BEARER,
  request: { params: z.object({ id: z.string().openapi({ description: 'A session id.' }) }) },
  responses: {
    200: { description: 'Ended: its login tokens are refused at once.', content: json(Done) },
    404: { $ref: '#/components/responses/NotFound' },
    ...errorResponses(...signedInErrors),
  },
});

export const endAllSessions = createRoute({
  method: 'delete',
  path: '/users/me/sessions',
  tags,
  summary: 'Sign out everywhere: ends every session of the user, this one included',
  security: BEARER,
  responses: {
    200: { description: 'Ended.', content: json(Done) },
    ...errorResponses(...signedInErrors),
  },
});
