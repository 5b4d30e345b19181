import { RateLimiterUnavailable } from '../../application/errors.ts';
import type { Clock, RateLimiter, RatePlace } from '../../application/ports.ts';
import { refusedPlace, takenPlace } from '../../application/rate-places.ts';
import { fixedWindow, RATE_KEY_PREFIX } from './fixed-window.ts';
import type { RedisClient } from './redis-client.ts';

/** A DECR that never creates the counter (an expired one would come back without expiry). */
const GIVE_BACK = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0`;

type WithGiveBack = RedisClient & { rateGiveBack(counter: string): Promise<number> };

/**
 * Fixed-window counters shared by every instance: INCR, with the expiry set on first hit.
 * With Redis away it throws RateLimiterUnavailable; whether that lets the request through
 * is the caller's choice.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: WithGiveBack;

  constructor(
    redis: RedisClient,
    private readonly clock: Clock,
    private readonly keyPrefix = RATE_KEY_PREFIX,
  ) {
    if (!('rateGiveBack' in redis)) {
      redis.defineCommand('rateGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
    }
    this.redis = redis as WithGiveBack;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<number> {
    const { counter, wait } = fixedWindow(this.clock.now(), key, windowSeconds);
    return (await this.count(this.keyPrefix + counter, windowSeconds)) > limit ? wait : 0;
  }

  async take(key: string, limit: number, windowSeconds: number): Promise<RatePlace> {
    const { counter, wait } = fixedWindow(this.clock.now(), key, windowSeconds);
    const name = this.keyPrefix + counter;
    if ((await this.count(name, windowSeconds)) > limit) return refusedPlace(wait);
    return takenPlace(() => this.call(() => this.redis.rateGiveBack(name)));
  }

  /** Adds one to the counter and resolves its new value. */
  private async count(name: string, windowSeconds: number): Promise<number> {
    const results = await this.call(() =>
      this.redis.multi().incr(name).expire(name, windowSeconds, 'NX').exec(),
    );
    const [error, count] = results?.[0] ?? [null, null];
    if (error || typeof count !== 'number') {
      throw new RateLimiterUnavailable('Redis answered no count', { cause: error });
    }
    return count;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new RateLimiterUnavailable('Redis unavailable', { cause: error });
    }
  }
}
