import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/infrastructure/logger.ts';
import { PASSWORD, send, signUp } from '../support/accounts.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const signingKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/**
 * Runs `main.ts` with only these variables and returns how it ended and what it said;
 * `onLine` sees each chunk of output as it comes.
 */
async function runToExit(
  env: NodeJS.ProcessEnv,
  onOutput: (output: string, child: ChildProcess) => void = () => {},
  args: string[] = [],
) {
  const child = spawn(process.execPath, ['--import', TSX, 'src/infrastructure/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
      onOutput(output, child);
    });
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, output };
}

describe('start-up refusals of a real process', () => {
  it('refuses a real DATABASE_URL without Weibo credentials, in one line, before serving', async () => {
    const { code, output } = await runToExit({ DATABASE_URL: inject('databaseUrl') });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'weibo-auth: config: DATABASE_URL is set but WEIBO_CLIENT_ID, WEIBO_CLIENT_SECRET and ' +
        'WEIBO_REDIRECT_URI are not: set them, or WEIBO_SANDBOX=true to allow make-believe ' +
        'sandbox logins on this database',
    ]);
  });

  it('refuses a malformed JWT_PREVIOUS_KEYS in one line naming the entry, before serving', async () => {
    const previous = `${signingKeyPem}-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----`;
    const { code, output } = await runToExit({
      JWT_PRIVATE_KEY: signingKeyPem,
      JWT_PREVIOUS_KEYS: previous,
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'weibo-auth: config: JWT_PREVIOUS_KEYS: the 2nd key is not a readable key: expected a ' +
        'P-256 (ES256) or Ed25519 (EdDSA) key, public or private, in PEM',
    ]);
  });

  it('refuses partial Weibo credentials, naming the missing ones', async () => {
    const { code, output } = await runToExit({ WEIBO_CLIENT_ID: 'app' });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'weibo-auth: config: WEIBO_CLIENT_SECRET is required',
      'weibo-auth: config: WEIBO_REDIRECT_URI is required',
    ]);
  });
});

describe('commands', () => {
  it('lists serve, relay and migrate with --help, exits 0 and serves nothing', async () => {
    const { code, output } = await runToExit({}, undefined, ['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'relay', 'migrate'])
      expect(output).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(output).not.toContain('weibo-auth serving');
  });

  it('migrate applies pending migrations to an empty schema and exits 0', async () => {
    const schema = `migrate_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const databaseUrl = new URL(inject('databaseUrl'));
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    const { code } = await runToExit(
      { DATABASE_URL: databaseUrl.toString(), WEIBO_SANDBOX: 'true' },
      undefined,
      ['migrate'],
    );
    const { rows } = await admin.query(`select count(*)::int as n from ${schema}.kysely_migration`);
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    expect(code).toBe(0);
    expect(rows[0].n).toBeGreaterThanOrEqual(3);
  });
});

describe('a SIGTERM during start-up', () => {
  it('is kept until the service is up, then it stops cleanly and exits 0', async () => {
    // An empty schema of its own, so that start-up has migrations to apply.
    const schema = `startup_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const databaseUrl = new URL(inject('databaseUrl'));
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    let signalled = false;
    const { code, output } = await runToExit(
      {
        DATABASE_URL: databaseUrl.toString(),
        WEIBO_SANDBOX: 'true',
        RATE_LIMIT_PER_MINUTE: '0',
        JWT_PRIVATE_KEY: signingKeyPem,
        TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
      (sofar, child) => {
        // Mid start-up: migrations are being applied, nothing serves yet.
        if (!signalled && sofar.includes('"migration"')) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    );
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    expect(signalled).toBe(true);
    expect(code).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});

describe('a two-second state lifetime', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest({ STATE_TTL_SECONDS: '2' });
  });
  afterAll(() => sut.stop());

  it('starts, serves a login within the lifetime, and refuses the state after it', async () => {
    const browser = sut.browser();
    const fresh = await browser.callback(
      sut.weibo.issueCode({ uid: freshUid() }),
      await browser.startLogin(),
    );
    expect(fresh.body.code).toBe(201);

    const state = await browser.startLogin();
    await sleep(2_500);
    sut.weibo.reset();
    const late = await browser.callback(sut.weibo.issueCode({ uid: freshUid() }), state);
    expect(late).toMatchObject({
      status: 403,
      body: { code: 10151, error: 'Invalid or expired state' },
    });
    expect(sut.weibo.calls.filter((call) => call.path === '/oauth2/access_token')).toEqual([]);
  });
});

describe('a two-second login token lifetime', () => {
  let sut: ServiceUnderTest;
  const warnings: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const { level, msg } = JSON.parse(line);
          if (level === 40) warnings.push(msg);
        }
        done();
      },
    });
    sut = await startServiceUnderTest({ JWT_TTL_SECONDS: '2' }, createLogger('warn', sink));
  });
  afterAll(() => sut.stop());

  it('starts with a warning, and its tokens end after 2 s while the session lives on', async () => {
    expect(warnings).toContain('JWT_TTL_SECONDS=2: under a minute, too short for most people');
    const { browser, token } = await signUp(sut);
    const refresh = await send(browser, 'POST', '/v1/tokens', undefined, {
      username: (await send(browser, 'GET', '/v1/users/me', token)).body.user.username,
      password: PASSWORD,
    });
    expect(refresh.body.expires_in).toBe(2);
    await sleep(2_500);
    expect(await send(browser, 'GET', '/v1/users/me', token)).toMatchObject({
      status: 401,
      body: { code: 10160 },
    });
    const renewed = await browser.post('/v1/tokens/refresh', {
      refresh_token: refresh.body.refresh_token,
    });
    expect(renewed.body).toMatchObject({ code: 200, expires_in: 2 });
    expect((await send(browser, 'GET', '/v1/users/me', renewed.body.token)).status).toBe(200);
  });
});
