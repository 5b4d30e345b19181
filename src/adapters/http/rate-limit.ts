import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { RateLimited } from '../../application/errors.ts';
import type { RateLimiter } from '../../application/ports.ts';

const MINUTE = 60;

/** At most `perMinute` requests per client IP; 0 turns the limit off. */
export function limitRequestsPerClient(options: {
  limiter: RateLimiter;
  perMinute: number;
  trustProxy: boolean;
}): MiddlewareHandler {
  return async (c, next) => {
    if (options.perMinute > 0 && c.req.method !== 'OPTIONS') {
      const ip = clientIp(c, options.trustProxy);
      const wait = await options.limiter.hit(`ip:${ip}`, options.perMinute, MINUTE);
      if (wait > 0) throw new RateLimited(wait);
    }
    await next();
  };
}

function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The last hop is the one our own load balancer appended; earlier ones are the client's word.
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
