import type { Logger } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/infrastructure/config.ts';
import { type RunningService, startService } from '../../src/infrastructure/service.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { createFakeWeibo, type FakeWeibo } from './fake-weibo.ts';
import { silentLogger } from './silent-logger.ts';

export const CLIENT = {
  clientId: 'test-client',
  clientSecret: 'test-secret-do-not-leak',
  redirectUri: 'http://127.0.0.1/callback.html',
};

/** The service's Weibo variables for the test client, against the fake Weibo at `weiboUrl`. */
export function weiboEnv(weiboUrl: string) {
  return {
    WEIBO_CLIENT_ID: CLIENT.clientId,
    WEIBO_CLIENT_SECRET: CLIENT.clientSecret,
    WEIBO_REDIRECT_URI: CLIENT.redirectUri,
    WEIBO_API_BASE_URL: weiboUrl,
  };
}

export interface ServiceUnderTest {
  service: RunningService;
  weibo: FakeWeibo;
  database: TestDatabase;
  browser(): Browser;
  stop(): Promise<void>;
}

/** The whole service on a real port, its Weibo a fake on another, its data in its own schema. */
export async function startServiceUnderTest(
  env: NodeJS.ProcessEnv = {},
  logger: Logger = silentLogger,
): Promise<ServiceUnderTest> {
  const weibo = createFakeWeibo(CLIENT);
  const weiboUrl = await weibo.start();
  const database = await createTestDatabase();
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    ...weiboEnv(weiboUrl),
    WEIBO_TIMEOUT_MS: '500',
    // Counters live in the shared Redis: off here, covered by the rate limiter contract test.
    RATE_LIMIT_PER_MINUTE: '0',
    OUTBOX_QUEUES: `${inject('runId')}-events`,
    ...env,
  });
  const service = await startService(config, logger);
  return {
    service,
    weibo,
    database,
    browser: () => new Browser(service.url),
    async stop() {
      await service.stop();
      await weibo.stop();
      await database.destroy();
    },
  };
}

let uidCounter = Math.floor(Math.random() * 1e9);

/**
 * A Weibo uid no earlier run used: rate-limit counters outlive a run in the shared Redis.
 */
export function freshUid(): string {
  uidCounter += 1;
  return String(5_000_000_000 + uidCounter);
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whichever fields the answer has
  body: any;
}

/** A client that keeps its cookies, like one browser. */
export class Browser {
  /** `headers` go with every request (e.g. the `X-Forwarded-For` a load balancer adds). */
  constructor(
    readonly baseUrl: string,
    private readonly cookies = new Map<string, string>(),
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The same browser (its cookies, its headers) talking to another instance. */
  on(baseUrl: string): Browser {
    return new Browser(baseUrl, this.cookies, this.headers);
  }

  get(path: string): Promise<Answer> {
    return this.request(path, { method: 'GET' });
  }

  post(path: string, body: unknown): Promise<Answer> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** Asks for the authorize URL and returns the state Weibo would send back. */
  async startLogin(query = ''): Promise<string> {
    const answer = await this.get(`/v1/users/weibo/authorization${query}`);
    return new URL(answer.body.oauth_url).searchParams.get('state') ?? '';
  }

  callback(code: string, state: string): Promise<Answer> {
    const query = new URLSearchParams({ code, state });
    return this.get(`/v1/users/weibo/users?${query}`);
  }

  /** Any request, with this browser's cookies. */
  async request(path: string, init: RequestInit): Promise<Answer> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers: {
        ...this.headers,
        ...(init.headers as Record<string, string>),
        ...(cookie && { cookie }),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      this.cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : null,
    };
  }
}
