import { type Kysely, sql } from 'kysely';
import type { Outbox, TraceContext } from '../../application/outbox-ports.ts';
import type { DomainEvent } from '../../domain/events.ts';
import { guarded } from './database-errors.ts';
import type { CloudEvent, Database } from './schema.ts';

const EVENT_SOURCE = 'weibo-auth';
export const OUTBOX_CHANNEL = 'weibo_auth_outbox';

/** Where the writing request's trace context comes from: nowhere unless tracing is on. */
export type TraceContextSource = () => TraceContext | null;

const NO_TRACE: TraceContextSource = () => null;

/**
 * Writes each event as a CloudEvents 1.0 envelope, in the caller's transaction, and wakes the
 * relay. With a trace active, the row keeps its context (for the relay's publish span) and the
 * envelope carries it as the distributed-tracing extension (for the consumer).
 */
export class KyselyOutbox implements Outbox {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traceContext: TraceContextSource = NO_TRACE,
  ) {}

  async add(event: DomainEvent): Promise<void> {
    const trace = this.traceContext();
    await guarded(() =>
      this.db
        .insertInto('outbox')
        .values({
          id: event.id,
          type: event.type,
          aggregate_id: event.userId,
          payload: JSON.stringify({ ...toCloudEvent(event), ...trace }),
          created_at: event.occurredAt,
          traceparent: trace?.traceparent ?? null,
          tracestate: trace?.tracestate ?? null,
        })
        .execute(),
    );
    // Delivered at commit, so the relay wakes for committed rows only.
    await guarded(() => sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(this.db));
  }
}

/** The `data` of each event type; `tsc` fails on a type without its case (TS2366). */
function dataOf(event: DomainEvent): CloudEvent['data'] {
  const at = event.occurredAt.toISOString();
  switch (event.type) {
    case 'UserBoundToWeibo': {
      const { userId, username, weiboUid } = event;
      return { userId, username, weiboUid, boundAt: at };
    }
    case 'UserUnboundFromWeibo': {
      const { userId, username, weiboUid, by } = event;
      return { userId, username, weiboUid, unboundAt: at, by };
    }
    case 'UserDeleted': {
      const { userId, username, weiboUid } = event;
      return { userId, username, weiboUid, deletedAt: at };
    }
    case 'UserLocked': {
      const { userId, username } = event;
      return { userId, username, lockedAt: at };
    }
    case 'UserUnlocked': {
      const { userId, username } = event;
      return { userId, username, unlockedAt: at };
    }
    case 'WeiboAuthorizationLost': {
      const { userId, weiboUid, reason } = event;
      return { userId, weiboUid, reason, lostAt: at };
    }
  }
}

function toCloudEvent(event: DomainEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source: EVENT_SOURCE,
    type: event.type,
    subject: event.userId,
    time: event.occurredAt.toISOString(),
    datacontenttype: 'application/json',
    data: dataOf(event),
  };
}
