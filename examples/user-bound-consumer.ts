/**
 * An example consumer of weibo-auth's events: a BullMQ Worker on the queue weibo-auth
 * publishes to, handling UserBoundToWeibo idempotently by event id.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 QUEUE=weibo-auth-events npx tsx examples/user-bound-consumer.ts
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

export interface UserBoundToWeibo {
  specversion: '1.0';
  id: string;
  source: 'weibo-auth';
  type: 'UserBoundToWeibo';
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: { userId: string; username: string; weiboUid: string; boundAt: string };
}

const PROCESSED_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Delivery is at least once, so the same event id can arrive twice: the worker remembers the
 * ids it has handled (here in Redis; in a real service, in the same transaction as its own
 * write) and skips them.
 */
export function consumeUserBoundEvents(options: {
  redisUrl: string;
  queue: string;
  handle: (event: UserBoundToWeibo) => Promise<void>;
}): { close(): Promise<void> } {
  // Workers block on Redis, which needs maxRetriesPerRequest: null.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const processedKey = (id: string) => `${options.queue}:processed:${id}`;
  const worker = new Worker(
    options.queue,
    async (job) => {
      if (job.name !== 'UserBoundToWeibo') return 'ignored';
      const event = job.data as UserBoundToWeibo;
      if (await connection.exists(processedKey(event.id))) return 'duplicate';
      await options.handle(event);
      await connection.set(processedKey(event.id), '1', 'EX', PROCESSED_TTL_SECONDS);
      return 'handled';
    },
    { connection },
  );
  worker.on('error', (error) => console.error('worker error', error.message));
  return {
    async close() {
      await worker.close();
      await connection.quit();
    },
  };
}

if (import.meta.main) {
  const consumer = consumeUserBoundEvents({
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queue: process.env.QUEUE ?? 'weibo-auth-events',
    handle: async (event) => {
      console.log(`user ${event.data.username} bound Weibo ${event.data.weiboUid} (${event.id})`);
    },
  });
  process.once('SIGINT', () => void consumer.close());
  process.once('SIGTERM', () => void consumer.close());
}
