import type { Clock, PendingLogin, StateStore } from '../../application/ports.ts';

const DEFAULT_CAPACITY = 100_000;

/** Login states in this process: for a single instance without Redis, and for tests. */
export class InMemoryStateStore implements StateStore {
  private readonly entries = new Map<string, { pending: PendingLogin; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async save(state: string, pending: PendingLogin, ttlSeconds: number): Promise<void> {
    this.evictExpired();
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const expiresAt = this.clock.now().getTime() + ttlSeconds * 1000;
    this.entries.set(state, { pending: structuredClone(pending), expiresAt });
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
