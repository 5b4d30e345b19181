import { createMiddleware } from 'hono/factory';
import type { Authenticate } from '../../application/authenticate.ts';
import type { UserProfile } from '../../domain/user-profile.ts';

export type SignedInEnv = { Variables: { user: UserProfile } };

/**
 * The one check of `Authorization: Bearer <login token>`: the route gets the typed user in
 * `c.get('user')`; any failure answers 401 10160 with `WWW-Authenticate: Bearer`.
 */
export function signedIn(authenticate: Authenticate) {
  return createMiddleware<SignedInEnv>(async (c, next) => {
    const token = /^Bearer +([^\s]+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    c.set('user', await authenticate.execute(token));
    await next();
  });
}

/** How the document says a route needs a login token. */
export const BEARER = [{ bearerAuth: [] }];
