import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import {
  CLIENT,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const BIND = '/v1/users/weibo/users';
const PASSWORD = 'pässword-never-logged';
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const encryptionKey = randomBytes(32).toString('base64');

const lines: string[] = [];
const secrets = new Map<string, string>();
function remember(kind: string, value: unknown) {
  if (typeof value === 'string' && value.length >= 6) secrets.set(value, kind);
}

let sut: ServiceUnderTest;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  // The service's own logger, redaction included, writing every level to memory.
  sut = await startServiceUnderTest(
    { JWT_PRIVATE_KEY: signingKey, TOKEN_ENCRYPTION_KEY: encryptionKey },
    createLogger('trace', sink),
  );
  remember('client secret', CLIENT.clientSecret);
  remember('encryption key', encryptionKey);
  for (const line of signingKey.split('\n')) {
    if (!line.startsWith('-----')) remember('signing key', line);
  }
});
afterAll(() => sut.stop());

/** One login through the callback, remembering every secret it handles. */
async function login(uid = freshUid()) {
  const browser = sut.browser();
  const authorize = await browser.get('/v1/users/weibo/authorization?return_to=/cart');
  const state = new URL(authorize.body.oauth_url).searchParams.get('state');
  const cookie = authorize.headers.get('set-cookie')?.split(';')[0]?.split('=')[1];
  const code = sut.weibo.issueCode({ uid });
  remember('state', state);
  remember('binding cookie', cookie);
  remember('code', code);
  const answer = await browser.callback(code, state ?? '');
  remember('bind token', answer.body.bind_token);
  remember('login token', answer.body.token);
  return { browser, answer, uid };
}

describe('logs over full flows, failures included', () => {
  it('hold no password, token, code, state, secret or key', async () => {
    const first = await login();
    expect(first.answer.body.code).toBe(201);
    const form = {
      bind_token: first.answer.body.bind_token,
      username: `log_${freshUid()}`,
      password: PASSWORD,
      phone: '+8613800138000',
      email: 'log@example.com',
    };
    remember('password', PASSWORD);
    const bound = await first.browser.post(BIND, form);
    expect(bound.body.code).toBe(200);
    remember('login token', bound.body.token);
    const again = await login(first.uid);
    expect(again.answer.body.code).toBe(200);

    // Failures: refused fields, a reused bind token, a replayed state, and every Weibo fault.
    const second = await login();
    for (const change of [
      { password: 'short' },
      { email: 'bad' },
      { uid: '1' },
      { bind_token: `${second.answer.body.bind_token}x` },
      { bind_token: first.answer.body.bind_token },
    ]) {
      const refused = await second.browser.post(BIND, { ...form, ...change });
      expect(refused.status).toBeGreaterThanOrEqual(400);
    }
    for (const fault of ['http500', 'html400', 'error200', 'slow', 'profileDown'] as const) {
      sut.weibo.failNext(fault);
      const failed = await login();
      expect([200, 400, 502]).toContain(failed.answer.status);
    }
    const replayed = await second.browser.callback('some-code-value', 'not-a-state-but-long');
    expect(replayed.status).toBe(403);

    for (const call of sut.weibo.calls) {
      remember('Weibo access token', call.query.access_token ?? call.form.access_token);
      remember('code', call.form.code);
    }
    expect(secrets.size).toBeGreaterThan(20);
    expect(lines.length).toBeGreaterThan(20);
    const leaks = lines.flatMap((line) =>
      [...secrets].filter(([value]) => line.includes(value)).map(([, kind]) => `${kind}: ${line}`),
    );
    expect(leaks).toEqual([]);
  });
});
