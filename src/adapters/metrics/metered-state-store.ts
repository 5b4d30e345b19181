import type { PendingLogin, RateCount, SavedState, StateStore } from '../../application/ports.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/**
 * Counts the login state nonces issued. Refusals are not counted here: a state from another
 * browser is refused by the use case after `consume` returned it, so they are all counted where
 * every one is seen, at the HTTP edge (`httpMetrics`, once per 10151 answer).
 */
export class MeteredStateStore implements StateStore {
  constructor(
    private readonly inner: StateStore,
    private readonly metrics: ServiceMetrics,
  ) {}

  async save(
    nonce: string,
    pending: PendingLogin,
    ttlSeconds: number,
    count?: RateCount,
  ): Promise<SavedState> {
    const saved = await this.inner.save(nonce, pending, ttlSeconds, count);
    if (saved.state !== null) this.metrics.countStateIssued();
    return saved;
  }

  consume(state: string): Promise<PendingLogin | null> {
    return this.inner.consume(state);
  }
}
