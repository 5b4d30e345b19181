import type { Logger } from 'pino';
import { BullMqEventPublisher } from '../adapters/outbox/bullmq-event-publisher.ts';
import { LoggingEventPublisher } from '../adapters/outbox/logging-event-publisher.ts';
import { OutboxRelay, type OutboxRelayOptions } from '../adapters/outbox/outbox-relay.ts';
import { OUTBOX_CHANNEL } from '../adapters/persistence/kysely-outbox.ts';
import type { Config } from './config.ts';
import type { OpenDatabase } from './database.ts';
import { createRedis, whenReady } from './redis.ts';

export interface RunningRelay {
  publishesTo: string;
  stop(): Promise<void>;
}

/** The relay with its publisher (BullMQ, or the log without Redis) and its LISTEN wake-up. */
export async function startOutboxRelay(
  config: Config,
  database: OpenDatabase,
  logger: Logger,
  options?: OutboxRelayOptions,
): Promise<RunningRelay> {
  const connection = config.redisUrl ? createRedis(config.redisUrl, logger) : null;
  if (connection) await whenReady(connection, 5_000);
  const publisher = connection
    ? new BullMqEventPublisher(connection, config.outboxQueues, logger)
    : new LoggingEventPublisher(logger);
  const relay = new OutboxRelay(database.db, publisher, logger, options);
  const listener = database.listen(OUTBOX_CHANNEL, () => relay.wake());
  relay.start();
  return {
    publishesTo: connection ? `BullMQ queues ${config.outboxQueues.join(', ')}` : 'the log',
    async stop() {
      await listener.close();
      await relay.stop();
      await publisher.close();
    },
  };
}
