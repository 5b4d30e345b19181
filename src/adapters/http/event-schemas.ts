import { z } from '@hono/zod-openapi';
import type { DomainEvent } from '../../domain/events.ts';

const instant = z.iso.datetime().openapi({ example: '2026-11-23T08:00:00.000Z' });

/** The `data` of each event type: `tsc` fails until a new domain event type has its entry. */
const EVENT_DATA = {
  UserBoundToWeibo: z.object({
    userId: z.uuid(),
    username: z.string(),
    weiboUid: z.string(),
    boundAt: instant,
  }),
  UserUnboundFromWeibo: z.object({
    userId: z.uuid(),
    username: z.string(),
    weiboUid: z.string(),
    unboundAt: instant,
    by: z.enum(['user', 'admin']).openapi({ description: 'Who unbound it.' }),
  }),
  UserDeleted: z.object({
    userId: z.uuid(),
    username: z.string(),
    weiboUid: z
      .string()
      .nullable()
      .openapi({ description: 'null when no Weibo account was bound.' }),
    deletedAt: instant,
  }),
  UserLocked: z.object({ userId: z.uuid(), username: z.string(), lockedAt: instant }),
  UserUnlocked: z.object({ userId: z.uuid(), username: z.string(), unlockedAt: instant }),
  WeiboAuthorizationLost: z.object({
    userId: z.uuid(),
    weiboUid: z.string(),
    reason: z.enum(['expired', 'revoked', 'deauthorized']).openapi({
      description:
        'expired: the token outlived its expiry (or Weibo said 21327); revoked: Weibo refused it otherwise; deauthorized: the user removed the app in Weibo. Sign in with Weibo again to renew it.',
    }),
    lostAt: instant,
  }),
} satisfies Record<DomainEvent['type'], z.ZodObject>;

/** The CloudEvents 1.0 envelope of one event type, as the relay publishes it. */
function cloudEvent(type: string, data: z.ZodObject) {
  return z
    .object({
      specversion: z.literal('1.0'),
      id: z.uuid().openapi({ description: 'The event id, also the BullMQ `jobId`.' }),
      source: z.literal('weibo-auth'),
      type: z.literal(type),
      subject: z.uuid().openapi({ description: 'The user id.' }),
      time: instant,
      datacontenttype: z.literal('application/json'),
      data: data.strict(),
      // The CloudEvents distributed-tracing extension, with tracing on (README, "Traces").
      traceparent: z
        .string()
        .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
        .optional()
        .openapi({
          description:
            'W3C trace context of the request that wrote the event, when the service traces: continue it in the consumer.',
          example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        }),
      tracestate: z
        .string()
        .optional()
        .openapi({ description: 'W3C trace state that came with `traceparent`, if any.' }),
    })
    .strict()
    .openapi({
      description: `The data of a BullMQ job named \`${type}\`, on each queue of \`OUTBOX_QUEUES\`; delivered at least once.`,
    });
}

/** Each event type's envelope schema, named after the type. */
export function eventSchemas() {
  return Object.entries(EVENT_DATA).map(([type, data]) => [type, cloudEvent(type, data)] as const);
}
