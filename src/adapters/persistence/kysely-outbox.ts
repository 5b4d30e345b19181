import type { Kysely } from 'kysely';
import type { Outbox } from '../../application/ports.ts';
import type { DomainEvent } from '../../domain/events.ts';
import { guarded } from './database-errors.ts';
import type { CloudEvent, Database } from './schema.ts';

export const EVENT_SOURCE = 'weibo-auth';

/** Writes each event as a CloudEvents 1.0 envelope, in the caller's transaction. */
export class KyselyOutbox implements Outbox {
  constructor(private readonly db: Kysely<Database>) {}

  async add(event: DomainEvent): Promise<void> {
    await guarded(() =>
      this.db
        .insertInto('outbox')
        .values({
          id: event.id,
          type: event.type,
          aggregate_id: event.userId,
          payload: JSON.stringify(toCloudEvent(event)),
          created_at: event.occurredAt,
        })
        .execute(),
    );
  }
}

export function toCloudEvent(event: DomainEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source: EVENT_SOURCE,
    type: event.type,
    subject: event.userId,
    time: event.occurredAt.toISOString(),
    datacontenttype: 'application/json',
    data: {
      userId: event.userId,
      username: event.username,
      weiboUid: event.weiboUid,
      boundAt: event.occurredAt.toISOString(),
    },
  };
}
