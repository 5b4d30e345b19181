import { randomBytes } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { consumeWeiboAuthEvents } from '../../examples/user-bound-consumer.ts';
import { eventSchemas } from '../../src/adapters/http/event-schemas.ts';
import { PASSWORD, send } from '../support/accounts.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createFakeWeibo, type FakeWeibo } from '../support/fake-weibo.ts';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '../support/otlp-receiver.ts';
import { eventually, jobsIn } from '../support/outbox.ts';
import { type Answer, Browser, CLIENT, freshUid, weiboEnv } from '../support/running-service.ts';
import {
  buildService,
  type RelayProcess,
  type ServiceProcess,
  waitForExit,
} from '../support/service-process.ts';

const SERVER = 2;
const CLIENT_KIND = 3;
const PRODUCER = 4;
const queue = `${inject('runId')}-traced-events`;
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
let build: Awaited<ReturnType<typeof buildService>>;
let receiver: OtlpReceiver;
let weibo: FakeWeibo;
let weiboUrl: string;
let database: TestDatabase;
let service: ServiceProcess;
let relay: RelayProcess;
const others: Array<{ process: ServiceProcess['process'] }> = [];
const databases: TestDatabase[] = [];
/** The bind's event, and the span of the request that wrote it. */
let boundEvent: { id: string; traceId: string; spanId: string } | undefined;

function serviceEnv(database: TestDatabase, weiboUrl: string) {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    ...weiboEnv(weiboUrl),
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
  };
}

beforeAll(async () => {
  build = await buildService('tracing');
  receiver = await startOtlpReceiver();
  weibo = createFakeWeibo(CLIENT);
  weiboUrl = await weibo.start();
  database = await createTestDatabase();
  const env = {
    ...serviceEnv(database, weiboUrl),
    OUTBOX_QUEUES: queue,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    // Exported within 100 ms rather than 5 s: the test waits for them.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  // The relay apart, as `npm run relay` runs it: its publish span must join the request's trace.
  [service, relay] = await Promise.all([
    build.serve({ ...env, OUTBOX_RELAY: 'false' }),
    build.relay(env),
  ]);
}, 90_000);

afterAll(async () => {
  for (const child of [service, relay, ...others].map((it) => it?.process)) {
    if (!child) continue;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitForExit(child);
  }
  await receiver?.stop();
  await weibo?.stop();
  for (const db of [database, ...databases]) await db?.destroy();
  await build?.remove();
  await redis.quit();
});

/** A W3C trace context of the test's own making, as a browser's instrumentation sends it. */
function incomingTrace() {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}

function traced(browser: Browser, path: string, traceparent: string, init: RequestInit = {}) {
  return browser.request(path, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), traceparent },
  });
}

/** The callback Weibo would send the browser to, for a code of `uid`, under `traceparent`. */
function tracedCallback(browser: Browser, uid: string, state: string, traceparent: string) {
  const query = new URLSearchParams({ code: weibo.issueCode({ uid }), state });
  return traced(browser, `/v1/users/weibo/users?${query}`, traceparent);
}

/** The bind form for the callback's bind token, under `traceparent`. */
function tracedBind(browser: Browser, bindToken: string, username: string, traceparent: string) {
  return traced(browser, '/v1/users/weibo/users', traceparent, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      bind_token: bindToken,
      username,
      password: PASSWORD,
      phone: '13800138000',
      email: `${username}@example.com`,
    }),
  });
}

const inTrace = (traceId: string) => (spans: ReceivedSpan[]) =>
  spans.filter((span) => span.traceId === traceId);

/** Waits for the request's server span, and what else of its trace came with it. */
async function serverSpanOf(
  traceId: string,
): Promise<{ server: ReceivedSpan; trace: ReceivedSpan[] }> {
  const spans = await receiver.waitFor((all) =>
    inTrace(traceId)(all).some((span) => span.kind === SERVER),
  );
  const trace = inTrace(traceId)(spans);
  const server = trace.find((span) => span.kind === SERVER) as ReceivedSpan;
  return { server, trace };
}

function logLines(logs: string[]): Array<Record<string, unknown>> {
  return logs.flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
}

