import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** Runs `main.ts` with only these variables and returns how it ended and what it said. */
async function runToExit(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', TSX, 'src/infrastructure/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
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

  it('refuses partial Weibo credentials, naming the missing ones', async () => {
    const { code, output } = await runToExit({ WEIBO_CLIENT_ID: 'app' });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'weibo-auth: config: WEIBO_CLIENT_SECRET is required',
      'weibo-auth: config: WEIBO_REDIRECT_URI is required',
    ]);
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
