import type { PendingLogin, RateCount, StateStore } from '../../application/ports.ts';
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
    state: string,
    pending: PendingLogin,
    ttlSeconds: number,
    count?: RateCount,
  ): Promise<number> {
    const wait = await this.inner.save(state, pending, ttlSeconds, count);
    if (wait === 0) this.metrics.countStateIssued();
    return wait;
  }

  consume(state: string): Promise<PendingLogin | null> {
    return this.inner.consume(state);
  }
}
