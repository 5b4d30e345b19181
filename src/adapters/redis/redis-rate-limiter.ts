import type { Redis } from 'ioredis';
import type { Clock, RateLimiter } from '../../application/ports.ts';

/** Fixed-window counters shared by every instance: INCR, with the expiry set on first hit. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly keyPrefix = 'weibo-auth:rate:',
  ) {}

  async check(key: string, limit: number, windowSeconds: number): Promise<number> {
    const { now, window, counter } = this.windowOf(key, windowSeconds);
    const count = Number(await this.redis.get(counter).catch(() => 0));
    return count >= limit ? Math.ceil((window + 1) * windowSeconds - now) : 0;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<number> {
    const { now, window, counter } = this.windowOf(key, windowSeconds);
    // Limits are best effort: with Redis away the state store already refuses the request.
    const results = await this.redis
      .multi()
      .incr(counter)
      .expire(counter, windowSeconds, 'NX')
      .exec()
      .catch(() => null);
    const count = Number(results?.[0]?.[1] ?? 0);
    return count > limit ? Math.ceil((window + 1) * windowSeconds - now) : 0;
  }

  private windowOf(key: string, windowSeconds: number) {
    const now = this.clock.now().getTime() / 1000;
    const window = Math.floor(now / windowSeconds);
    return { now, window, counter: `${this.keyPrefix}${key}:${window}` };
  }
}
