import type { Logger } from 'pino';
import type { EventPublisher, OutboxMessage } from '../../application/outbox-ports.ts';

/** Without Redis there is no queue to deliver to: each event is logged and counts as published. */
export class LoggingEventPublisher implements EventPublisher {
  constructor(private readonly logger: Logger) {}

  async publish(messages: OutboxMessage[]): Promise<void> {
    for (const message of messages) {
      this.logger.info({ event: message.envelope }, `event ${message.type} ${message.id}`);
    }
  }

  async close(): Promise<void> {}
}
