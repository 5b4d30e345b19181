import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { EventPublisher, OutboxMessage } from '../../application/outbox-ports.ts';
import type { RedisClient } from '../redis/redis-client.ts';
import { ReplicaAcknowledgement } from '../redis/replica-acknowledgement.ts';

const DAY = 24 * 3600;

/** Completed jobs are kept a week, so a re-publish within that time finds its jobId and is a no-op. */
const JOB_RETENTION = {
  removeOnComplete: { age: 7 * DAY },
  removeOnFail: { age: 30 * DAY },
};

/**
 * One BullMQ job per event in every queue: name = event type, jobId = event id. A publish
 * resolves once a replica has the jobs too (when the primary has replicas), so a failover
 * cannot lose a job whose outbox row is then marked published.
 */
export class BullMqEventPublisher implements EventPublisher {
  private readonly queues: Queue[];
  private readonly queueKeys: string[];
  private readonly replicas: ReplicaAcknowledgement;

  /** `connection` is this publisher's own; it is closed with the publisher. */
  constructor(
    private readonly connection: RedisClient,
    queueNames: string[],
    logger: Logger,
    prefix = 'bull',
    options: { replicationTimeoutMs?: number } = {},
  ) {
    this.replicas = new ReplicaAcknowledgement(connection, options.replicationTimeoutMs);
    this.queueKeys = queueNames.map((name) => `${prefix}:${name}:id`);
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
    await this.replicas.confirm(this.queueKeys);
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
    // BullMQ never closes a connection it was given.
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
