import type { Clock, RateLimiter } from '../../application/ports.ts';

const SWEEP_EVERY = 1_000;

/** Fixed-window counters of this process only: for a single instance without Redis. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { count: number; endsAt: number }>();
  private hits = 0;

  constructor(private readonly clock: Clock) {}

  async check(key: string, limit: number, windowSeconds: number): Promise<number> {
    const now = this.clock.now().getTime() / 1000;
    const window = Math.floor(now / windowSeconds);
    const counter = this.counters.get(`${key}:${windowSeconds}:${window}`);
    return counter && counter.count >= limit ? Math.ceil(counter.endsAt - now) : 0;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<number> {
    const now = this.clock.now().getTime() / 1000;
    if (++this.hits % SWEEP_EVERY === 0) this.sweep(now);
    const window = Math.floor(now / windowSeconds);
    const id = `${key}:${windowSeconds}:${window}`;
    const counter = this.counters.get(id) ?? { count: 0, endsAt: (window + 1) * windowSeconds };
    counter.count += 1;
    this.counters.set(id, counter);
    return counter.count > limit ? Math.ceil(counter.endsAt - now) : 0;
  }

  private sweep(now: number): void {
    for (const [id, counter] of this.counters) {
      if (counter.endsAt <= now) this.counters.delete(id);
    }
  }
}
