import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EventPublisher, OutboxMessage } from '../../application/ports.ts';

const DAY = 24 * 3600;

/** Completed jobs are kept a week, so a re-publish within that time finds its jobId and is a no-op. */
const JOB_RETENTION = {
  removeOnComplete: { age: 7 * DAY },
  removeOnFail: { age: 30 * DAY },
};

/** One BullMQ job per event in every queue: name = event type, jobId = event id. */
export class BullMqEventPublisher implements EventPublisher {
  private readonly queues: Queue[];

  /** `connection` is this publisher's own; it is closed with the publisher. */
  constructor(
    private readonly connection: Redis,
    queueNames: string[],
    logger: Logger,
    prefix?: string,
  ) {
    this.queues = queueNames.map((name) => {
      const queue = new Queue(name, { connection, prefix });
      queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'BullMQ queue error'));
      return queue;
    });
  }

  async publish(messages: OutboxMessage[]): Promise<void> {
    const jobs = messages.map((message) => ({
      name: message.type,
      data: message.envelope,
      opts: { jobId: message.id, ...JOB_RETENTION },
    }));
    await Promise.all(this.queues.map((queue) => queue.addBulk(jobs)));
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
    // BullMQ never closes a connection it was given.
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
