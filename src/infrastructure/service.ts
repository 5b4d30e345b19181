import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { demoRoutes } from '../adapters/http/demo-routes.ts';
import { errorBody, errorStatus } from '../adapters/http/error-mapping.ts';
import { createWeiboSandbox } from '../adapters/weibo/sandbox/weibo-sandbox.ts';
import type { Config, WeiboConfig } from './config.ts';
import { buildContainer, TYPES } from './container.ts';
import { migrateToLatest, type OpenDatabase, openDatabase } from './database.ts';
import { listen, type RunningServer } from './http-server.ts';
import { loadKeys } from './keys.ts';
import { type RunningRelay, startOutboxRelay } from './outbox.ts';
import { createRedis, whenReady } from './redis.ts';

export interface RunningService {
  url: string;
  app: Hono;
  stop(): Promise<void>;
}

const SANDBOX_PATH = '/sandbox/weibo';
const STARTING = { status: errorStatus('STORAGE_UNAVAILABLE') };

/** Opens the stores, applies migrations, wires the adapters, serves HTTP and relays events. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  warnAboutShortLifetimes(config, logger);
  const keys = await loadKeys(config, logger);
  const database = await openDatabase(config.databaseUrl, config.dataDir, logger);
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : null;
  let server: RunningServer | undefined;
  let relay: RunningRelay | undefined;
  const stop = async () => {
    await server?.close();
    await relay?.stop();
    await database.db.destroy();
    await redis?.quit().catch(() => redis.disconnect());
  };
  try {
    await migrateToLatest(database.db, logger);
    if (redis && !(await whenReady(redis, 5_000))) logger.warn('Redis is not answering yet');
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
    const { weibo, sandbox } = config.weibo
      ? { weibo: config.weibo, sandbox: undefined }
      : sandboxWeibo(server.url, logger);
    const mounts = config.production ? [] : [{ path: '/', app: demoRoutes() }];
    if (sandbox) mounts.push({ path: SANDBOX_PATH, app: sandbox });
    app = buildContainer({
      config,
      weibo,
      logger,
      db: database.db,
      redis,
      mounts,
      ...keys,
    }).get<Hono>(TYPES.App);
    relay = config.outboxRelay ? await startOutboxRelay(config, database, logger) : undefined;
    logStarted(logger, server.url, { sandbox: Boolean(sandbox), weibo, database, redis, relay });
    return { url: server.url, app, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function warnAboutShortLifetimes(config: Config, logger: Logger) {
  const lifetimes = {
    STATE_TTL_SECONDS: config.stateTtlSeconds,
    BIND_TOKEN_TTL_SECONDS: config.bindTokenTtlSeconds,
  };
  for (const [name, seconds] of Object.entries(lifetimes)) {
    if (seconds < 60) logger.warn(`${name}=${seconds}: under a minute, too short for most people`);
  }
}

/** The sandbox Weibo served by the service itself, with credentials of its own. */
function sandboxWeibo(url: string, logger: Logger) {
  const config: WeiboConfig = {
    clientId: 'weibo-auth-sandbox',
    clientSecret: randomBytes(16).toString('hex'),
    redirectUri: `${url}/callback.html`,
    scope: '',
    apiBaseUrl: `${url}${SANDBOX_PATH}`,
    mobileAuthorizeUrl: `${url}${SANDBOX_PATH}/oauth2/authorize`,
    timeoutMs: 5_000,
  };
  logger.warn(
    `SANDBOX WEIBO ON at ${config.apiBaseUrl}: logins are make-believe. ` +
      'Set WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and WEIBO_REDIRECT_URI to use the real Weibo.',
  );
  return { weibo: config, sandbox: createWeiboSandbox(config, config.apiBaseUrl).app };
}

function logStarted(
  logger: Logger,
  url: string,
  adapters: {
    sandbox: boolean;
    weibo: WeiboConfig;
    database: OpenDatabase;
    redis: unknown;
    relay?: RunningRelay;
  },
) {
  const used = {
    weibo: adapters.sandbox
      ? `sandbox Weibo at ${adapters.weibo.apiBaseUrl}`
      : adapters.weibo.apiBaseUrl,
    database: adapters.database.description,
    stores: adapters.redis ? 'Redis' : 'in-process (one instance only)',
    events: adapters.relay ? adapters.relay.publishesTo : 'not relayed here (OUTBOX_RELAY=false)',
  };
  const open = adapters.sandbox
    ? `open ${url} and sign in with the sandbox Weibo`
    : `serving ${url}`;
  logger.info(
    { url, ...used },
    `weibo-auth serving ${url}: ${open} · weibo: ${used.weibo} · database: ${used.database} · ` +
      `state and rate limits: ${used.stores} · events: ${used.events}`,
  );
}

/** The outbox relay alone (`npm run relay`), for running relays apart from the HTTP servers. */
export async function startRelayProcess(
  config: Config,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  const database = await openDatabase(config.databaseUrl, config.dataDir, logger);
  await migrateToLatest(database.db, logger);
  const relay = await startOutboxRelay(config, database, logger);
  logger.info(
    { events: relay.publishesTo },
    `weibo-auth outbox relay publishing to ${relay.publishesTo}`,
  );
  return {
    async stop() {
      await relay.stop();
      await database.db.destroy();
    },
  };
}
