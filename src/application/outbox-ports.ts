import type { DomainEvent } from '../domain/events.ts';

/** Where a use case writes its events, in its unit of work's transaction. */
export interface Outbox {
  add(event: DomainEvent): Promise<void>;
}

/**
 * An outbox event as it leaves the service: its id, its type, its CloudEvents envelope, and the
 * W3C trace context of the request that wrote it (null when no trace was recorded).
 */
export interface OutboxMessage {
  id: string;
  type: string;
  envelope: object;
  trace?: TraceContext | null;
}

/** A W3C trace context as the `traceparent` and `tracestate` headers carry it. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** Delivers events to their consumers; publishing the same event id again is a no-op. */
export interface EventPublisher {
  publish(messages: OutboxMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** An unpublished outbox message, with how many publishes of it have failed so far. */
export interface ClaimedMessage extends OutboxMessage {
  attempts: number;
}

/** What became of a claimed batch: the ids published, and the ones to retry after a delay. */
export interface PublishOutcome {
  published: string[];
  failed: Array<{ id: string; error: string; retryAfterMs: number }>;
}

/** The outbox as the relay sees it; only storage lives here, the retry policy is the relay's. */
export interface OutboxStore {
  /**
   * Claims up to `limit` unpublished messages that are due, oldest first, skipping those another
   * claim holds; runs `work` on them and records its outcome before letting them go. If `work`
   * throws, nothing is recorded. Resolves how many it claimed; `work` is not run for none.
   * `retryAfterMs` counts from the store's own clock (the database's), as due-ness does.
   */
  claim(
    limit: number,
    work: (messages: ClaimedMessage[]) => Promise<PublishOutcome>,
  ): Promise<number>;
  /** Unpublished messages, and the age of the oldest in seconds (0 when there is none). */
  backlog(): Promise<{ unpublished: number; oldestAgeSeconds: number }>;
}

/**
 * Thrown by a publisher when the broker as a whole could not take a batch (not one bad message
 * of it): the relay retries the whole batch later, instead of message by message now.
 */
export class BrokerUnavailable extends Error {}
