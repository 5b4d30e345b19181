import type { EventPublisher, OutboxMessage } from '../../src/application/outbox-ports.ts';

/**
 * A broker in memory that records every call. A call carrying a poisoned event fails whole, as
 * a bulk add does; while held, calls wait, and a hold never released is a broker that hangs.
 */
export class FakeEventPublisher implements EventPublisher {
  /** The event ids of each call, in call order, failed ones included. */
  readonly calls: string[][] = [];
  /** The event ids delivered, in order. */
  readonly published: string[] = [];
  closed = false;
  private readonly poisoned = new Set<string>();
  private hold: PromiseWithResolvers<void> | null = null;

  /** Every later call that carries this event fails. */
  poison(id: string): void {
    this.poisoned.add(id);
  }

  /** Later calls wait until `release()`. */
  holdCalls(): void {
    this.hold = Promise.withResolvers<void>();
  }

  release(): void {
    this.hold?.resolve();
    this.hold = null;
  }

  async publish(messages: OutboxMessage[]): Promise<void> {
    this.calls.push(messages.map((message) => message.id));
    if (this.hold) await this.hold.promise;
    const poison = messages.find((message) => this.poisoned.has(message.id));
    if (poison) throw new Error(`poison event ${poison.id}`);
    this.published.push(...messages.map((message) => message.id));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
