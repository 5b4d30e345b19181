import { randomUUID } from 'node:crypto';
import { Container } from 'inversify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AppDeps, createApp } from '../adapters/http/app.ts';
import type { ReadinessCheck } from '../adapters/http/health-routes.ts';
import { InMemoryRateLimiter } from '../adapters/memory/in-memory-rate-limiter.ts';
import { InMemoryStateStore } from '../adapters/memory/in-memory-state-store.ts';
import { KyselyUnitOfWork } from '../adapters/persistence/kysely-unit-of-work.ts';
import { KyselyUserRepository } from '../adapters/persistence/kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from '../adapters/persistence/kysely-weibo-account-repository.ts';
import type { Database } from '../adapters/persistence/schema.ts';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.ts';
import { RedisStateStore } from '../adapters/redis/redis-state-store.ts';
import type { AesGcmTokenCipher } from '../adapters/security/aes-gcm-token-cipher.ts';
import { Argon2PasswordHasher } from '../adapters/security/argon2-password-hasher.ts';
import { JoseTokenIssuer } from '../adapters/tokens/jose-token-issuer.ts';
import type { SigningKey } from '../adapters/tokens/signing-key.ts';
import { WeiboOAuthClient } from '../adapters/weibo/weibo-oauth-client.ts';
import { BindAccount } from '../application/bind-account.ts';
import { CompleteWeiboLogin } from '../application/complete-weibo-login.ts';
import type {
  Clock,
  IdGenerator,
  OAuthProvider,
  PasswordHasher,
  RateLimiter,
  StateStore,
  TokenIssuer,
  UnitOfWork,
  UserRepository,
  WeiboAccountRepository,
} from '../application/ports.ts';
import { StartWeiboLogin } from '../application/start-weibo-login.ts';
import type { Config, WeiboConfig } from './config.ts';

export const TYPES = {
  Config: Symbol.for('Config'),
  WeiboConfig: Symbol.for('WeiboConfig'),
  Logger: Symbol.for('Logger'),
  Database: Symbol.for('Database'),
  Redis: Symbol.for('Redis'),
  Clock: Symbol.for('Clock'),
  Ids: Symbol.for('Ids'),
  SigningKey: Symbol.for('SigningKey'),
  TokenCipher: Symbol.for('TokenCipher'),
  OAuthProvider: Symbol.for('OAuthProvider'),
  StateStore: Symbol.for('StateStore'),
  RateLimiter: Symbol.for('RateLimiter'),
  Users: Symbol.for('UserRepository'),
  WeiboAccounts: Symbol.for('WeiboAccountRepository'),
  UnitOfWork: Symbol.for('UnitOfWork'),
  Tokens: Symbol.for('TokenIssuer'),
  Passwords: Symbol.for('PasswordHasher'),
  StartWeiboLogin: Symbol.for('StartWeiboLogin'),
  CompleteWeiboLogin: Symbol.for('CompleteWeiboLogin'),
  BindAccount: Symbol.for('BindAccount'),
  App: Symbol.for('App'),
} as const;

/** What start-up has opened or loaded before wiring: connections and keys. */
export interface Resources {
  config: Config;
  weibo: WeiboConfig;
  logger: Logger;
  db: Kysely<Database>;
  redis: Redis | null;
  signingKey: SigningKey;
  tokenCipher: AesGcmTokenCipher;
  mounts: AppDeps['mounts'];
}

