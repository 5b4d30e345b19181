import type { MiddlewareHandler } from 'hono';
import { RateLimited } from '../../application/errors.ts';
import type { RateLimiter } from '../../application/ports.ts';
import { addressBucket, clientAddress } from './client-address.ts';

const MINUTE = 60;

/** At most `perMinute` requests per client address (IPv6 per /64); 0 turns the limit off. */
export function limitRequestsPerClient(options: {
  limiter: RateLimiter;
  perMinute: number;
  trustProxy: boolean;
}): MiddlewareHandler {
  return async (c, next) => {
    if (options.perMinute > 0 && c.req.method !== 'OPTIONS') {
      const address = clientAddress(c, options.trustProxy);
      // Only a request handed over without its socket (a test's app.request) has no address.
      const bucket = address === null ? 'no-socket' : addressBucket(address);
      const wait = await options.limiter.hit(`ip:${bucket}`, options.perMinute, MINUTE);
      if (wait > 0) throw new RateLimited(wait);
    }
    await next();
  };
}
