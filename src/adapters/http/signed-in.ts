import { createMiddleware } from 'hono/factory';
import type { Authenticate } from '../../application/authenticate.ts';
import type { SignedInUser } from '../../application/session-ports.ts';
import type { SignedIn } from '../../application/sessions.ts';

export type SignedInEnv = {
  Variables: { user: SignedInUser['user']; weibo: SignedInUser['weibo']; sessionId: string };
};

/**
 * The one check of `Authorization: Bearer <login token>`: the route gets the typed user in
 * `c.get('user')`, the Weibo account bound to it in `c.get('weibo')` and its session in
 * `c.get('sessionId')`; any failure answers 401 10160 with `WWW-Authenticate: Bearer`.
 */
export function signedIn(authenticate: Authenticate) {
  return createMiddleware<SignedInEnv>(async (c, next) => {
    const token = /^Bearer +([^\s]+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const { user, weibo, sessionId } = await authenticate.execute(token);
    c.set('user', user);
    c.set('weibo', weibo);
    c.set('sessionId', sessionId);
    await next();
  });
}

/** The answer's fields for a sign-in: login token, refresh token and lifetime. */
export function signedInBody(signedIn: SignedIn) {
  const { username, token, refreshToken, expiresIn } = signedIn;
  return { username, token, refresh_token: refreshToken, expires_in: expiresIn };
}

/** How the document says a route needs a login token. */
export const BEARER = [{ bearerAuth: [] }];