export function buildContainer(resources: Resources): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const constant = <T>(id: symbol, value: T) => container.bind<T>(id).toConstantValue(value);
  constant(TYPES.Config, resources.config);
  constant(TYPES.WeiboConfig, resources.weibo);
  constant(TYPES.Logger, resources.logger);
  constant(TYPES.Database, resources.db);
  constant(TYPES.SigningKey, resources.signingKey);
  constant(TYPES.TokenCipher, resources.tokenCipher);
  constant<Clock>(TYPES.Clock, { now: () => new Date() });
  constant<IdGenerator>(TYPES.Ids, { uuid: randomUUID });

  container
    .bind<OAuthProvider>(TYPES.OAuthProvider)
    .toResolvedValue(
      (weibo: WeiboConfig, clock: Clock) => new WeiboOAuthClient(weibo, clock),
      [TYPES.WeiboConfig, TYPES.Clock],
    );
  container
    .bind<StateStore>(TYPES.StateStore)
    .toResolvedValue(
      (clock: Clock) =>
        resources.redis ? new RedisStateStore(resources.redis) : new InMemoryStateStore(clock),
      [TYPES.Clock],
    );
  container
    .bind<RateLimiter>(TYPES.RateLimiter)
    .toResolvedValue(
      (clock: Clock) =>
        resources.redis
          ? new RedisRateLimiter(resources.redis, clock)
          : new InMemoryRateLimiter(clock),
      [TYPES.Clock],
    );
  container
    .bind<UserRepository>(TYPES.Users)
    .toResolvedValue((db: Kysely<Database>) => new KyselyUserRepository(db), [TYPES.Database]);
  container
    .bind<WeiboAccountRepository>(TYPES.WeiboAccounts)
    .toResolvedValue(
      (db: Kysely<Database>, cipher: AesGcmTokenCipher) =>
        new KyselyWeiboAccountRepository(db, cipher),
      [TYPES.Database, TYPES.TokenCipher],
    );
  container
    .bind<UnitOfWork>(TYPES.UnitOfWork)
    .toResolvedValue(
      (db: Kysely<Database>, cipher: AesGcmTokenCipher) => new KyselyUnitOfWork(db, cipher),
      [TYPES.Database, TYPES.TokenCipher],
    );
  container.bind<TokenIssuer>(TYPES.Tokens).toResolvedValue(
    (key: SigningKey, config: Config, clock: Clock) =>
      new JoseTokenIssuer(
        key,
        {
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
          loginTtlSeconds: config.jwt.ttlSeconds,
          bindTtlSeconds: config.bindTokenTtlSeconds,
        },
        clock,
      ),
    [TYPES.SigningKey, TYPES.Config, TYPES.Clock],
  );
  container.bind<PasswordHasher>(TYPES.Passwords).toResolvedValue(() => new Argon2PasswordHasher());

  container
    .bind(TYPES.StartWeiboLogin)
    .toResolvedValue(
      (oauth: OAuthProvider, states: StateStore, config: Config) =>
        new StartWeiboLogin(oauth, states, config.stateTtlSeconds),
      [TYPES.OAuthProvider, TYPES.StateStore, TYPES.Config],
    );
  container
    .bind(TYPES.CompleteWeiboLogin)
    .toResolvedValue(
      (...deps: ConstructorParameters<typeof CompleteWeiboLogin>) =>
        new CompleteWeiboLogin(...deps),
      [TYPES.OAuthProvider, TYPES.StateStore, TYPES.WeiboAccounts, TYPES.Users, TYPES.Tokens],
    );
  container.bind(TYPES.BindAccount).toResolvedValue(
    (
      tokens: TokenIssuer,
      passwords: PasswordHasher,
      unitOfWork: UnitOfWork,
      clock: Clock,
      ids: IdGenerator,
      limiter: RateLimiter,
      config: Config,
    ) =>
      new BindAccount(tokens, passwords, unitOfWork, clock, ids, {
        limiter,
        perUidPerHour: config.bindRateLimitPerHour,
      }),
    [
      TYPES.Tokens,
      TYPES.Passwords,
      TYPES.UnitOfWork,
      TYPES.Clock,
      TYPES.Ids,
      TYPES.RateLimiter,
      TYPES.Config,
    ],
  );

  container.bind(TYPES.App).toResolvedValue(
    (
      config: Config,
      logger: Logger,
      startLogin: StartWeiboLogin,
      completeLogin: CompleteWeiboLogin,
      bindAccount: BindAccount,
      tokens: JoseTokenIssuer,
      limiter: RateLimiter,
    ) =>
      createApp({
        logger,
        startLogin,
        completeLogin,
        bindAccount,
        cookieSecure: config.cookieSecure,
        stateTtlSeconds: config.stateTtlSeconds,
        corsOrigins: config.corsOrigins,
        jwks: () => tokens.jwks(),
        readiness: readinessChecks(resources),
        rateLimit: {
          limiter,
          perMinute: config.rateLimitPerMinute,
          trustProxy: config.trustProxy,
        },
        mounts: resources.mounts,
      }),
    [
      TYPES.Config,
      TYPES.Logger,
      TYPES.StartWeiboLogin,
      TYPES.CompleteWeiboLogin,
      TYPES.BindAccount,
      TYPES.Tokens,
      TYPES.RateLimiter,
    ],
  );
  return container;
}

function readinessChecks({ db, redis }: Resources): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'postgres', check: () => db.selectNoFrom((eb) => eb.lit(1).as('one')).execute() },
  ];
  if (redis) checks.push({ name: 'redis', check: () => redis.ping() });
  return checks;
}
