import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { errorBody, errorStatus } from '../adapters/http/error-mapping.ts';
import { serverSpans } from '../adapters/tracing/server-spans.ts';
import { flushTraces } from '../adapters/tracing/trace-context.ts';
import type { Config } from './config.ts';
import { APP, buildContainer, type Resources } from './container.ts';
import { migrateToLatest, type OpenDatabase, openDatabase } from './database.ts';
import { listen, type RunningServer } from './http-server.ts';
import { loadKeys } from './keys.ts';
import { type RunningRelay, runOutboxRelay } from './outbox.ts';
import { type PeriodicJob, schedulePeriodicJobs } from './periodic.ts';
import { createBullMqRedis, createRedis, quit, whenReady } from './redis.ts';
import { describeRedisTarget } from './redis-target.ts';
import { SANDBOX_PATH, sandboxWeibo } from './sandbox.ts';
import { resolve } from './typed-token.ts';

export interface RunningService {
  url: string;
  app: Hono;
  stop(): Promise<void>;
}

const STARTING = { status: errorStatus('STORAGE_UNAVAILABLE') };

/** Opens the stores, applies migrations, wires the adapters, serves HTTP and relays events. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  warnAboutShortLifetimes(config, logger);
  const opened = await openResources(config, logger, { relay: config.outboxRelay });
  let server: RunningServer | undefined;
  let relay: RunningRelay | undefined;
  let jobs: PeriodicJob | undefined;
  const stop = async () => {
    // The server first: requests in flight finish while the stores are still open.
    await server?.close();
    await jobs?.stop();
    await relay?.stop();
    await opened.close();
    // Last: the spans of everything above are exported before the process exits.
    if (config.tracing) await flushTraces();
  };
  try {
    // Listening first tells the sandbox Weibo its own URL, also on a port picked by the system.
    let app: Hono | undefined;
    server = await listen(
      {
        // The node server's bindings (its socket) travel on as `env`: the rate limiter needs them.
        fetch: (request, env) =>
          app ? app.fetch(request, env) : Response.json(errorBody('STORAGE_UNAVAILABLE'), STARTING),
      },
      config.port,
      config.host,
    );
    const sandbox = config.weibo ? undefined : sandboxWeibo(server.url, logger);
    const weibo = config.weibo ?? sandbox?.weibo;
    const publicUrl = config.publicUrl ?? server.url;
    const container = buildContainer({
      ...opened.resources,
      weibo,
      sandbox: sandbox?.app,
      publicUrl,
      serverSpans: config.tracing ? await serverSpans() : undefined,
    });
    app = resolve(container, APP);
    relay = config.outboxRelay ? runOutboxRelay(container, opened.database) : undefined;
    jobs = schedulePeriodicJobs(container, config, logger);
    const described = describe(opened, config);
    const weiboUsed = sandbox ? `sandbox Weibo at ${server.url}${SANDBOX_PATH}` : weibo?.apiBaseUrl;
    const open = sandbox ? `open ${server.url} and sign in with the sandbox Weibo` : 'serving';
    logger.info(
      { url: server.url, weibo: weiboUsed, ...described },
      `weibo-auth serving ${server.url}: ${open} · weibo: ${weiboUsed} · database: ` +
        `${described.database} · state and rate limits: ${described.stores} · events: ${described.events}`,
    );
    return { url: server.url, app, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The outbox relay alone (`npm run relay`), for running relays apart from the HTTP servers. */
export async function startRelayProcess(config: Config, logger: Logger) {
  const opened = await openResources(config, logger, { relay: true });
  const relay = runOutboxRelay(buildContainer(opened.resources), opened.database);
  const { events } = describe(opened, config);
  logger.info({ events }, `weibo-auth outbox relay publishing to ${events}`);
  return {
    async stop() {
      await relay.stop();
      await opened.close();
      if (config.tracing) await flushTraces();
    },
  };
}

/** `npm run migrate`: applies pending migrations and closes the database. */
export async function migrateOnly(config: Config, logger: Logger): Promise<void> {
  const database = await openDatabase(config.databaseUrl, config.dataDir, logger);
  try {
    await migrateToLatest(database.db, logger);
    logger.info(`weibo-auth migrations applied to ${database.description}`);
  } finally {
    await database.db.destroy();
  }
}

interface OpenResources {
  resources: Resources;
  database: OpenDatabase;
  relaying: boolean;
  close(): Promise<void>;
}

/** Keys, the database (migrated) and the Redis connections, closed together. */
async function openResources(
  config: Config,
  logger: Logger,
  wants: { relay: boolean },
): Promise<OpenResources> {
  const keys = await loadKeys(config, logger);
  const database = await openDatabase(config.databaseUrl, config.dataDir, logger);
  const redis = config.redis ? createRedis(config.redis, logger) : null;
  // BullMQ gets a connection of its own.
  const relayRedis = config.redis && wants.relay ? createBullMqRedis(config.redis, logger) : null;
  const close = async () => {
    await database.db.destroy();
    await quit(redis);
    await quit(relayRedis);
  };
  try {
    await migrateToLatest(database.db, logger);
    for (const connection of [redis, relayRedis]) {
      if (connection && !(await whenReady(connection, 5_000))) {
        logger.warn('Redis is not answering yet');
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  const resources = { config, logger, db: database.db, redis, relayRedis, ...keys };
  return { resources, database, relaying: wants.relay, close };
}

function describe({ resources, database, relaying }: OpenResources, config: Config) {
  return {
    database: database.description,
    stores: config.redis ? describeRedisTarget(config.redis) : 'in-process (one instance only)',
    events: !relaying
      ? 'not relayed here (OUTBOX_RELAY=false)'
      : resources.relayRedis
        ? `BullMQ queues ${config.outboxQueues.join(', ')} (prefix ${config.bullmqPrefix})`
        : 'the log',
  };
}

function warnAboutShortLifetimes(config: Config, logger: Logger) {
  const lifetimes = {
    JWT_TTL_SECONDS: config.jwt.ttlSeconds,
    STATE_TTL_SECONDS: config.stateTtlSeconds,
    BIND_TOKEN_TTL_SECONDS: config.bindTokenTtlSeconds,
  };
  for (const [name, seconds] of Object.entries(lifetimes)) {
    if (seconds < 60) logger.warn(`${name}=${seconds}: under a minute, too short for most people`);
  }
}
