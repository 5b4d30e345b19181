import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXAMPLE_ADMIN_KEYS, loadConfig } from '../../src/infrastructure/config.ts';
import { loadKeys } from '../../src/infrastructure/keys.ts';
import { silentLogger } from '../support/silent-logger.ts';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const pkcs8Pem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

const WEIBO = {
  WEIBO_CLIENT_ID: 'id',
  WEIBO_CLIENT_SECRET: 'secret',
  WEIBO_REDIRECT_URI: 'https://shop.example/callback.html',
};

describe('loadConfig', () => {
  it('runs on its embedded defaults with no variables at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      production: false,
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      redis: undefined,
      bullmqPrefix: 'bull',
      weibo: undefined,
      jwt: { issuer: 'weibo-auth', audience: 'weibo-auth', ttlSeconds: 3600 },
      stateTtlSeconds: 600,
      bindTokenTtlSeconds: 900,
      cookieSecure: false,
      rateLimitPerMinute: 300,
      bindRateLimitPerHour: 60,
      trustProxy: false,
      outboxQueues: ['weibo-auth-events'],
      outboxRelay: true,
      logLevel: 'info',
    });
  });

  it('reads the Weibo app with the default API roots and timeout', () => {
    expect(loadConfig(WEIBO).weibo).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      redirectUri: 'https://shop.example/callback.html',
      scope: '',
      apiBaseUrl: 'https://api.weibo.com',
      mobileAuthorizeUrl: 'https://open.weibo.cn/oauth2/authorize',
      timeoutMs: 5000,
    });
  });

  it('refuses to start in production without Weibo credentials, keys or stores, one line each', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'WEIBO_CLIENT_ID is required',
      'WEIBO_CLIENT_SECRET is required',
      'WEIBO_REDIRECT_URI is required',
      'DATABASE_URL is required',
      'REDIS_URL is required (or REDIS_SENTINELS or REDIS_CLUSTER_NODES)',
      'JWT_PRIVATE_KEY is required',
      'TOKEN_ENCRYPTION_KEY is required',
    ]);
  });

  it('makes the binding cookie Secure by default in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      ...WEIBO,
      DATABASE_URL: 'postgres://db.internal/weibo_auth',
      REDIS_URL: 'redis://redis.internal:6379',
      JWT_PRIVATE_KEY: 'pem',
      TOKEN_ENCRYPTION_KEY: 'key',
    });
    expect(config.cookieSecure).toBe(true);
  });

  it('keeps audit entries 180 days unless AUDIT_RETENTION_DAYS says otherwise, from 1 day', () => {
    expect(loadConfig({}).auditRetentionDays).toBe(180);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
    for (const value of ['0', '-1', '1.5', 'a year']) {
      expect(problemsOf({ AUDIT_RETENTION_DAYS: value }), value).toEqual([
        'AUDIT_RETENTION_DAYS must be a whole number from 1 to 36500',
      ]);
    }
  });

  describe('ADMIN_API_KEYS', () => {
    const production = {
      NODE_ENV: 'production',
      ...WEIBO,
      DATABASE_URL: 'postgres://db.internal/weibo_auth',
      REDIS_URL: 'redis://redis.internal:6379',
      JWT_PRIVATE_KEY: 'pem',
      TOKEN_ENCRYPTION_KEY: 'key',
    };
    const long = 'k'.repeat(32);

    it('is off unless set, and takes comma-separated keys of 32 characters or more', () => {
      expect(loadConfig({}).adminApiKeys).toEqual([]);
      expect(loadConfig({ ADMIN_API_KEYS: ` ${long}, ${long}2 ` }).adminApiKeys).toEqual([
        long,
        `${long}2`,
      ]);
    });

    it('refuses start-up for a key shorter than 32 characters, naming which', () => {
      expect(problemsOf({ ADMIN_API_KEYS: `${long},short` })).toEqual([
        'ADMIN_API_KEYS: key 2 has 5 characters; each needs at least 32',
      ]);
    });

    it("refuses the README's example key in production only", () => {
      const [example = ''] = EXAMPLE_ADMIN_KEYS;
      expect(loadConfig({ ADMIN_API_KEYS: example }).adminApiKeys).toEqual([example]);
      expect(problemsOf({ ...production, ADMIN_API_KEYS: example })).toEqual([
        "ADMIN_API_KEYS: key 1 is the README's example; make a random one",
      ]);
      expect(loadConfig({ ...production, ADMIN_API_KEYS: long }).adminApiKeys).toEqual([long]);
    });
  });

  it('asks for the rest of the Weibo credentials when only some are set', () => {
    expect(problemsOf({ WEIBO_CLIENT_ID: 'id' })).toEqual([
      'WEIBO_CLIENT_SECRET is required',
      'WEIBO_REDIRECT_URI is required',
    ]);
  });

  it('names every malformed value', () => {
    expect(
      problemsOf({
        PORT: 'eighty',
        STATE_TTL_SECONDS: '-1',
        COOKIE_SECURE: 'maybe',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'not a url',
        ...WEIBO,
        WEIBO_API_BASE_URL: 'ftp://weibo',
      }),
    ).toEqual([
      'WEIBO_API_BASE_URL must be an http(s) URL',
      'DATABASE_URL must be a URL',
      'PORT must be a whole number from 0 to 65535',
      'STATE_TTL_SECONDS must be a whole number from 1 to 86400',
      'COOKIE_SECURE must be true or false',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('reads lists and switches', () => {
    const config = loadConfig({
      OUTBOX_QUEUES: ' billing, crm ,,',
      CORS_ORIGINS: 'https://a.example,https://b.example',
      RATE_LIMIT_PER_MINUTE: '0',
      TRUST_PROXY: 'true',
      OUTBOX_RELAY: 'false',
    });
    expect(config).toMatchObject({
      outboxQueues: ['billing', 'crm'],
      corsOrigins: ['https://a.example', 'https://b.example'],
      rateLimitPerMinute: 0,
      trustProxy: true,
      outboxRelay: false,
    });
  });

  it('accepts lifetimes of whole seconds from 1, as tests use', () => {
    const config = loadConfig({
      STATE_TTL_SECONDS: '2',
      BIND_TOKEN_TTL_SECONDS: '1',
      JWT_TTL_SECONDS: '2',
    });
    expect(config).toMatchObject({ stateTtlSeconds: 2, bindTokenTtlSeconds: 1 });
    expect(config.jwt.ttlSeconds).toBe(2);
    expect(
      problemsOf({ STATE_TTL_SECONDS: '0', BIND_TOKEN_TTL_SECONDS: '1.5', JWT_TTL_SECONDS: '0' }),
    ).toEqual([
      'JWT_TTL_SECONDS must be a whole number from 1 to 2592000',
      'STATE_TTL_SECONDS must be a whole number from 1 to 86400',
      'BIND_TOKEN_TTL_SECONDS must be a whole number from 1 to 86400',
    ]);
  });

  describe('the sandbox Weibo', () => {
    const DATABASE_URL = 'postgres://db.internal/weibo_auth';

    it('is refused with a real DATABASE_URL and no Weibo credentials, in one line', () => {
      expect(problemsOf({ DATABASE_URL })).toEqual([
        'DATABASE_URL is set but WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and WEIBO_REDIRECT_URI are not: ' +
          'set them, or WEIBO_SANDBOX=true to allow make-believe sandbox logins on this database',
      ]);
    });

    it('runs on a real DATABASE_URL only when WEIBO_SANDBOX=true says so', () => {
      expect(loadConfig({ DATABASE_URL, WEIBO_SANDBOX: 'true' })).toMatchObject({
        databaseUrl: DATABASE_URL,
        weibo: undefined,
      });
    });

    it('is never allowed in production, even when asked for', () => {
      expect(problemsOf({ NODE_ENV: 'production', WEIBO_SANDBOX: 'true' })).toContain(
        'WEIBO_SANDBOX is never allowed in production',
      );
    });

    it('is not used when the Weibo credentials are set, whatever DATABASE_URL says', () => {
      expect(loadConfig({ DATABASE_URL, ...WEIBO }).weibo?.clientId).toBe('id');
    });
  });
});

describe('PUBLIC_URL', () => {
  it('is unset by default: the service then uses the URL it serves', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
  });

  it('is read without its trailing slashes', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://auth.shop.example/' }).publicUrl).toBe(
      'https://auth.shop.example',
    );
    expect(loadConfig({ PUBLIC_URL: 'http://10.0.0.5:8000/auth//' }).publicUrl).toBe(
      'http://10.0.0.5:8000/auth',
    );
  });

  it('must be an http(s) URL paths can be appended to', () => {
    for (const PUBLIC_URL of [
      'auth.shop.example',
      'ftp://auth.shop.example',
      'https://auth.shop.example/?tenant=1',
      'https://auth.shop.example/#keys',
      'https://user:pw@auth.shop.example',
    ]) {
      expect(problemsOf({ PUBLIC_URL }), PUBLIC_URL).toEqual([
        'PUBLIC_URL must be an http(s) URL without query, fragment or credentials',
      ]);
    }
  });
});

