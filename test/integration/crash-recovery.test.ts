import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createFakeWeibo } from '../support/fake-weibo.ts';
import { eventually, jobsIn, unpublishedCount } from '../support/outbox.ts';
import { Browser, freshUid } from '../support/running-service.ts';
import { type ServiceProcess, spawnService, waitForExit } from '../support/service-process.ts';

const client = {
  clientId: 'crash',
  clientSecret: 'crash-secret',
  redirectUri: 'http://127.0.0.1/cb',
};
const weibo = createFakeWeibo(client);
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
let database: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  database = await createTestDatabase();
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    WEIBO_CLIENT_ID: client.clientId,
    WEIBO_CLIENT_SECRET: client.clientSecret,
    WEIBO_REDIRECT_URI: client.redirectUri,
    WEIBO_API_BASE_URL: await weibo.start(),
    RATE_LIMIT_PER_MINUTE: '0',
  };
});
afterAll(async () => {
  await weibo.stop();
  await database.destroy();
  await redis.quit();
});

/** A test that fails midway must not leave its instance running. */
function killAfterTest({ process }: ServiceProcess): void {
  onTestFinished(() => {
    if (process.exitCode === null && process.signalCode === null) process.kill('SIGKILL');
  });
}

async function bindThirty(url: string): Promise<string[]> {
  const uids = Array.from({ length: 30 }, freshUid);
  for (const [i, uid] of uids.entries()) {
    const browser = new Browser(url);
    const callback = await browser.callback(weibo.issueCode({ uid }), await browser.startLogin());
    const bound = await browser.post('/v1/users/weibo/users', {
      bind_token: callback.body.bind_token,
      username: `crash_${uid}`,
      password: 'correct horse battery',
      phone: '13800138000',
      email: `u${i}@example.com`,
    });
    expect(bound.body.code).toBe(200);
  }
  return uids;
}

describe('an instance killed with SIGKILL right after its last bind', () => {
  it.each([
    ['with its relay running', 'true'],
    ['before its relay published anything', 'false'],
  ])('%s: the next instance leaves exactly 30 jobs in every queue', async (_case, relay) => {
    await database.truncate();
    const queues = [`${inject('runId')}-crash-${relay}-a`, `${inject('runId')}-crash-${relay}-b`];
    const first = await spawnService({
      ...env,
      OUTBOX_QUEUES: queues.join(','),
      OUTBOX_RELAY: relay,
    });
    killAfterTest(first);
    const uids = await bindThirty(first.url);
    first.process.kill('SIGKILL');
    await waitForExit(first.process);
    if (relay === 'false') expect(await unpublishedCount(database)).toBe(30);

    const second = await spawnService({ ...env, OUTBOX_QUEUES: queues.join(',') });
    killAfterTest(second);
    // The relay enqueues the jobs before it commits published_at: wait for both to be settled.
    await eventually(async () => {
      const counts = await Promise.all(
        queues.map(async (queue) => (await jobsIn(redis, queue)).length),
      );
      return counts.every((count) => count >= 30) && (await unpublishedCount(database)) === 0;
    }, 10_000);
    for (const queue of queues) {
      const jobs = await jobsIn(redis, queue);
      expect(jobs).toHaveLength(30);
      expect(jobs.map((job) => job.data.data.weiboUid).sort()).toEqual([...uids].sort());
    }
    expect(await unpublishedCount(database)).toBe(0);
    second.process.kill('SIGTERM');
    expect(await waitForExit(second.process)).toBe(0);
  });
});
