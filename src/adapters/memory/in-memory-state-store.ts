import type {
  Clock,
  PendingLogin,
  RateCount,
  RateLimiter,
  SavedState,
  StateStore,
} from '../../application/ports.ts';

const DEFAULT_CAPACITY = 100_000;

/** Login states in this process: for a single instance without Redis, and for tests. */
export class InMemoryStateStore implements StateStore {
  private readonly entries = new Map<string, { pending: PendingLogin; expiresAt: number }>();

  /** `limiter` counts the requests `save` is given to count: the service's own limiter. */
  constructor(
    private readonly clock: Clock,
    private readonly options: { capacity?: number; limiter?: RateLimiter } = {},
  ) {}

  async save(
    state: string,
    pending: PendingLogin,
    ttlSeconds: number,
    count?: RateCount,
  ): Promise<SavedState> {
    if (count) {
      if (!this.options.limiter) throw new Error('InMemoryStateStore: no limiter to count with');
      const wait = await this.options.limiter.hit(count.key, count.limit, count.windowSeconds);
      if (wait > 0) return { state: null, wait };
    }
    this.evictExpired();
    if (this.entries.size >= (this.options.capacity ?? DEFAULT_CAPACITY)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const expiresAt = this.clock.now().getTime() + ttlSeconds * 1000;
    this.entries.set(state, { pending: structuredClone(pending), expiresAt });
    return { state, wait: 0 };
  }

  async consume(state: string): Promise<PendingLogin | null> {
    const entry = this.entries.get(state);
    this.entries.delete(state);
    if (!entry || entry.expiresAt <= this.clock.now().getTime()) return null;
    return entry.pending;
  }

  get size(): number {
    return this.entries.size;
  }

  // Entries share one lifetime, so insertion order is expiry order: stop at the first live one.
  private evictExpired(): void {
    const now = this.clock.now().getTime();
    for (const [state, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(state);
    }
  }
}
