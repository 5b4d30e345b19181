import path from 'node:path';
import type { WeiboClientOptions } from '../adapters/weibo/weibo-oauth-client.ts';
import { environmentReader } from './config-reader.ts';
import { type RedisTarget, readBullMqPrefix, readRedisTarget } from './redis-target.ts';
import { tracingSettings } from './telemetry-settings.ts';

export type WeiboConfig = WeiboClientOptions & { timeoutMs: number };

export interface Config {
  production: boolean;
  /** Where the embedded database and development keys live: `./.data`. */
  dataDir: string;
  port: number;
  host: string;
  databaseUrl?: string;
  /** Unset = in-process stores (one instance only) and events logged. */
  redis?: RedisTarget;
  /** BullMQ's key prefix, for the relay's queues (and their consumers). */
  bullmqPrefix: string;
  /** Unset outside production when no Weibo credential is set at all. */
  weibo?: WeiboConfig;
  /** Further app keys whose tokens the app login accepts: the native apps' own. */
  weiboAppKeys: string[];
  /** The pause of every Weibo call after a 10022, and the Retry-After of a rate-limit answer. */
  weiboBackoffSeconds: number;
  weiboForwardClientIp: boolean;
  weiboExpirySweepSeconds: number;
  /** The admin API's keys; empty = the admin API is off. */
  adminApiKeys: string[];
  /** How long audit entries are kept. */
  auditRetentionDays: number;
  jwt: {
    privateKeyPem?: string;
    /** PEM keys retired by a rotation: published and accepted, never used to sign. */
    previousKeysPem?: string;
    issuer: string;
    audience: string;
    ttlSeconds: number;
  };
  /** The service's external URL (no trailing slash); unset = the URL it serves. */
  publicUrl?: string;
  refreshTokenTtlSeconds: number;
  stateTtlSeconds: number;
  bindTokenTtlSeconds: number;
  cookieSecure: boolean;
  rateLimitPerMinute: number;
  bindRateLimitPerHour: number;
  loginRateLimitPerHour: number;
  trustProxy: boolean;
  tokenEncryptionKey?: string;
  corsOrigins: string[];
  outboxQueues: string[];
  /** Whether `npm start` runs the outbox relay too (`npm run relay` runs it alone). */
  outboxRelay: boolean;
  logLevel: string;
  /** OpenTelemetry traces are exported (SPEC "Traces"); the SDK itself is preloaded. */
  tracing: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Reads the environment; every problem found is reported, one line each. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const read = environmentReader(env);
  const production = env.NODE_ENV === 'production';
  const weibo = readWeibo(read, env, production);
  // The embedded stores are for development and tests only.
  const databaseUrl = production
    ? read.requiredUrl('DATABASE_URL')
    : read.optionalUrl('DATABASE_URL');
  const redis = readRedisTarget(read, production);
  const sandboxAsked = read.boolean('WEIBO_SANDBOX', false);
  if (!weibo && databaseUrl && !sandboxAsked) {
    read.problems.push(
      'DATABASE_URL is set but WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and WEIBO_REDIRECT_URI are not: ' +
        'set them, or WEIBO_SANDBOX=true to allow make-believe sandbox logins on this database',
    );
  }
  if (production && sandboxAsked)
    read.problems.push('WEIBO_SANDBOX is never allowed in production');
  const tracing = tracingSettings(env);
  if (tracing.problem) read.problems.push(tracing.problem);
  const config: Config = {
    production,
    dataDir: path.resolve('.data'),
    port: read.integer('PORT', 8000, 0, 65_535),
    host: read.text('HOST', '127.0.0.1'),
    databaseUrl,
    redis,
    bullmqPrefix: readBullMqPrefix(read, redis),
    weibo,
    jwt: {
      privateKeyPem: production
        ? read.required('JWT_PRIVATE_KEY')
        : env.JWT_PRIVATE_KEY || undefined,
      previousKeysPem: env.JWT_PREVIOUS_KEYS?.trim() || undefined,
      issuer: read.text('JWT_ISSUER', 'weibo-auth'),
      audience: read.text('JWT_AUDIENCE', 'weibo-auth'),
      ttlSeconds: read.integer('JWT_TTL_SECONDS', 3600, 1, 86_400 * 30),
    },
    publicUrl: read.baseUrl('PUBLIC_URL'),
    refreshTokenTtlSeconds: read.integer('REFRESH_TOKEN_TTL_SECONDS', 2_592_000, 1, 31_536_000),
    stateTtlSeconds: read.integer('STATE_TTL_SECONDS', 600, 1, 86_400),
    bindTokenTtlSeconds: read.integer('BIND_TOKEN_TTL_SECONDS', 900, 1, 86_400),
    cookieSecure: read.boolean('COOKIE_SECURE', production),
    rateLimitPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', 300, 0, 1_000_000),
    bindRateLimitPerHour: read.integer('BIND_RATE_LIMIT_PER_HOUR', 60, 0, 1_000_000),
    loginRateLimitPerHour: read.integer('LOGIN_RATE_LIMIT_PER_HOUR', 10, 0, 1_000_000),
    trustProxy: read.boolean('TRUST_PROXY', false),
    tokenEncryptionKey: production
      ? read.required('TOKEN_ENCRYPTION_KEY')
      : env.TOKEN_ENCRYPTION_KEY || undefined,
    corsOrigins: read.list('CORS_ORIGINS'),
    weiboAppKeys: read.list('WEIBO_APP_KEYS'),
    weiboBackoffSeconds: read.integer('WEIBO_BACKOFF_SECONDS', 60, 1, 86_400),
    weiboForwardClientIp: read.boolean('WEIBO_FORWARD_CLIENT_IP', false),
    weiboExpirySweepSeconds: read.integer('WEIBO_EXPIRY_SWEEP_SECONDS', 3600, 1, 604_800),
    adminApiKeys: readAdminKeys(read, production),
    auditRetentionDays: read.integer('AUDIT_RETENTION_DAYS', 180, 1, 36_500),
    outboxQueues: read.list('OUTBOX_QUEUES', ['weibo-auth-events']),
    outboxRelay: read.boolean('OUTBOX_RELAY', true),
    logLevel: read.oneOf('LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    tracing: tracing.enabled,
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/**
 * The registered Weibo app: all three credentials, or none at all outside production (then
 * the sandbox serves). A partial set is refused, naming what is missing.
 */
function readWeibo(
  read: ReturnType<typeof environmentReader>,
  env: NodeJS.ProcessEnv,
  production: boolean,
): WeiboConfig | undefined {
  const anySet = WEIBO_CREDENTIALS.some((name) => env[name]?.trim());
  if (!anySet && !production) return undefined;
  return {
    clientId: read.required('WEIBO_CLIENT_ID'),
    clientSecret: read.required('WEIBO_CLIENT_SECRET'),
    redirectUri: read.url('WEIBO_REDIRECT_URI', undefined),
    scope: read.text('WEIBO_SCOPE', ''),
    apiBaseUrl: read.url('WEIBO_API_BASE_URL', 'https://api.weibo.com'),
    mobileAuthorizeUrl: read.url(
      'WEIBO_MOBILE_AUTHORIZE_URL',
      'https://open.weibo.cn/oauth2/authorize',
    ),
    timeoutMs: read.integer('WEIBO_TIMEOUT_MS', 5000, 1, 120_000),
  };
}

const WEIBO_CREDENTIALS = ['WEIBO_CLIENT_ID', 'WEIBO_CLIENT_SECRET', 'WEIBO_REDIRECT_URI'];

/** The keys the README shows: anyone can read them, so production refuses them. */
export const EXAMPLE_ADMIN_KEYS = ['support-desk-key-change-me-0123456789abcdef'];
const MIN_ADMIN_KEY_LENGTH = 32;

function readAdminKeys(read: ReturnType<typeof environmentReader>, production: boolean) {
  const keys = read.list('ADMIN_API_KEYS');
  keys.forEach((key, index) => {
    if (key.length < MIN_ADMIN_KEY_LENGTH) {
      read.problems.push(
        `ADMIN_API_KEYS: key ${index + 1} has ${key.length} characters; each needs at least ${MIN_ADMIN_KEY_LENGTH}`,
      );
    }
    if (production && EXAMPLE_ADMIN_KEYS.includes(key)) {
      read.problems.push(
        `ADMIN_API_KEYS: key ${index + 1} is the README's example; make a random one`,
      );
    }
  });
  return keys;
}
