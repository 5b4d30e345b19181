import { randomUUID } from 'node:crypto';
import type { Hono, MiddlewareHandler } from 'hono';
import { type AbstractNewable, Container } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createApp } from '../adapters/http/app.ts';
import { InMemoryRateLimiter } from '../adapters/memory/in-memory-rate-limiter.ts';
import { InMemoryStateStore } from '../adapters/memory/in-memory-state-store.ts';
import { InMemoryWeiboPause } from '../adapters/memory/in-memory-weibo-pause.ts';
import { MeteredOAuthProvider } from '../adapters/metrics/metered-oauth-provider.ts';
import { MeteredOutboxStore } from '../adapters/metrics/metered-outbox-store.ts';
import { MeteredSessionRepository } from '../adapters/metrics/metered-session-repository.ts';
import { MeteredStateStore } from '../adapters/metrics/metered-state-store.ts';
import { ServiceMetrics } from '../adapters/metrics/service-metrics.ts';
import { BullMqEventPublisher } from '../adapters/outbox/bullmq-event-publisher.ts';
import { LoggingEventPublisher } from '../adapters/outbox/logging-event-publisher.ts';
import { OutboxRelay } from '../adapters/outbox/outbox-relay.ts';
import { KyselyAuditLog } from '../adapters/persistence/kysely-audit-log.ts';
import { KyselyHousekeeping } from '../adapters/persistence/kysely-housekeeping.ts';
import { KyselyOutboxStore } from '../adapters/persistence/kysely-outbox-store.ts';
import { KyselySessionRepository } from '../adapters/persistence/kysely-session-repository.ts';
import { KyselyUnitOfWork } from '../adapters/persistence/kysely-unit-of-work.ts';
import { KyselyUserRepository } from '../adapters/persistence/kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from '../adapters/persistence/kysely-weibo-account-repository.ts';
import type { Database } from '../adapters/persistence/schema.ts';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.ts';
import { RedisStateStore } from '../adapters/redis/redis-state-store.ts';
import { RedisWeiboPause } from '../adapters/redis/redis-weibo-pause.ts';
import { Argon2PasswordHasher } from '../adapters/security/argon2-password-hasher.ts';
import { JoseTokenIssuer } from '../adapters/tokens/jose-token-issuer.ts';
import type { SigningKey, VerificationKey } from '../adapters/tokens/signing-key.ts';
import { activeTraceContext } from '../adapters/tracing/trace-context.ts';
import { TracedEventPublisher } from '../adapters/tracing/traced-event-publisher.ts';
import { WeiboOAuthClient } from '../adapters/weibo/weibo-oauth-client.ts';
import { WeiboTransport } from '../adapters/weibo/weibo-transport.ts';
import { Authenticate } from '../application/authenticate.ts';
import { BindAccount } from '../application/bind-account.ts';
import { CompleteWeiboLogin } from '../application/complete-weibo-login.ts';
import { DeleteAccount } from '../application/delete-account.ts';
import { FindUsers } from '../application/find-users.ts';
import { HandleWeiboDeauthorization } from '../application/handle-weibo-deauthorization.ts';
import { Housekeeping } from '../application/housekeeping.ts';
import { LinkWeiboAccount } from '../application/link-weibo-account.ts';
import { ListActivity } from '../application/list-activity.ts';
import { ListWeiboFriends } from '../application/list-weibo-friends.ts';
import { LockUser } from '../application/lock-user.ts';
import type { EventPublisher } from '../application/outbox-ports.ts';
import type {
  Clock,
  IdGenerator,
  RateLimiter,
  StateStore,
  TokenCipher,
} from '../application/ports.ts';
import type { SessionRepository } from '../application/session-ports.ts';
import { Sessions } from '../application/sessions.ts';
import { SignInWithPassword } from '../application/sign-in-with-password.ts';
import { SignInWithWeiboApp } from '../application/sign-in-with-weibo-app.ts';
import { StartWeiboLogin } from '../application/start-weibo-login.ts';
import { UnbindWeibo } from '../application/unbind-weibo.ts';
import type { OAuthProvider, WeiboPause } from '../application/weibo-ports.ts';
import type { Config, WeiboConfig } from './config.ts';
import { readinessChecks } from './readiness.ts';
import type { RedisClient } from './redis.ts';
import { developmentApps } from './sandbox.ts';
import { bindClass, bindFactory, resolve, Token } from './typed-token.ts';
import { bindUseCases } from './use-cases.ts';
import { uuidV7 } from './uuid-v7.ts';