describe('JWT_PREVIOUS_KEYS', () => {
  const KEYS = {
    JWT_PRIVATE_KEY: pkcs8Pem(),
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  async function keyProblemsOf(env: NodeJS.ProcessEnv): Promise<string[]> {
    const error = await loadKeys(loadConfig({ ...KEYS, ...env }), silentLogger).catch(
      (caught: unknown) => caught,
    );
    return error instanceof ConfigError ? error.problems : [];
  }

  it('is read as given, and none by default', async () => {
    expect(loadConfig({}).jwt.previousKeysPem).toBeUndefined();
    const previous = `${pkcs8Pem()}${pkcs8Pem()}`;
    const config = loadConfig({ ...KEYS, JWT_PREVIOUS_KEYS: previous });
    expect(config.jwt.previousKeysPem).toBe(previous.trim());
    expect((await loadKeys(config, silentLogger)).previousKeys).toHaveLength(2);
    expect((await loadKeys(loadConfig(KEYS), silentLogger)).previousKeys).toEqual([]);
  });

  it('refuses a malformed entry with exactly one line naming it', async () => {
    const garbage = '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----';

    expect(await keyProblemsOf({ JWT_PREVIOUS_KEYS: `${pkcs8Pem()}${garbage}` })).toEqual([
      'JWT_PREVIOUS_KEYS: the 2nd key is not a readable key: expected a P-256 (ES256) or ' +
        'Ed25519 (EdDSA) key, public or private, in PEM',
    ]);
  });

  it('reports it beside a malformed JWT_PRIVATE_KEY, one line each', async () => {
    const problems = await keyProblemsOf({ JWT_PRIVATE_KEY: 'pem', JWT_PREVIOUS_KEYS: 'pem' });

    expect(problems).toEqual([
      expect.stringMatching(/^JWT_PRIVATE_KEY: Signing key is not a readable private key/),
      'JWT_PREVIOUS_KEYS: the 1st key is not a complete PEM block (-----BEGIN …----- to -----END …-----)',
    ]);
  });

  describe('Redis modes', () => {
    const production = {
      NODE_ENV: 'production',
      ...WEIBO,
      DATABASE_URL: 'postgres://db.internal/weibo_auth',
      JWT_PRIVATE_KEY: 'pem',
      TOKEN_ENCRYPTION_KEY: 'key',
    };

    it('reads one server from REDIS_URL, with BullMQ under its own prefix', () => {
      const config = loadConfig({ REDIS_URL: 'redis://redis.internal:6379' });
      expect(config.redis).toEqual({ mode: 'single', url: 'redis://redis.internal:6379' });
      expect(config.bullmqPrefix).toBe('bull');
    });

    it("reads Sentinel: its nodes, the primary's name and the data nodes' password", () => {
      const config = loadConfig({
        REDIS_SENTINELS: 's1.internal:26379, 10.0.0.2:26380,[::1]:26381',
        REDIS_SENTINEL_MASTER: 'weibo-auth',
        REDIS_PASSWORD: 'hunter2',
      });
      expect(config.redis).toEqual({
        mode: 'sentinel',
        sentinels: [
          { host: 's1.internal', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'weibo-auth',
        password: 'hunter2',
      });
    });

    it('reads a Cluster, whose BullMQ prefix defaults to one hash tag', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' });
      expect(config.redis).toEqual({
        mode: 'cluster',
        nodes: [
          { host: 'n1', port: 7000 },
          { host: 'n2', port: 7001 },
        ],
        password: undefined,
      });
      expect(config.bullmqPrefix).toBe('{bull}');
      const named = { REDIS_CLUSTER_NODES: 'n1:7000', BULLMQ_PREFIX: 'shop:{weibo-auth}' };
      expect(loadConfig(named).bullmqPrefix).toBe('shop:{weibo-auth}');
    });

    it('refuses a BullMQ prefix without a hash tag under Cluster only', () => {
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'n1:7000', BULLMQ_PREFIX: 'bull' })).toEqual([
        'BULLMQ_PREFIX "bull" has no {…} hash tag, which Redis Cluster needs: e.g. {bull}',
      ]);
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'n1:7000', BULLMQ_PREFIX: '{}' })).toHaveLength(1);
      expect(loadConfig({ REDIS_URL: 'redis://r', BULLMQ_PREFIX: 'shop' }).bullmqPrefix).toBe(
        'shop',
      );
    });

    it('refuses more than one mode, naming the variables', () => {
      expect(problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'n1:7000' })).toEqual([
        'REDIS_URL, REDIS_CLUSTER_NODES are set: set only one of them, one way to reach Redis',
      ]);
      expect(
        problemsOf({
          REDIS_URL: 'redis://r:6379',
          REDIS_SENTINELS: 's:26379',
          REDIS_SENTINEL_MASTER: 'm',
          REDIS_CLUSTER_NODES: 'n1:7000',
        }),
      ).toEqual([
        'REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES are set: set only one of them, one way to reach Redis',
      ]);
    });

    it('counts an empty value as unset', () => {
      const config = loadConfig({
        REDIS_URL: '  ',
        REDIS_SENTINELS: '',
        REDIS_CLUSTER_NODES: 'n:1',
      });
      expect(config.redis?.mode).toBe('cluster');
    });

    it("refuses Sentinel without the primary's name, and nodes that are not host:port", () => {
      expect(problemsOf({ REDIS_SENTINELS: 's:26379' })).toEqual([
        'REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER is not',
      ]);
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'n1:7000,n2,n3:99999' })).toEqual([
        'REDIS_CLUSTER_NODES: "n2" is not host:port',
        'REDIS_CLUSTER_NODES: "n3:99999" is not host:port',
      ]);
    });

    it('accepts any of the three modes in production, and none of them is refused', () => {
      expect(
        problemsOf({ ...production, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' }),
      ).toEqual([]);
      expect(problemsOf({ ...production, REDIS_CLUSTER_NODES: 'n:7000' })).toEqual([]);
      expect(problemsOf(production)).toEqual([
        'REDIS_URL is required (or REDIS_SENTINELS or REDIS_CLUSTER_NODES)',
      ]);
    });
  });
});