describe('traces of the service (OpenTelemetry, exported over OTLP/HTTP)', () => {
  it('continues an incoming traceparent with a server span named by its route, protobuf by default', async () => {
    const incoming = incomingTrace();
    const answer = await traced(
      new Browser(service.url),
      '/v1/users/weibo/authorization',
      incoming.traceparent,
    );
    expect(answer.status).toBe(200);

    const { server, trace } = await serverSpanOf(incoming.traceId);
    expect(server.parentSpanId).toBe(incoming.parentId);
    expect(server.name).toBe('GET /v1/users/weibo/authorization');
    expect(server.attributes['http.route']).toBe('/v1/users/weibo/authorization');
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.resource['service.name']).toBe('weibo-auth');
    // The state is saved in Redis: a child of the server span.
    const redisSpans = trace.filter((span) => span.attributes['db.system.name'] === 'redis');
    expect(redisSpans.length).toBeGreaterThan(0);
    for (const span of redisSpans) expect(span.parentSpanId).toBe(server.spanId);
    const exported = receiver.exports.find((e) =>
      e.spans.some((s) => s.traceId === incoming.traceId),
    );
    expect(exported?.contentType).toBe('application/x-protobuf');

    // The request's log line names the span it was written in.
    await eventually(async () =>
      logLines(service.logs).some((line) => line.trace_id === incoming.traceId),
    );
    const line = logLines(service.logs).find((l) => l.trace_id === incoming.traceId);
    expect(line).toMatchObject({ msg: 'request', span_id: server.spanId });
  });

  it("puts Weibo, Postgres and Redis spans in a login's trace, and a bind's event in the bind's trace", async () => {
    const browser = new Browser(service.url);
    const state = await browser.startLogin();
    const uid = freshUid();
    const callbackTrace = incomingTrace();
    const callback = await tracedCallback(browser, uid, state, callbackTrace.traceparent);
    expect(callback.body.code).toBe(201);

    const login = await serverSpanOf(callbackTrace.traceId);
    expect(login.server.name).toBe('GET /v1/users/weibo/users');
    const weiboSpans = login.trace.filter(
      (span) => span.kind === CLIENT_KIND && span.attributes['url.full'],
    );
    expect(weiboSpans.map((span) => span.attributes['url.full'])).toContain(
      `${weiboUrl}/oauth2/access_token`,
    );
    expect(weiboSpans.every((span) => span.parentSpanId === login.server.spanId)).toBe(true);
    expect(login.trace.some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(
      true,
    );
    expect(login.trace.some((span) => span.attributes['db.system.name'] === 'redis')).toBe(true);

    const bindTrace = incomingTrace();
    const bound = await tracedBind(
      browser,
      callback.body.bind_token,
      `traced_${uid}`,
      bindTrace.traceparent,
    );
    expect(bound.body.code).toBe(200);
    const bind = await serverSpanOf(bindTrace.traceId);

    // The event's row and its CloudEvent carry the bind request's context...
    const { rows } = await sql<{ id: string; traceparent: string | null }>`
      select id, traceparent from outbox where type = 'UserBoundToWeibo'`.execute(database.db);
    expect(rows).toHaveLength(1);
    const [row] = rows as [{ id: string; traceparent: string }];
    expect(row.traceparent).toBe(`00-${bindTrace.traceId}-${bind.server.spanId}-01`);
    await eventually(async () => (await jobsIn(redis, queue)).some((job) => job.id === row.id));
    const job = (await jobsIn(redis, queue)).find((j) => j.id === row.id);
    expect(job?.data).toMatchObject({ id: row.id, traceparent: row.traceparent });
    // The envelope, trace context included, is what GET /openapi.json describes.
    expect(new Map(eventSchemas()).get('UserBoundToWeibo')?.safeParse(job?.data).success).toBe(
      true,
    );
    boundEvent = { id: row.id, traceId: bindTrace.traceId, spanId: bind.server.spanId };

    // ...and the relay's publish span, in the other process, is its child in the same trace.
    const spans = await receiver.waitFor((all) =>
      all.some((span) => span.kind === PRODUCER && span.traceId === bindTrace.traceId),
    );
    const publish = spans.find((s) => s.kind === PRODUCER && s.traceId === bindTrace.traceId);
    expect(publish).toMatchObject({
      parentSpanId: bind.server.spanId,
      name: `publish ${queue}`,
      attributes: { 'messaging.message.id': row.id, 'cloudevents.event_type': 'UserBoundToWeibo' },
    });
    // Linked to the batch's span, under which BullMQ's Redis commands ran; it links back.
    const batch = spans.find((span) => span.spanId === publish?.links[0]?.spanId);
    expect(batch?.links).toContainEqual({ traceId: bindTrace.traceId, spanId: bind.server.spanId });
    expect(
      spans.some(
        (span) =>
          span.parentSpanId === batch?.spanId && span.attributes['db.system.name'] === 'redis',
      ),
    ).toBe(true);
  });

  it('lets the example consumer continue the trace its CloudEvent carries', async () => {
    if (!boundEvent) throw new Error('the bind test did not leave its event');
    const { id, traceId, spanId } = boundEvent;
    // The consumer's own SDK, in this process, keeping its spans in memory.
    const exporter = new InMemorySpanExporter();
    const sdk = new NodeSDK({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      metricReaders: [],
      logRecordProcessors: [],
      autoDetectResources: false,
    });
    sdk.start();
    const handled: string[] = [];
    const consumer = consumeWeiboAuthEvents({
      redisUrl: inject('redisUrl'),
      queue,
      handlers: { UserBoundToWeibo: async (event) => void handled.push(event.id) },
    });
    try {
      await eventually(async () => handled.includes(id));
      await eventually(async () => exporter.getFinishedSpans().length > 0);
      const [span] = exporter.getFinishedSpans();
      expect(span?.name).toBe(`process ${queue}`);
      expect(span?.kind).toBe(SpanKind.CONSUMER);
      expect(span?.spanContext().traceId).toBe(traceId);
      expect(span?.parentSpanContext?.spanId).toBe(spanId);
      expect(span?.attributes).toMatchObject({
        'messaging.message.id': id,
        'weibo_auth.outcome': 'handled',
      });
    } finally {
      await consumer.close();
      await sdk.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    }
  });

  it('lets no code, state, token, secret, password or query string into any span', async () => {
    weibo.reset();
    const browser = new Browser(service.url);
    const uid = freshUid();
    const state = await browser.startLogin();
    const code = weibo.issueCode({ uid });
    const callback = await browser.callback(code, state);
    expect(callback.body.code).toBe(201);
    const username = `secret_${uid}`;
    const bound = await browser.post('/v1/users/weibo/users', {
      bind_token: callback.body.bind_token,
      username,
      password: PASSWORD,
      phone: '13800138000',
      email: 'secret@example.com',
    });
    expect(bound.body.code).toBe(200);
    const signedIn = await send(browser, 'POST', '/v1/tokens', undefined, {
      username,
      password: PASSWORD,
    });
    expect(signedIn.status).toBe(200);
    const friends = await send(browser, 'GET', '/v1/users/weibo/friends', bound.body.token);
    expect(friends.status).toBe(200);
    const tokens = (answer: Answer) =>
      Object.values(answer.body ?? {}).filter((v) => typeof v === 'string' && v.length > 20);
    const secrets = [
      code,
      state,
      PASSWORD,
      CLIENT.clientSecret,
      callback.body.bind_token,
      ...tokens(bound),
      ...tokens(signedIn),
      ...weibo.calls.flatMap((call) => [call.query.access_token, call.form.access_token]),
    ].filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
    // The Weibo token really went out (in the friends call's query): the check below has teeth.
    expect(weibo.calls.some((call) => call.query.access_token)).toBe(true);

    await receiver.waitFor((all) =>
      all.some((span) => span.name === 'GET /v1/users/weibo/friends' && span.kind === SERVER),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const everything = receiver.spans();
    const exported = JSON.stringify(everything);
    for (const secret of secrets)
      expect(exported, 'a secret in an exported span').not.toContain(secret);
    for (const span of everything) {
      expect(span.attributes).not.toHaveProperty('url.query');
      for (const key of ['url.full', 'http.url', 'http.target']) {
        expect(String(span.attributes[key] ?? ''), `${span.name} ${key}`).not.toMatch(/[?#]/);
      }
    }
    // The callback's server span kept its URL, without the query that held the code and state.
    const callbackSpan = everything.find((span) => span.name === 'GET /v1/users/weibo/users');
    expect(callbackSpan?.attributes['url.full']).toBe(`${service.url}/v1/users/weibo/users`);
  });

  it('sends OTLP/JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json, named by OTEL_SERVICE_NAME', async () => {
    const second = await createTestDatabase();
    databases.push(second);
    const json = await build.serve({
      ...serviceEnv(second, weiboUrl),
      OUTBOX_QUEUES: `${queue}-json`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'weibo-auth-json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    others.push(json);
    const incoming = incomingTrace();
    expect(
      (await traced(new Browser(json.url), '/v1/users/weibo/authorization', incoming.traceparent))
        .status,
    ).toBe(200);
    const { server } = await serverSpanOf(incoming.traceId);
    expect(server).toMatchObject({
      parentSpanId: incoming.parentId,
      resource: { 'service.name': 'weibo-auth-json' },
    });
    const exported = receiver.exports.find((e) =>
      e.spans.some((s) => s.traceId === incoming.traceId),
    );
    expect(exported?.contentType).toBe('application/json');
  });
});

describe('without an OTLP endpoint', () => {
  it('loads no SDK: the preload registers nothing with OpenTelemetry', async () => {
    // The API's global registry appears only once an SDK registers a provider or propagator.
    const registered =
      "console.log(globalThis[Symbol.for('opentelemetry.js.api.1')] === undefined ? 'none' : 'registered')";
    expect(await build.preloadThen({}, registered)).toBe('none');
    expect(
      await build.preloadThen(
        { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SDK_DISABLED: 'true' },
        registered,
      ),
    ).toBe('none');
    // The same check sees an SDK when there is one.
    expect(
      await build.preloadThen({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }, registered),
    ).toBe('registered');
  });

  it('sends nothing, and copies an incoming traceparent nowhere: not to logs, rows or events', async () => {
    // Where an SDK with no endpoint would send: OTLP/HTTP's default port on this host.
    const fallback = await startOtlpReceiver(4318);
    const third = await createTestDatabase();
    databases.push(third);
    const untracedQueue = `${queue}-untraced`;
    const untraced = await build.serve({
      ...serviceEnv(third, weiboUrl),
      OUTBOX_QUEUES: untracedQueue,
      OTEL_SERVICE_NAME: 'weibo-auth-untraced',
    });
    others.push(untraced);
    try {
      const browser = new Browser(untraced.url);
      const incoming = incomingTrace();
      const state = await browser.startLogin();
      const uid = freshUid();
      const callback = await tracedCallback(browser, uid, state, incoming.traceparent);
      const bound = await tracedBind(
        browser,
        callback.body.bind_token,
        `untraced_${uid}`,
        incoming.traceparent,
      );
      expect(bound.body.code).toBe(200);
      // The event went out (the relay runs in this process), without a trace context.
      await eventually(async () => (await jobsIn(redis, untracedQueue)).length === 1);
      const [job] = await jobsIn(redis, untracedQueue);
      expect(job?.data.type).toBe('UserBoundToWeibo');
      expect(job?.data).not.toHaveProperty('traceparent');
      const { rows } = await sql<{ traceparent: string | null }>`
        select traceparent from outbox`.execute(third.db);
      expect(rows).toEqual([{ traceparent: null }]);
      // A request line was logged for each, without trace fields.
      const lines = logLines(untraced.logs).filter((line) => line.msg === 'request');
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.filter((line) => 'trace_id' in line || 'span_id' in line)).toEqual([]);
      // Longer than a batch export takes: nothing came, here or at the default endpoint.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(receiver.spans().filter((span) => span.traceId === incoming.traceId)).toEqual([]);
      expect(fallback.exports).toEqual([]);
    } finally {
      await fallback.stop();
    }
  });
});
