import type { Redis } from 'ioredis';
import { StateStoreUnavailable } from '../../application/errors.ts';
import type { Clock, PendingLogin, RateCount, StateStore } from '../../application/ports.ts';
import { fixedWindow, RATE_KEY_PREFIX } from './fixed-window.ts';

/**
 * Counts the request as RedisRateLimiter.hit does (INCR, expiry on the first hit) and, under
 * the limit, saves the state: one round trip. KEYS: counter, state. ARGV: window seconds,
 * limit, pending login, state lifetime. Returns 1 when saved, 0 when over the limit.
 */
const COUNT_THEN_SET = `
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
if count > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return 1`;

type WithCountThenSet = Redis & {
  countThenSet(...args: [string, string, number, number, string, number]): Promise<number>;
};

/** Login states in Redis: SET with EX, consumed once with GETDEL. */
export class RedisStateStore implements StateStore {
  private readonly redis: WithCountThenSet;
  private readonly keyPrefix: string;
  private readonly ratePrefix: string;

  constructor(
    redis: Redis,
    private readonly clock: Clock,
    prefixes: { keyPrefix?: string; ratePrefix?: string } = {},
  ) {
    // Sent as EVALSHA, and as EVAL when Redis does not know the script yet.
    if (!('countThenSet' in redis)) {
      redis.defineCommand('countThenSet', { numberOfKeys: 2, lua: COUNT_THEN_SET });
    }
    this.redis = redis as WithCountThenSet;
    this.keyPrefix = prefixes.keyPrefix ?? 'weibo-auth:state:';
    this.ratePrefix = prefixes.ratePrefix ?? RATE_KEY_PREFIX;
  }

  async save(
    state: string,
    pending: PendingLogin,
    ttlSeconds: number,
    count?: RateCount,
  ): Promise<number> {
    const value = JSON.stringify(pending);
    if (!count) {
      await this.call(() => this.redis.set(this.key(state), value, 'EX', ttlSeconds));
      return 0;
    }
    const { counter, wait } = fixedWindow(this.clock.now(), count.key, count.windowSeconds);
    const saved = await this.call(() =>
      this.redis.countThenSet(
        this.ratePrefix + counter,
        this.key(state),
        count.windowSeconds,
        count.limit,
        value,
        ttlSeconds,
      ),
    );
    return saved === 1 ? 0 : wait;
  }

  async consume(state: string): Promise<PendingLogin | null> {
    const stored = await this.call(() => this.redis.getdel(this.key(state)));
    return stored === null ? null : (JSON.parse(stored) as PendingLogin);
  }

  private key(state: string): string {
    return `${this.keyPrefix}${state}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StateStoreUnavailable('Redis unavailable', { cause: error });
    }
  }
}
