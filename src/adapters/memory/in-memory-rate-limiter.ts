import type { Clock, RateLimiter, RatePlace } from '../../application/ports.ts';
import { refusedPlace, takenPlace } from '../../application/rate-places.ts';

const SWEEP_EVERY = 1_000;

interface Counter {
  count: number;
  endsAt: number;
}

/** Fixed-window counters of this process only: for a single instance without Redis. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, Counter>();
  private hits = 0;

  constructor(private readonly clock: Clock) {}

  async hit(key: string, limit: number, windowSeconds: number): Promise<number> {
    return this.count(key, limit, windowSeconds).wait;
  }

  async take(key: string, limit: number, windowSeconds: number): Promise<RatePlace> {
    const { counter, wait } = this.count(key, limit, windowSeconds);
    if (wait > 0) return refusedPlace(wait);
    return takenPlace(async () => {
      counter.count -= 1;
    });
  }

  /** Counts one attempt, synchronously: no other attempt can come between count and compare. */
  private count(key: string, limit: number, windowSeconds: number) {
    const now = this.clock.now().getTime() / 1000;
    if (++this.hits % SWEEP_EVERY === 0) this.sweep(now);
    const window = Math.floor(now / windowSeconds);
    const id = `${key}:${windowSeconds}:${window}`;
    const counter = this.counters.get(id) ?? { count: 0, endsAt: (window + 1) * windowSeconds };
    counter.count += 1;
    this.counters.set(id, counter);
    return { counter, wait: counter.count > limit ? Math.ceil(counter.endsAt - now) : 0 };
  }

  private sweep(now: number): void {
    for (const [id, counter] of this.counters) {
      if (counter.endsAt <= now) this.counters.delete(id);
    }
  }
}
