import type { Logger } from 'pino';
import type { Authenticate } from '../../application/authenticate.ts';
import type { Sessions } from '../../application/sessions.ts';
import { RefreshTokenReused } from '../../domain/errors.ts';
import { requesterOf } from './client-address.ts';
import { errorBody, errorStatus } from './error-mapping.ts';
import { readJsonObject } from './json-body.ts';
import { openApiRouter } from './openapi.ts';
import { answerJson } from './response-headers.ts';
import {
  endAllSessions,
  endSession,
  listSessions,
  RefreshTokenBody,
  refresh,
  revoke,
} from './session-operations.ts';
import { type SignedInEnv, signedIn, signedInBody } from './signed-in.ts';

const MAX_BODY_BYTES = 16 * 1024;

export interface SessionRoutesDeps {
  logger: Logger;
  authenticate: Authenticate;
  sessions: Sessions;
  /** Take the client's IP from `X-Forwarded-For`, as the rate limiter does. */
  trustProxy: boolean;
}

/** Refresh, sign-out and the session list (SPEC endpoints 10 and 11), mounted at `/v1`. */
export function sessionRoutes(deps: SessionRoutesDeps) {
  const app = openApiRouter<SignedInEnv>();
  app.openAPIRegistry.register('RefreshTokenBody', RefreshTokenBody);
  const auth = signedIn(deps.authenticate);
  app.use('/users/me/sessions', auth);
  app.use('/users/me/sessions/*', auth);

  app.openapi(refresh, async (c) => {
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    try {
      const requester = requesterOf(c, deps.trustProxy);
      const refreshed = await deps.sessions.refresh(body.refresh_token, requester);
      return answerJson(c, { code: 200 as const, ...signedInBody(refreshed) }, 200);
    } catch (error) {
      if (error instanceof RefreshTokenReused) {
        const { userId, sessionId } = error;
        deps.logger.warn({ userId, sessionId }, 'refresh token reused: session revoked');
      }
      throw error;
    }
  });

  app.openapi(revoke, async (c) => {
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    await deps.sessions.revoke(body.refresh_token, requesterOf(c, deps.trustProxy));
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(listSessions, async (c) => {
    const current = c.get('sessionId');
    const sessions = (await deps.sessions.list(c.get('user').id)).map((session) => ({
      id: session.id,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastUsedAt.toISOString(),
      user_agent: session.userAgent,
      current: session.id === current,
    }));
    return answerJson(c, { code: 200 as const, sessions }, 200);
  });

  app.openapi(endSession, async (c) => {
    const requester = requesterOf(c, deps.trustProxy, c.get('sessionId'));
    const ended = await deps.sessions.end(c.get('user').id, c.req.valid('param').id, requester);
    if (!ended) return answerJson(c, errorBody('NOT_FOUND'), errorStatus('NOT_FOUND') as 404);
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(endAllSessions, async (c) => {
    const requester = requesterOf(c, deps.trustProxy, c.get('sessionId'));
    await deps.sessions.endAll(c.get('user').id, requester);
    return answerJson(c, { code: 200 as const }, 200);
  });
  return app;
}
