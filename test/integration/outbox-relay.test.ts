import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { BullMqEventPublisher } from '../../src/adapters/outbox/bullmq-event-publisher.ts';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/adapters/outbox/outbox-relay.ts';
import { KyselyOutboxStore } from '../../src/adapters/persistence/kysely-outbox-store.ts';
import type { EventPublisher, OutboxMessage } from '../../src/application/outbox-ports.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually, jobsIn, unpublishedCount, writeEvents } from '../support/outbox.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const FAST: OutboxRelayOptions = {
  batchSize: 100,
  pollIntervalMs: 50,
  retryBaseMs: 50,
  retryMaxMs: 200,
  publishTimeoutMs: 1_000,
};
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
let database: TestDatabase;
let queues: string[];
const publishers: BullMqEventPublisher[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
beforeEach(async () => {
  await database.truncate();
  const run = `${inject('runId')}-${crypto.randomUUID().slice(0, 8)}`;
  queues = [`${run}-billing`, `${run}-crm`];
});
afterAll(async () => {
  await Promise.all(publishers.map((publisher) => publisher.close()));
  await database.destroy();
  await redis.quit();
});

function bullmqPublisher(url = inject('redisUrl')): BullMqEventPublisher {
  const connection = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  connection.on('error', () => {});
  const publisher = new BullMqEventPublisher(connection, queues, silentLogger);
  publishers.push(publisher);
  return publisher;
}

function store(): KyselyOutboxStore {
  return new KyselyOutboxStore(database.db);
}

/** Counts what goes through, per event id. */
class CountingPublisher implements EventPublisher {
  readonly published = new Map<string, number>();
  constructor(
    private readonly inner: EventPublisher,
    private readonly poisonId?: string,
  ) {}
  async publish(messages: OutboxMessage[]): Promise<void> {
    if (messages.some((message) => message.id === this.poisonId)) throw new Error('poison event');
    await this.inner.publish(messages);
    for (const { id } of messages) this.published.set(id, (this.published.get(id) ?? 0) + 1);
  }
  close = () => this.inner.close();
}

describe('OutboxRelay with BullMQ', () => {
  it('puts each event in every queue as a job named by type, with the event id and envelope', async () => {
    const [id] = await writeEvents(database, 1);
    const relay = new OutboxRelay(store(), bullmqPublisher(), silentLogger, FAST);
    expect(await relay.relayBatch()).toBe(1);
    for (const queue of queues) {
      const jobs = await jobsIn(redis, queue);
      expect(jobs.map((job) => [job.id, job.name])).toEqual([[id, 'UserBoundToWeibo']]);
      expect(jobs[0]?.data).toMatchObject({ specversion: '1.0', id, type: 'UserBoundToWeibo' });
    }
    expect(await unpublishedCount(database)).toBe(0);
  });

  it('publishes each of 1,000 rows exactly once per queue with two relays racing', async () => {
    const ids = await writeEvents(database, 1000);
    const [first, second] = [bullmqPublisher(), bullmqPublisher()].map(
      (publisher) => new CountingPublisher(publisher),
    );
    const relays = [first, second].map(
      (publisher) => new OutboxRelay(store(), publisher as EventPublisher, silentLogger, FAST),
    );
    for (const relay of relays) relay.start();
    await eventually(async () => (await unpublishedCount(database)) === 0, 20_000);
    await Promise.all(relays.map((relay) => relay.stop()));

    const counts = [first, second].flatMap((publisher) => [...(publisher?.published ?? [])]);
    expect(counts).toHaveLength(1000);
    expect(counts.every(([, times]) => times === 1)).toBe(true);
    expect(first?.published.size).toBeGreaterThan(0);
    expect(second?.published.size).toBeGreaterThan(0);
    for (const queue of queues) {
      const jobIds = (await jobsIn(redis, queue)).map((job) => job.id).sort();
      expect(jobIds).toEqual([...ids].sort());
    }
  });

  it('re-publishes rows a crashed relay had published but not marked, without a duplicate job', async () => {
    const ids = await writeEvents(database, 5);
    const publisher = bullmqPublisher();
    // What a relay killed before its commit leaves behind: jobs in the queues, rows unmarked.
    const rows = await database.db.selectFrom('outbox').select(['id', 'type', 'payload']).execute();
    await publisher.publish(
      rows.map((row) => ({ id: row.id, type: row.type, envelope: row.payload })),
    );
    expect(await unpublishedCount(database)).toBe(5);

    const relay = new OutboxRelay(store(), publisher, silentLogger, FAST);
    expect(await relay.relayBatch()).toBe(5);
    expect(await unpublishedCount(database)).toBe(0);
    for (const queue of queues) {
      expect((await jobsIn(redis, queue)).map((job) => job.id).sort()).toEqual([...ids].sort());
    }
  });

  it('retries a failing event with backoff, recording why, without holding back the others', async () => {
    const [poison, ...others] = await writeEvents(database, 4);
    const publisher = new CountingPublisher(bullmqPublisher(), poison);
    const relay = new OutboxRelay(store(), publisher, silentLogger, FAST);
    await relay.relayBatch();
    expect([...publisher.published.keys()].sort()).toEqual([...others].sort());
    const row = await database.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', poison ?? '')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ published_at: null, attempts: 1, last_error: 'poison event' });
    expect(row.available_at.getTime()).toBeGreaterThan(Date.now());
    expect(await relay.relayBatch()).toBe(0);
  });

  it('keeps rows while Redis is away and publishes them when it is back, without a restart', async () => {
    const proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(inject('redisUrl')).port || 6379),
    });
    const relay = new OutboxRelay(store(), bullmqPublisher(proxy.url), silentLogger, FAST);
    relay.start();
    await proxy.cut();
    const ids = await writeEvents(database, 3);
    await eventually(async () => {
      const row = await database.db
        .selectFrom('outbox')
        .select('attempts')
        .where('id', '=', ids[0] ?? '')
        .executeTakeFirst();
      return (row?.attempts ?? 0) >= 2;
    });
    expect(await unpublishedCount(database)).toBe(3);

    await proxy.restore();
    await eventually(async () => (await unpublishedCount(database)) === 0);
    await relay.stop();
    await proxy.stop();
    for (const queue of queues) {
      expect((await jobsIn(redis, queue)).map((job) => job.id).sort()).toEqual([...ids].sort());
    }
  });
});