/** What start-up opened or loaded before wiring: connections, keys and development apps. */
export interface Resources {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  /** Request-time Redis (state, rate limits), or null for in-process stores. */
  redis: RedisClient | null;
  /** The relay's own Redis for BullMQ, or null to log events instead. */
  relayRedis: RedisClient | null;
  signingKey: SigningKey;
  /** Keys a rotation retired (JWT_PREVIOUS_KEYS): still accepted, never used to sign. */
  previousKeys?: VerificationKey[];
  tokenCipher: TokenCipher;
  /** With tracing on, the middleware making each request's server span. */
  serverSpans?: MiddlewareHandler;
  /** The URL clients reach the HTTP service at, for its discovery document. */
  publicUrl?: string;
  /** The Weibo app: the real one, or the sandbox. Only the HTTP service needs it. */
  weibo?: WeiboConfig;
  /** The sandbox Weibo's own app, served under `/sandbox/weibo` when it is on. */
  sandbox?: Hono;
}

// Values and ports with several implementations; every other part is its own class.
const CONFIG = new Token<Config>('Config');
const LOGGER = new Token<Logger>('Logger');
export const DATABASE = new Token<Kysely<Database>>('Database');
const SIGNING_KEY = new Token<SigningKey>('SigningKey');
const TOKEN_CIPHER = new Token<TokenCipher>('TokenCipher');
export const WEIBO = new Token<WeiboConfig>('WeiboConfig');
const CLOCK = new Token<Clock>('Clock');
const IDS = new Token<IdGenerator>('IdGenerator');
export const STATE_STORE = new Token<StateStore>('StateStore');
const RATE_LIMITER = new Token<RateLimiter>('RateLimiter');
const WEIBO_PAUSE = new Token<WeiboPause>('WeiboPause');
export const EVENT_PUBLISHER = new Token<EventPublisher>('EventPublisher');
const OAUTH_PROVIDER = new Token<OAuthProvider>('OAuthProvider');
export const METRICS = new Token<ServiceMetrics>('ServiceMetrics');
const SESSIONS = new Token<SessionRepository>('SessionRepository');
export const APP = new Token<Hono>('App');

