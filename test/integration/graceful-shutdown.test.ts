import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KyselyOutbox } from '../../src/adapters/persistence/kysely-outbox.ts';
import { userBoundToWeibo } from '../../src/domain/events.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createFakeWeibo } from '../support/fake-weibo.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { jobsIn, unpublishedCount } from '../support/outbox.ts';
import { Browser } from '../support/running-service.ts';
import { type ServiceProcess, spawnNpmStart, waitForExit } from '../support/service-process.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const client = {
  clientId: 'shutdown',
  clientSecret: 'shutdown-secret',
  redirectUri: 'http://127.0.0.1/cb',
};
const REQUESTS = 100;
const EVENTS = 5;

const weibo = createFakeWeibo(client);
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
const queue = `${inject('runId')}-shutdown-events`;
let database: TestDatabase;
let proxy: TcpProxy;
let receiver: OtlpReceiver;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  // Redis through a link that can be stalled: requests then wait on it, in flight.
  proxy = await startTcpProxy(inject('redisUrl'));
  // Traces too: the preload in `npm start` must have the SDK running under the real command.
  receiver = await startOtlpReceiver();
  // `npm start` builds into dist/ first (a few seconds) and runs `exec node dist/...main.js`.
  service = await spawnNpmStart({
    // npm's own `#!/usr/bin/env node`, and the script's node, are the node running the tests.
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
    npm_config_update_notifier: 'false',
    DATABASE_URL: database.url,
    REDIS_URL: proxy.url,
    WEIBO_CLIENT_ID: client.clientId,
    WEIBO_CLIENT_SECRET: client.clientSecret,
    WEIBO_REDIRECT_URI: client.redirectUri,
    WEIBO_API_BASE_URL: await weibo.start(),
    RATE_LIMIT_PER_MINUTE: '0',
    OUTBOX_QUEUES: queue,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  });
}, 60_000);
afterAll(async () => {
  // Only if the test failed and left it running.
  if (service?.process.pid && groupMembers(service.process.pid).length > 0) {
    process.kill(-service.process.pid, 'SIGKILL');
  }
  await proxy?.stop();
  await receiver?.stop();
  await weibo.stop();
  await database?.destroy();
  await redis.quit();
});

/** The processes still in a process group, zombies left out: `pid stat command` each. */
function groupMembers(pgid: number): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid, , stat, ...args]) => `${pid} ${stat} ${args.join(' ')}`);
}

/** SIGTERM to every process of the group, as a terminal or a container runtime sends it. */
function signalGroup(pgid: number) {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch (error) {
    // Nobody left to signal: the answers and the exit status below tell how they went.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Writes events in ONE transaction, so the relay claims them all in one batch. */
async function commitEvents(count: number): Promise<string[]> {
  return database.db.transaction().execute(async (trx) => {
    const outbox = new KyselyOutbox(trx);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = crypto.randomUUID();
      const user = { id: crypto.randomUUID(), username: `shutdown_${i}` };
      await outbox.add(userBoundToWeibo(id, new Date(), user, String(4_000_000_000 + i)));
      ids.push(id);
    }
    return ids;
  });
}

describe('traces under `npm start`', () => {
  it('exports a server span that continues the incoming traceparent, with Redis inside it', async () => {
    if (!service) throw new Error('the service did not start');
    const traceId = crypto.randomUUID().replaceAll('-', '');
    const parentId = traceId.slice(0, 16);
    const answer = await new Browser(service.url).request('/v1/users/weibo/authorization', {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(answer.status).toBe(200);
    // BatchSpanProcessor's default delay (5 s) applies: `npm start` is run as it is.
    const spans = await receiver.waitFor(
      (all) => all.filter((span) => span.traceId === traceId).length >= 2,
    );
    const server = spans.find((span) => span.traceId === traceId && span.kind === 2);
    expect(server).toMatchObject({
      name: 'GET /v1/users/weibo/authorization',
      parentSpanId: parentId,
    });
    expect(
      spans.some((span) => span.parentSpanId === server?.spanId && span.scope.includes('ioredis')),
    ).toBe(true);
  });
});

describe('SIGTERM to the process group of `npm start`', () => {
  it('lets 100 requests in flight finish, the relay end its batch, and exits 0', async () => {
    if (!service?.process.pid) throw new Error('the service did not start');
    const { process: npm, url, logs } = service;
    const group = npm.pid as number;
    const exited = waitForExit(npm);
    // Its output is read to the end only once its pipes close, a little after the exit.
    const closed = once(npm, 'close');

    proxy.pause();
    // The relay claims these at once and then waits on the stalled Redis to publish them.
    const ids = await commitEvents(EVENTS);
    const requests = Array.from({ length: REQUESTS }, () =>
      new Browser(url)
        .get('/v1/users/weibo/authorization')
        .catch((error: Error) => `${error.message}: ${String(error.cause)}`),
    );
    await sleep(300);
    expect(await unpublishedCount(database), 'events published while Redis was stalled').toBe(
      EVENTS,
    );
    // Locked: the relay has claimed them and is publishing, its batch in flight.
    const free = await sql`select id from outbox for update skip locked`.execute(database.db);
    expect(free.rows, 'events the relay had not claimed').toEqual([]);

    const signalled = Date.now();
    signalGroup(group);
    await sleep(250);
    // A repeat (an impatient operator, an orchestrator) must not make it die by signal.
    signalGroup(group);
    await sleep(250);
    proxy.resume();

    const answers = await Promise.all(requests);
    // How the 100 went, counted by outcome: "200 200" is HTTP 200 with code 200.
    const outcomes: Record<string, number> = {};
    for (const answer of answers) {
      const outcome = typeof answer === 'string' ? answer : `${answer.status} ${answer.body?.code}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ '200 200': REQUESTS });

    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
    const signal = npm.signalCode;
    expect(
      { code, signal },
      `npm start after SIGTERM; its last lines:\n${logs.slice(-10).join('\n')}`,
    ).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);
    // npm, its shell and node are gone alike: nothing was left orphaned.
    let left = groupMembers(group);
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await sleep(100);
      left = groupMembers(group);
    }
    expect(left).toEqual([]);

    await closed;
    expect(logs.filter((line) => line.includes('already shutting down'))).toHaveLength(1);
    expect(logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    // The batch in flight was published and marked before the database closed.
    expect(await unpublishedCount(database)).toBe(0);
    expect((await jobsIn(redis, queue)).map((job) => job.id).sort()).toEqual([...ids].sort());
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from outbox where attempts > 0`.execute(database.db);
    expect(rows[0]?.n, 'events whose publish failed').toBe(0);
    // Spans still queued at SIGTERM were exported before the exit: every request's, and the
    // batch's publish spans.
    const served = receiver
      .spans()
      .filter((span) => span.kind === 2 && span.name === 'GET /v1/users/weibo/authorization');
    expect(served.length).toBeGreaterThanOrEqual(REQUESTS);
    const published = receiver
      .spans()
      .flatMap((span) => span.attributes['messaging.message.id'] ?? []);
    expect(published.sort()).toEqual([...ids].sort());
  }, 60_000);
});
