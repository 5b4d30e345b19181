import type { Context, MiddlewareHandler } from 'hono';
import { RateLimited, RateLimiterUnavailable } from '../../application/errors.ts';
import type { RateCount, RateLimiter } from '../../application/ports.ts';
import { addressBucket, clientAddress } from './client-address.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** Set for a route that counts its request with its own write (see `countedByRoute`). */
    rateCount: RateCount | undefined;
  }
}

const MINUTE = 60;

/**
 * At most `perMinute` requests per client address (IPv6 per /64); 0 turns the limit off.
 * A `GET` to a path of `countedByRoute` is counted by its route: it hands `c.get('rateCount')`
 * to the write it makes anyway (one round trip for both) and, once that write is done, says so
 * with `rateCounted(c)`. A request refused before its write (a bad query, a bad `return_to`)
 * is counted here afterwards, and answered 429 when over the limit, as if counted first.
 */
export function limitRequestsPerClient(options: {
  limiter: RateLimiter;
  perMinute: number;
  trustProxy: boolean;
  countedByRoute?: string[];
}): MiddlewareHandler {
  const countedByRoute = new Set(options.countedByRoute);
  return async (c, next) => {
    if (options.perMinute === 0 || c.req.method === 'OPTIONS') return next();
    const count: RateCount = {
      key: clientKey(c, options.trustProxy),
      limit: options.perMinute,
      windowSeconds: MINUTE,
    };
    const hit = async () => {
      const wait = await options.limiter
        .hit(count.key, count.limit, count.windowSeconds)
        .catch(openDuringOutage);
      if (wait > 0) throw new RateLimited(wait);
    };
    if (c.req.method !== 'GET' || !countedByRoute.has(c.req.path)) {
      await hit();
      return next();
    }
    c.set('rateCount', count);
    await next();
    // Over the limit, the route's write counted the request and refused it (RateLimited).
    if (c.get('rateCount') === count && !(c.error instanceof RateLimited)) await hit();
  };
}

/**
 * The per-client limit lets requests through while its store is away: what each route then
 * needs (Postgres for a signed-in read) decides, and every limit that guards a password check
 * or hash fails closed on its own (README, "Security").
 */
function openDuringOutage(error: unknown): number {
  if (error instanceof RateLimiterUnavailable) return 0;
  throw error;
}

/** Tells `limitRequestsPerClient` that the route's write counted the request. */
export function rateCounted(c: Context): void {
  c.set('rateCount', undefined);
}

function clientKey(c: Context, trustProxy: boolean): string {
  const address = clientAddress(c, trustProxy);
  // Only a request handed over without its socket (a test's app.request) has no address.
  return `ip:${address === null ? 'no-socket' : addressBucket(address)}`;
}
