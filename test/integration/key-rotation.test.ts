import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createFakeWeibo } from '../support/fake-weibo.ts';
import { Browser, freshUid } from '../support/running-service.ts';
import { type ServiceProcess, spawnService, waitForExit } from '../support/service-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery';
const AUDIENCE = 'shop';
const client = {
  clientId: 'rotation',
  clientSecret: 'rotation-secret',
  redirectUri: 'http://127.0.0.1/cb',
};
const weibo = createFakeWeibo(client);

/** Key A (Ed25519) signs before the rotation, key B (P-256) after it. */
const keyA = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const keyB = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const kidOf = async (pem: string) =>
  calculateJwkThumbprint(await exportJWK(createPublicKey(pem)), 'sha256');

/**
 * A verifier that knows nothing of this service but its discovery URL, in a process of its own,
 * as an API gateway's JWT middleware would be: jose's remote JWKS and `jwtVerify`.
 */
const VERIFIER = `
import { createRemoteJWKSet, jwtVerify } from 'jose';
const [discoveryUrl, token, audience] = process.argv.slice(1);
const discovery = await (await fetch(discoveryUrl)).json();
const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
try {
  const { payload, protectedHeader } = await jwtVerify(token, keys, { issuer: discovery.issuer, audience });
  console.log(JSON.stringify({ verified: true, sub: payload.sub, kid: protectedHeader.kid }));
} catch (error) {
  console.log(JSON.stringify({ verified: false, code: error.code }));
}`;

async function verifyElsewhere(serviceUrl: string, token: string) {
  const discoveryUrl = `${serviceUrl}/.well-known/openid-configuration`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', VERIFIER, discoveryUrl, token, AUDIENCE],
    { cwd: ROOT, timeout: 10_000 },
  );
  return JSON.parse(stdout);
}

let database: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  database = await createTestDatabase();
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    WEIBO_CLIENT_ID: client.clientId,
    WEIBO_CLIENT_SECRET: client.clientSecret,
    WEIBO_REDIRECT_URI: client.redirectUri,
    WEIBO_API_BASE_URL: await weibo.start(),
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    JWT_AUDIENCE: AUDIENCE,
    RATE_LIMIT_PER_MINUTE: '0',
    OUTBOX_RELAY: 'false',
  };
});
afterAll(async () => {
  await weibo.stop();
  await database.destroy();
});

/** The service as its own process; stopped with SIGTERM when the test ends, however it ends. */
async function serve(keys: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const service = await spawnService({ ...env, ...keys });
  onTestFinished(async () => {
    if (service.process.exitCode !== null || service.process.signalCode !== null) return;
    service.process.kill('SIGTERM');
    await waitForExit(service.process);
  });
  return service;
}

const me = (browser: Browser, token: string) =>
  browser.request('/v1/users/me', { method: 'GET', headers: { authorization: `Bearer ${token}` } });

const kidsOf = async (browser: Browser) =>
  (await browser.get('/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid);

/** A Weibo login of a fresh uid up to the callback's bind token. */
async function bindToken(browser: Browser): Promise<string> {
  const answer = await browser.callback(
    weibo.issueCode({ uid: freshUid() }),
    await browser.startLogin(),
  );
  expect(answer.body.code).toBe(201);
  return answer.body.bind_token;
}

async function bind(browser: Browser, token: string, username: string) {
  return browser.post('/v1/users/weibo/users', {
    bind_token: token,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'rotation@example.com',
  });
}

describe('a key rotation across restarts of the real service', () => {
  const username = `rot_${freshUid()}`;
  let tokenOfA: string;
  let bindTokenOfA: string;
  let tokenOfB: string;

  it('with key A: signs with A, and its discovery document follows PUBLIC_URL', async () => {
    const service = await serve({
      JWT_PRIVATE_KEY: keyA,
      PUBLIC_URL: 'https://auth.shop.example/',
    });
    const browser = new Browser(service.url);
    const bound = await bind(browser, await bindToken(browser), username);
    expect(bound.body.code).toBe(200);
    tokenOfA = bound.body.token;
    bindTokenOfA = await bindToken(browser);

    expect(decodeProtectedHeader(tokenOfA).kid).toBe(await kidOf(keyA));
    expect((await me(browser, tokenOfA)).body.user.username).toBe(username);
    const discovery = await browser.get('/.well-known/openid-configuration');
    expect(discovery.headers.get('cache-control')).toBe('public, max-age=300');
    expect(discovery.body).toEqual({
      issuer: 'weibo-auth',
      jwks_uri: 'https://auth.shop.example/.well-known/jwks.json',
      token_endpoint: 'https://auth.shop.example/v1/tokens',
      id_token_signing_alg_values_supported: ['EdDSA'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
    });
  });

  it('with B current and A previous: accepts A’s tokens, signs with B, publishes both', async () => {
    const service = await serve({ JWT_PRIVATE_KEY: keyB, JWT_PREVIOUS_KEYS: keyA });
    const browser = new Browser(service.url);

    expect(await me(browser, tokenOfA)).toMatchObject({ status: 200, body: { code: 200 } });
    const linked = await bind(browser, bindTokenOfA, `rot_${freshUid()}`);
    expect(linked.body.code).toBe(200);
    const signedIn = await browser.post('/v1/tokens', { username, password: PASSWORD });
    tokenOfB = signedIn.body.token;
    expect(decodeProtectedHeader(tokenOfB).kid).toBe(await kidOf(keyB));
    expect(decodeProtectedHeader(linked.body.token).kid).toBe(await kidOf(keyB));
    expect(await kidsOf(browser)).toEqual([await kidOf(keyB), await kidOf(keyA)]);
    const discovery = await browser.get('/.well-known/openid-configuration');
    expect(discovery.body).toMatchObject({
      jwks_uri: `${service.url}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['ES256', 'EdDSA'],
    });

    const userId = (await me(browser, tokenOfA)).body.user.id;
    expect(await verifyElsewhere(service.url, tokenOfA)).toEqual({
      verified: true,
      sub: userId,
      kid: await kidOf(keyA),
    });
    expect(await verifyElsewhere(service.url, tokenOfB)).toMatchObject({ verified: true });
  });

  it('with B only: refuses A’s token with 10160, here and for an outside verifier', async () => {
    const service = await serve({ JWT_PRIVATE_KEY: keyB });
    const browser = new Browser(service.url);

    const refused = await me(browser, tokenOfA);
    expect(refused).toMatchObject({ status: 401, body: { code: 10160, error: 'Not signed in' } });
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await me(browser, tokenOfB)).status).toBe(200);
    expect(await kidsOf(browser)).toEqual([await kidOf(keyB)]);

    expect(await verifyElsewhere(service.url, tokenOfA)).toEqual({
      verified: false,
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    expect(await verifyElsewhere(service.url, tokenOfB)).toMatchObject({ verified: true });
  });
});
