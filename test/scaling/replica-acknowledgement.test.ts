import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BullMqEventPublisher } from '../../src/adapters/outbox/bullmq-event-publisher.ts';
import { OutboxRelay } from '../../src/adapters/outbox/outbox-relay.ts';
import { KyselyOutboxStore } from '../../src/adapters/persistence/kysely-outbox-store.ts';
import { keySlot } from '../../src/adapters/redis/key-slot.ts';
import { createBullMqRedis, quit } from '../../src/infrastructure/redis.ts';
import type { RedisTarget } from '../../src/infrastructure/redis-target.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { unpublishedCount, writeEvents } from '../support/outbox.ts';
import {
  type RedisClusterGroup,
  type SentinelGroup,
  startRedisCluster,
  startSentinelGroup,
} from '../support/redis-topology.ts';
import { silentLogger } from '../support/silent-logger.ts';

const RELAY = {
  batchSize: 100,
  pollIntervalMs: 60_000,
  retryBaseMs: 1,
  retryMaxMs: 1,
  publishTimeoutMs: 5_000,
};

/** The service's relay and publisher on `target`, waiting at most 300 ms for a replica. */
function relayOn(target: RedisTarget, prefix: string) {
  const queue = `${inject('runId')}-acknowledged`;
  const publisher = new BullMqEventPublisher(
    createBullMqRedis(target, silentLogger),
    [queue],
    silentLogger,
    prefix,
    { replicationTimeoutMs: 300 },
  );
  const relay = new OutboxRelay(new KyselyOutboxStore(database.db), publisher, silentLogger, RELAY);
  return { queue, publisher, relay };
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

describe('the relay under Sentinel', () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await startSentinelGroup();
  });
  afterAll(() => group?.stop());

  it('marks a row published only once a replica has its job, and publishes it again otherwise', async () => {
    await database.truncate();
    const { target } = group;
    const { queue, publisher, relay } = relayOn(target, 'bull');
    const readerConnection = createBullMqRedis(target, silentLogger);
    const reader = new Queue(queue, { connection: readerConnection });
    try {
      // Proof the path works: a healthy replica confirms at once.
      const [first] = await writeEvents(database, 1);
      expect(await relay.relayBatch()).toBe(1);
      expect(await unpublishedCount(database)).toBe(0);
      expect(await reader.getJob(first ?? '')).toBeDefined();

      // The replica stalls: the job is on the primary, but the row stays unpublished.
      group.replica.pause();
      const [second] = await writeEvents(database, 1);
      expect(await relay.relayBatch()).toBe(1);
      expect(await unpublishedCount(database)).toBe(1);
      expect(await reader.getJob(second ?? '')).toBeDefined();

      // Back again: the next pass publishes it once more (a no-op by jobId) and marks it.
      group.replica.resume();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await relay.relayBatch()).toBe(1);
      expect(await unpublishedCount(database)).toBe(0);
      expect(await reader.getJobCounts('waiting')).toEqual({ waiting: 2 });
    } finally {
      group.replica.resume();
      await reader.close();
      await quit(readerConnection);
      await publisher.close();
    }
  });
});

describe('the relay under Redis Cluster', () => {
  let cluster: RedisClusterGroup;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(() => cluster?.stop());

  it('waits on the primary that holds the queue, whichever that is', async () => {
    await database.truncate();
    const { queue, publisher, relay } = relayOn(cluster.target, '{bull}');
    const holder = await cluster.primaryOf(keySlot(`{bull}:${queue}:id`));
    // The replica of the queue's primary: the one whose replication names its port.
    const replica = await cluster.replicaOf(holder);
    try {
      await writeEvents(database, 3);
      expect(await relay.relayBatch()).toBe(3);
      expect(await unpublishedCount(database)).toBe(0);

      replica.pause();
      await writeEvents(database, 2);
      expect(await relay.relayBatch()).toBe(2);
      expect(await unpublishedCount(database)).toBe(2);
      replica.resume();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await relay.relayBatch()).toBe(2);
      expect(await unpublishedCount(database)).toBe(0);
    } finally {
      replica.resume();
      await publisher.close();
    }
  });
});
