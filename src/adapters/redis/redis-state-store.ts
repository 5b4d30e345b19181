import { StateStoreUnavailable } from '../../application/errors.ts';
import type {
  Clock,
  PendingLogin,
  RateCount,
  SavedState,
  StateStore,
} from '../../application/ports.ts';
import { fixedWindow, RATE_KEY_PREFIX, ROUTING_TAG_LENGTH } from './fixed-window.ts';
import type { RedisClient } from './redis-client.ts';

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

type WithCountThenSet = RedisClient & {
  countThenSet(...args: [string, string, number, number, string, number]): Promise<number>;
};

/**
 * Login states in Redis: SET with EX, consumed once with GETDEL. A state's key carries its
 * first characters as a hash tag. A state saved with a count is the nonce behind its counter's
 * routing tag, so the counter and the state share a slot (Redis Cluster runs a script only
 * on keys of one slot); `consume` finds the key from the state alone.
 */
export class RedisStateStore implements StateStore {
  private readonly redis: WithCountThenSet;
  private readonly keyPrefix: string;
  private readonly ratePrefix: string;

  constructor(
    redis: RedisClient,
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
    nonce: string,
    pending: PendingLogin,
    ttlSeconds: number,
    count?: RateCount,
  ): Promise<SavedState> {
    const value = JSON.stringify(pending);
    if (!count) {
      await this.call(() => this.redis.set(this.key(nonce), value, 'EX', ttlSeconds));
      return { state: nonce, wait: 0 };
    }
    const { counter, tag, wait } = fixedWindow(this.clock.now(), count.key, count.windowSeconds);
    const state = tag + nonce;
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
    return saved === 1 ? { state, wait: 0 } : { state: null, wait };
  }

  async consume(state: string): Promise<PendingLogin | null> {
    const stored = await this.call(() => this.redis.getdel(this.key(state)));
    return stored === null ? null : (JSON.parse(stored) as PendingLogin);
  }

  private key(state: string): string {
    return `${this.keyPrefix}{${state.slice(0, ROUTING_TAG_LENGTH)}}:${state}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StateStoreUnavailable('Redis unavailable', { cause: error });
    }
  }
}
