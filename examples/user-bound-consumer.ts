/**
 * An example consumer of weibo-auth's events: a BullMQ Worker on the queue weibo-auth
 * publishes to, handling UserBoundToWeibo, UserUnboundFromWeibo and UserDeleted idempotently
 * by event id.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 QUEUE=weibo-auth-events npx tsx examples/user-bound-consumer.ts
 *   REDIS_CLUSTER_NODES=redis-0:6379,redis-1:6379 QUEUE=weibo-auth-events npx tsx examples/user-bound-consumer.ts
 *
 * Use the service's BullMQ prefix (BULLMQ_PREFIX): `{bull}` when it runs on a Redis Cluster.
 */
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Job, Worker } from 'bullmq';
import { Cluster, Redis } from 'ioredis';

/** The CloudEvents 1.0 envelope every event comes in; `subject` is the user id. */
interface Envelope<Type extends string, Data> {
  specversion: '1.0';
  id: string;
  source: 'weibo-auth';
  type: Type;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Data;
  /** The trace of the request that wrote the event, when the service traces (W3C). */
  traceparent?: string;
  tracestate?: string;
}

export type UserBoundToWeibo = Envelope<
  'UserBoundToWeibo',
  { userId: string; username: string; weiboUid: string; boundAt: string }
>;
export type UserUnboundFromWeibo = Envelope<
  'UserUnboundFromWeibo',
  { userId: string; username: string; weiboUid: string; unboundAt: string }
>;
/** `weiboUid` is null when no Weibo account was bound to the user when it was deleted. */
export type UserDeleted = Envelope<
  'UserDeleted',
  { userId: string; username: string; weiboUid: string | null; deletedAt: string }
>;
export type WeiboAuthEvent = UserBoundToWeibo | UserUnboundFromWeibo | UserDeleted;

/** A handler per event type; a type without one (or one added later) is acknowledged unhandled. */
export type EventHandlers = {
  [Type in WeiboAuthEvent['type']]?: (
    event: Extract<WeiboAuthEvent, { type: Type }>,
  ) => Promise<void>;
};

const PROCESSED_TTL_SECONDS = 30 * 24 * 3600;
const tracer = trace.getTracer('weibo-auth-example-consumer');

/**
 * Delivery is at least once, so the same event id can arrive twice: the worker remembers the
 * ids it has handled (here in Redis; in a real service, in the same transaction as its own
 * write) and skips them. A handler that throws leaves the id unmarked, so BullMQ's retry runs it
 * again. Each job runs in a span that continues the trace its event carries.
 */
export function consumeWeiboAuthEvents(options: {
  /** One Redis server; or give `connection` (Sentinel, Cluster), which is closed with the worker. */
  redisUrl?: string;
  connection?: Redis | Cluster;
  queue: string;
  /** The service's BULLMQ_PREFIX (BullMQ's own `bull` when unset). */
  prefix?: string;
  handlers: EventHandlers;
}): { close(): Promise<void> } {
  // Workers block on Redis, which needs maxRetriesPerRequest: null.
  const connection =
    options.connection ?? new Redis(options.redisUrl ?? '', { maxRetriesPerRequest: null });
  const processedKey = (id: string) => `${options.queue}:processed:${id}`;
  const handleJob = async (job: Job) => {
    const type = job.name as WeiboAuthEvent['type'];
    // Own properties only: a job named `toString` must not run Object.prototype's.
    const handle = Object.hasOwn(options.handlers, type) ? options.handlers[type] : undefined;
    if (!handle) return 'ignored';
    const event = job.data as WeiboAuthEvent;
    if (await connection.exists(processedKey(event.id))) return 'duplicate';
    // The job name is the event type, so `event` is the type `handle` takes.
    await (handle as (event: WeiboAuthEvent) => Promise<void>)(event);
    await connection.set(processedKey(event.id), '1', 'EX', PROCESSED_TTL_SECONDS);
    return 'handled';
  };
  const worker = new Worker(
    options.queue,
    (job) => {
      // The CloudEvents distributed-tracing extension: this job joins the request's trace.
      const { traceparent, tracestate } = job.data as WeiboAuthEvent;
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent, tracestate });
      const attributes = {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': options.queue,
        'messaging.message.id': job.id ?? '',
        'cloudevents.event_type': job.name,
      };
      const name = `process ${options.queue}`;
      return tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent, (span) =>
        handleJob(job)
          .then((outcome) => {
            span.setAttribute('weibo_auth.outcome', outcome);
            return outcome;
          })
          .catch((error: Error) => {
            span.recordException(error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw error;
          })
          .finally(() => span.end()),
      );
    },
    { connection, prefix: options.prefix },
  );
  worker.on('error', (error) => console.error('worker error', error.message));
  return {
    async close() {
      await worker.close();
      await connection.quit();
    },
  };
}

/** The same worker for a consumer that only cares about binds. */
export function consumeUserBoundEvents(options: {
  redisUrl?: string;
  connection?: Redis | Cluster;
  queue: string;
  prefix?: string;
  handle: (event: UserBoundToWeibo) => Promise<void>;
}): { close(): Promise<void> } {
  return consumeWeiboAuthEvents({ ...options, handlers: { UserBoundToWeibo: options.handle } });
}

if (import.meta.main) {
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, its spans go to the same collector as the service's.
  const tracing =
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      ? new (await import('@opentelemetry/sdk-node')).NodeSDK({
          serviceName: process.env.OTEL_SERVICE_NAME ? undefined : 'user-bound-consumer',
          metricReaders: [],
          logRecordProcessors: [],
        })
      : undefined;
  tracing?.start();
  const clusterNodes = process.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean) ?? [];
  const consumer = consumeWeiboAuthEvents({
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    connection: clusterNodes.length
      ? new Cluster(clusterNodes, { redisOptions: { maxRetriesPerRequest: null } })
      : undefined,
    queue: process.env.QUEUE ?? 'weibo-auth-events',
    prefix: process.env.BULLMQ_PREFIX || (clusterNodes.length ? '{bull}' : undefined),
    handlers: {
      UserBoundToWeibo: async ({ id, data }) => {
        console.log(`user ${data.username} bound Weibo ${data.weiboUid} (${id})`);
      },
      UserUnboundFromWeibo: async ({ id, data }) => {
        console.log(`user ${data.username} unbound Weibo ${data.weiboUid} (${id})`);
      },
      UserDeleted: async ({ id, data }) => {
        const weibo = data.weiboUid ? `, Weibo ${data.weiboUid} with it` : '';
        console.log(`user ${data.username} deleted${weibo}: forget them (${id})`);
      },
    },
  });
  const stop = () => void consumer.close().then(() => tracing?.shutdown());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
