import type { Clock } from '../../application/ports.ts';
import type { WeiboPause } from '../../application/weibo-ports.ts';
import type { RedisClient } from './redis-client.ts';

export const WEIBO_PAUSE_KEY = 'weibo-auth:weibo-pause';
/** How long an instance trusts "no pause" before asking Redis again. */
const RECHECK_MS = 1_000;

/**
 * The pause in Redis, so every instance honours it. Each instance asks Redis at most once a
 * second, so a Weibo call costs no round trip; a pause another instance started is seen within
 * that second. With Redis away it knows only the pauses it started itself.
 */
export class RedisWeiboPause implements WeiboPause {
  private until = 0;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly key = WEIBO_PAUSE_KEY,
  ) {}

  async secondsLeft(): Promise<number> {
    const now = this.clock.now().getTime();
    if (this.until <= now && now - this.checkedAt >= RECHECK_MS) {
      this.checkedAt = now;
      const leftMs = await this.redis.pttl(this.key).catch(() => -2);
      if (leftMs > 0) this.until = now + leftMs;
    }
    return Math.max(0, Math.ceil((this.until - now) / 1000));
  }

  async start(seconds: number): Promise<void> {
    this.until = Math.max(this.until, this.clock.now().getTime() + seconds * 1000);
    await this.redis.set(this.key, '1', 'PX', seconds * 1000).catch(() => undefined);
  }
}