/** The one composition root: tsc checks every argument against what its token provides. */
export function buildContainer(resources: Resources): Container {
  const { config, redis, relayRedis, publicUrl } = resources;
  const container = new Container({ defaultScope: 'Singleton' });
  const value = <T>(token: Token<T>, it: T) => container.bind<T>(token.id).toConstantValue(it);
  value(CONFIG, config);
  value(LOGGER, resources.logger);
  value(DATABASE, resources.db);
  value(SIGNING_KEY, resources.signingKey);
  value(TOKEN_CIPHER, resources.tokenCipher);
  value(CLOCK, { now: () => new Date() });
  value(IDS, { uuid: randomUUID, ordered: () => uuidV7() });
  if (resources.weibo) value(WEIBO, resources.weibo);

  bindFactory(container, METRICS, [KyselyOutboxStore], (outbox) => new ServiceMetrics(outbox));
  bindFactory(container, RATE_LIMITER, [CLOCK], (clock) =>
    redis ? new RedisRateLimiter(redis, clock) : new InMemoryRateLimiter(clock),
  );
  // The login start counts its request against the client's limit with the state's write.
  bindFactory(container, STATE_STORE, [CLOCK, METRICS, RATE_LIMITER], (clock, metrics, limiter) => {
    const store = redis
      ? new RedisStateStore(redis, clock)
      : new InMemoryStateStore(clock, { limiter });
    return new MeteredStateStore(store, metrics);
  });
  bindFactory(container, EVENT_PUBLISHER, [LOGGER], (logger) => {
    const publisher = relayRedis
      ? new BullMqEventPublisher(relayRedis, config.outboxQueues, logger, config.bullmqPrefix)
      : new LoggingEventPublisher(logger);
    return config.tracing ? new TracedEventPublisher(publisher, config.outboxQueues) : publisher;
  });

  bindFactory(container, WEIBO_PAUSE, [CLOCK], (clock) =>
    redis ? new RedisWeiboPause(redis, clock) : new InMemoryWeiboPause(clock),
  );
  bindFactory(
    container,
    WeiboTransport,
    [WEIBO, WEIBO_PAUSE, LOGGER],
    (weibo, pause, logger) =>
      new WeiboTransport(
        {
          apiBaseUrl: weibo.apiBaseUrl,
          timeoutMs: weibo.timeoutMs,
          backoffSeconds: config.weiboBackoffSeconds,
          forwardClientIp: config.weiboForwardClientIp,
        },
        pause,
        logger,
      ),
  );
  bindClass(container, WeiboOAuthClient, [WEIBO, CLOCK, WeiboTransport]);
  bindFactory(
    container,
    OAUTH_PROVIDER,
    [WeiboOAuthClient, METRICS],
    (weibo, metrics) => new MeteredOAuthProvider(weibo, metrics),
  );
  bindClass(container, KyselyUserRepository, [DATABASE]);
  bindClass(container, KyselyWeiboAccountRepository, [DATABASE, TOKEN_CIPHER]);
  bindFactory(
    container,
    KyselyUnitOfWork,
    [DATABASE, TOKEN_CIPHER],
    (db, cipher) =>
      new KyselyUnitOfWork(db, cipher, config.tracing ? activeTraceContext : undefined),
  );
  bindClass(container, KyselyAuditLog, [DATABASE]);
  bindFactory(
    container,
    Housekeeping,
    [CLOCK, METRICS],
    (clock, metrics) =>
      new Housekeeping(
        new KyselyHousekeeping(resources.db),
        clock,
        config.auditRetentionDays,
        (table, rows) => metrics.countPurged(table, rows),
      ),
  );
  bindClass(container, KyselyOutboxStore, [DATABASE]);
  bindFactory(
    container,
    SESSIONS,
    [DATABASE, METRICS],
    (db, metrics) => new MeteredSessionRepository(new KyselySessionRepository(db), metrics),
  );
  bindFactory(container, Argon2PasswordHasher, [], () => new Argon2PasswordHasher());
  bindFactory(
    container,
    OutboxRelay,
    [KyselyOutboxStore, EVENT_PUBLISHER, LOGGER, METRICS],
    (store, publisher, logger, metrics) =>
      new OutboxRelay(new MeteredOutboxStore(store, metrics), publisher, logger),
  );
  bindFactory(container, JoseTokenIssuer, [SIGNING_KEY, CLOCK], (key, clock) => {
    const { issuer, audience, ttlSeconds } = config.jwt;
    const ttls = { loginTtlSeconds: ttlSeconds, bindTtlSeconds: config.bindTokenTtlSeconds };
    return new JoseTokenIssuer(key, { issuer, audience, ...ttls }, clock, resources.previousKeys);
  });

  bindUseCases(
    container,
    config,
    { OAUTH_PROVIDER, STATE_STORE, RATE_LIMITER, SESSIONS, CLOCK, IDS },
    resources.weibo?.clientId,
  );

  // The app takes every use case: each is resolved by its class, so tsc checks the fields.
  const get = <T>(id: Token<T> | AbstractNewable<T>) => resolve(container, id);
  container.bind(APP.id).toDynamicValue(() =>
    createApp({
      logger: get(LOGGER),
      serviceMetrics: get(METRICS),
      startLogin: get(StartWeiboLogin),
      completeLogin: get(CompleteWeiboLogin),
      bindAccount: get(BindAccount),
      authenticate: get(Authenticate),
      signInWithPassword: get(SignInWithPassword),
      listWeiboFriends: get(ListWeiboFriends),
      linkWeiboAccount: get(LinkWeiboAccount),
      unbindWeibo: get(UnbindWeibo),
      deleteAccount: get(DeleteAccount),
      signInWithWeiboApp: get(SignInWithWeiboApp),
      listActivity: get(ListActivity),
      adminApiKeys: config.adminApiKeys,
      findUsers: get(FindUsers),
      lockUser: get(LockUser),
      handleWeiboDeauthorization: get(HandleWeiboDeauthorization),
      sessions: get(Sessions),
      cookieSecure: config.cookieSecure,
      stateTtlSeconds: config.stateTtlSeconds,
      corsOrigins: config.corsOrigins,
      serverSpans: resources.serverSpans,
      jwks: () => get(JoseTokenIssuer).jwks(),
      openIdProvider: publicUrl ? { issuer: config.jwt.issuer, publicUrl } : undefined,
      readiness: readinessChecks(resources.db, resources.redis),
      rateLimit: {
        limiter: get(RATE_LIMITER),
        perMinute: config.rateLimitPerMinute,
        trustProxy: config.trustProxy,
      },
      mounts: developmentApps(config.production, resources.sandbox),
    }),
  );
  return container;
}
