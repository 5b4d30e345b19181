import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually, jobsIn, unpublishedCount, writeEvents } from '../support/outbox.ts';
import {
  isRunning,
  type RelayProcess,
  spawnRelay,
  waitForExit,
} from '../support/service-process.ts';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
const queue = `${inject('runId')}-relay-only`;
let database: TestDatabase;
let relay: RelayProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  const pid = relay?.process.pid;
  if (pid && isRunning(pid)) relay?.process.kill('SIGKILL');
  await database.destroy();
  await redis.quit();
});

describe('npm run relay (startRelayProcess)', () => {
  it('publishes rows written before and after it starts, marks them, and exits 0 on SIGTERM', async () => {
    const before = await writeEvents(database, 3);
    relay = await spawnRelay({
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      OUTBOX_QUEUES: queue,
      // Config refuses a real database without Weibo credentials; the relay never calls Weibo.
      WEIBO_CLIENT_ID: 'relay',
      WEIBO_CLIENT_SECRET: 'relay-secret',
      WEIBO_REDIRECT_URI: 'http://127.0.0.1/cb',
    });
    expect(relay.logs.join('\n')).toContain(`publishing to BullMQ queues ${queue}`);
    const after = await writeEvents(database, 2);

    await eventually(async () => (await jobsIn(redis, queue)).length >= 5, 5_000);
    const jobs = await jobsIn(redis, queue);
    expect(jobs.map((job) => job.id).sort()).toEqual([...before, ...after].sort());
    expect(jobs.every((job) => job.name === 'UserBoundToWeibo')).toBe(true);
    await eventually(async () => (await unpublishedCount(database)) === 0, 5_000);

    relay.process.kill('SIGTERM');
    expect(await waitForExit(relay.process)).toBe(0);
    expect(relay.logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    expect(relay.logs.some((line) => line.includes('weibo-auth serving'))).toBe(false);
  });
});
