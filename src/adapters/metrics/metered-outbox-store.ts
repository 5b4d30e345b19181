import type {
  ClaimedMessage,
  OutboxStore,
  PublishOutcome,
} from '../../application/outbox-ports.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/**
 * Counts the events each claim published and failed, once the store has recorded the outcome:
 * a claim whose outcome is not committed is relayed again, and would otherwise count twice.
 */
export class MeteredOutboxStore implements OutboxStore {
  constructor(
    private readonly inner: OutboxStore,
    private readonly metrics: ServiceMetrics,
  ) {}

  async claim(
    limit: number,
    work: (messages: ClaimedMessage[]) => Promise<PublishOutcome>,
  ): Promise<number> {
    const outcomes: PublishOutcome[] = [];
    const claimed = await this.inner.claim(limit, async (messages) => {
      const outcome = await work(messages);
      outcomes.push(outcome);
      return outcome;
    });
    for (const { published, failed } of outcomes) {
      this.metrics.countOutboxOutcome(published.length, failed.length);
    }
    return claimed;
  }

  backlog(): Promise<{ unpublished: number; oldestAgeSeconds: number }> {
    return this.inner.backlog();
  }
}
