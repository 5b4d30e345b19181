import type { Redis } from 'ioredis';
import type { Clock, RateLimiter } from '../../application/ports.ts';
import { fixedWindow, RATE_KEY_PREFIX } from './fixed-window.ts';

/** Fixed-window counters shared by every instance: INCR, with the expiry set on first hit. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly keyPrefix = RATE_KEY_PREFIX,
  ) {}

  async check(key: string, limit: number, windowSeconds: number): Promise<number> {
    const { counter, wait } = fixedWindow(this.clock.now(), key, windowSeconds);
    const count = Number(await this.redis.get(this.keyPrefix + counter).catch(() => 0));
    return count >= limit ? wait : 0;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<number> {
    const { counter, wait } = fixedWindow(this.clock.now(), key, windowSeconds);
    // Limits are best effort: with Redis away the state store already refuses the request.
    const results = await this.redis
      .multi()
      .incr(this.keyPrefix + counter)
      .expire(this.keyPrefix + counter, windowSeconds, 'NX')
      .exec()
      .catch(() => null);
    const count = Number(results?.[0]?.[1] ?? 0);
    return count > limit ? wait : 0;
  }
}
