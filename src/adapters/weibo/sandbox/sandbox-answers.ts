import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** What the sandbox grants, as Weibo does: five years. */
export const TOKEN_LIFETIME_SECONDS = 157679999;

/** OAuth endpoints explain their errors; the /2/ API names them only. */
export function weiboError(
  c: Context,
  status: ContentfulStatusCode,
  errorCode: number,
  error: string,
  description = error,
): Response {
  const { path } = c.req;
  const body = { error, error_code: errorCode, request: path };
  if (!path.includes('/oauth2/')) return weiboJson(c, status, body);
  return weiboJson(c, status, { ...body, error_uri: path, error_description: description });
}

export function weiboJson(c: Context, status: ContentfulStatusCode, body: object): Response {
  return c.body(JSON.stringify(body), status, { 'Content-Type': 'text/plain;charset=UTF-8' });
}
