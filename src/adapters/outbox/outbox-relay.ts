import type { Logger } from 'pino';
import type { EventPublisher, OutboxMessage } from '../../application/outbox-ports.ts';
import {
  BrokerUnavailable,
  type ClaimedMessage,
  type OutboxStore,
  type PublishOutcome,
} from '../../application/outbox-ports.ts';

export interface OutboxRelayOptions {
  batchSize: number;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A publish that takes longer counts as failed, so a batch never holds its locks for long. */
  publishTimeoutMs: number;
}

const DEFAULT_RELAY_OPTIONS: OutboxRelayOptions = {
  batchSize: 100,
  pollIntervalMs: 1_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  publishTimeoutMs: 5_000,
};

/**
 * Publishes committed outbox rows, at least once: claims a batch, publishes it and records the
 * outcome while the claim holds. A crash before the outcome is recorded leaves the rows to be
 * published again, which the publisher makes a no-op by event id.
 */
export class OutboxRelay {
  private running: Promise<void> | null = null;
  private pending = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions = DEFAULT_RELAY_OPTIONS,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.wake();
  }

  /** Drains the outbox now; a wake-up during a drain asks for one more pass after it. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.pending) {
        this.pending = false;
        this.wake();
      }
    });
  }

  /** Stops after the batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Claims, publishes and marks one batch; returns how many rows it claimed. */
  async relayBatch(): Promise<number> {
    return this.store.claim(this.options.batchSize, (messages) => this.relay(messages));
  }

  private async relay(messages: ClaimedMessage[]): Promise<PublishOutcome> {
    const failures = await this.publish(messages);
    const outcome: PublishOutcome = { published: [], failed: [] };
    for (const message of messages) {
      const error = failures.get(message.id);
      if (error === undefined) outcome.published.push(message.id);
      else
        outcome.failed.push({
          id: message.id,
          error: error.slice(0, 500),
          retryAfterMs: this.retryDelayMs(message.attempts + 1),
        });
    }
    if (failures.size > 0) {
      const [error] = failures.values();
      this.logger.warn({ failed: failures.size, error }, 'outbox events not published; will retry');
    }
    return outcome;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.relayBatch()) === this.options.batchSize) {}
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox relay pass failed; retrying on the next poll');
    }
  }

  /**
   * Publishes the batch. When it fails, each message is tried alone, so one bad event holds
   * back no other; but a timeout, or a broker that says it is unavailable (a replica did not
   * confirm), means all of them failed.
   */
  private async publish(messages: OutboxMessage[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    try {
      await this.publishInTime(messages);
    } catch (error) {
      for (const message of messages) {
        if (error instanceof PublishTimedOut || error instanceof BrokerUnavailable)
          failures.set(message.id, error.message);
        else
          await this.publishInTime([message]).catch((alone: unknown) => {
            failures.set(message.id, alone instanceof Error ? alone.message : String(alone));
          });
      }
    }
    return failures;
  }

  private async publishInTime(messages: OutboxMessage[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PublishTimedOut(this.options.publishTimeoutMs)),
        this.options.publishTimeoutMs,
      );
    });
    try {
      await Promise.race([this.publisher.publish(messages), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private retryDelayMs(attempt: number): number {
    return Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
  }
}

class PublishTimedOut extends Error {
  constructor(ms: number) {
    super(`publish timed out after ${ms} ms`);
  }
}
