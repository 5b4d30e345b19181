import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { type Config, ConfigError } from './config.ts';
import { buildContainer, TYPES } from './container.ts';
import { createDatabase, migrateToLatest } from './database.ts';
import { listen } from './http-server.ts';
import { loadKeys } from './keys.ts';
import { type RunningRelay, startOutboxRelay } from './outbox.ts';
import { createRedis, whenReady } from './redis.ts';

export interface RunningService {
  url: string;
  app: Hono;
  stop(): Promise<void>;
}

/** Opens the stores, applies migrations, wires the adapters and serves HTTP. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const missing = [
    !config.databaseUrl && 'DATABASE_URL is required (the embedded Postgres is not built yet)',
    !config.weibo && 'WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and WEIBO_REDIRECT_URI are required',
  ].filter((line): line is string => typeof line === 'string');
  if (missing.length > 0 || !config.databaseUrl || !config.weibo) throw new ConfigError(missing);

  const keys = await loadKeys(config, logger);
  const db = createDatabase(config.databaseUrl, logger);
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : null;
  let relay: RunningRelay | null = null;
  try {
    await migrateToLatest(db, logger);
    if (redis && !(await whenReady(redis, 5_000))) logger.warn('Redis is not answering yet');
    const container = buildContainer({
      config,
      weibo: config.weibo,
      logger,
      db,
      redis,
      ...keys,
    });
    const app = container.get<Hono>(TYPES.App);
    const server = await listen(app, config.port, config.host);
    relay = config.outboxRelay ? await startOutboxRelay(config, db, logger) : null;
    const events = relay ? `events to ${relay.publishesTo}` : 'no outbox relay';
    logger.info(
      {
        url: server.url,
        database: 'postgres',
        stateStore: redis ? 'redis' : 'in-memory',
        weibo: config.weibo.apiBaseUrl,
        events: relay?.publishesTo ?? null,
      },
      `weibo-auth serving ${server.url} (postgres, ${redis ? 'redis' : 'in-memory state'}, weibo at ${config.weibo.apiBaseUrl}, ${events})`,
    );
    return {
      url: server.url,
      app,
      async stop() {
        await server.close();
        await relay?.stop();
        await db.destroy();
        await redis?.quit().catch(() => redis.disconnect());
      },
    };
  } catch (error) {
    await relay?.stop();
    await db.destroy();
    redis?.disconnect();
    throw error;
  }
}

/** The outbox relay alone (`npm run relay`), for running relays apart from the HTTP servers. */
export async function startRelayProcess(
  config: Config,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  if (!config.databaseUrl) throw new ConfigError(['DATABASE_URL is required']);
  const db = createDatabase(config.databaseUrl, logger);
  await migrateToLatest(db, logger);
  const relay = await startOutboxRelay(config, db, logger);
  logger.info(
    { events: relay.publishesTo },
    `weibo-auth outbox relay publishing to ${relay.publishesTo}`,
  );
  return {
    async stop() {
      await relay.stop();
      await db.destroy();
    },
  };
}
