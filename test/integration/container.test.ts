import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeteredStateStore } from '../../src/adapters/metrics/metered-state-store.ts';
import { LoggingEventPublisher } from '../../src/adapters/outbox/logging-event-publisher.ts';
import { OutboxRelay } from '../../src/adapters/outbox/outbox-relay.ts';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';
import { generateSigningKey } from '../../src/adapters/tokens/signing-key.ts';
import { loadConfig } from '../../src/infrastructure/config.ts';
import {
  APP,
  buildContainer,
  EVENT_PUBLISHER,
  STATE_STORE,
} from '../../src/infrastructure/container.ts';
import { resolve } from '../../src/infrastructure/typed-token.ts';
import { createEmbeddedTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';

const WEIBO = {
  clientId: 'root-test',
  clientSecret: 'root-secret',
  redirectUri: 'https://shop.example/callback.html',
  scope: '',
  apiBaseUrl: 'https://weibo.example',
  mobileAuthorizeUrl: 'https://m.weibo.example/oauth2/authorize',
  timeoutMs: 1000,
};

let database: TestDatabase;
beforeAll(async () => {
  database = await createEmbeddedTestDatabase();
});
afterAll(() => database.destroy());

async function realContainer() {
  return buildContainer({
    config: loadConfig({}),
    logger: silentLogger,
    db: database.db,
    redis: null,
    relayRedis: null,
    signingKey: (await generateSigningKey()).key,
    tokenCipher: new AesGcmTokenCipher(AesGcmTokenCipher.generateKey()),
    weibo: WEIBO,
  });
}

describe('the composition root with PGlite and in-process stores', () => {
  it('serves /healthz, /readyz and an authorize call through the wired app', async () => {
    const app = resolve(await realContainer(), APP);
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
    const authorize = await app.request('/v1/users/weibo/authorization?return_to=/cart');
    expect(authorize.status).toBe(200);
    const { oauth_url } = (await authorize.json()) as { oauth_url: string };
    const url = new URL(oauth_url);
    expect(`${url.origin}${url.pathname}`).toBe('https://weibo.example/oauth2/authorize');
    expect(url.searchParams.get('client_id')).toBe('root-test');
  });

  it('picks the in-process implementations without Redis, once each', async () => {
    const container = await realContainer();
    // Metered, around the in-process store (the authorize call above ran on it without Redis).
    expect(resolve(container, STATE_STORE)).toBeInstanceOf(MeteredStateStore);
    expect(resolve(container, STATE_STORE)).toBe(resolve(container, STATE_STORE));
    expect(resolve(container, EVENT_PUBLISHER)).toBeInstanceOf(LoggingEventPublisher);
    expect(resolve(container, OutboxRelay)).toBeInstanceOf(OutboxRelay);
  });
});
