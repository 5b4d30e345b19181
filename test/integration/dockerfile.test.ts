import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * No Docker engine runs here, so the Dockerfile's own steps are carried out the way the image
 * would: each stage in a clean folder, COPY from the build context or an earlier stage, RUN in
 * a shell, then CMD and HEALTHCHECK with the image's ENV, as an unprivileged user.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE_BIN = path.dirname(process.execPath);

interface Stage {
  dir: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  healthcheck?: string[];
}

/** Dockerfile lines, continuations joined, comments dropped. */
function instructions(text: string): Array<[string, string]> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return [line.slice(0, space).toUpperCase(), line.slice(space + 1).trim()];
    });
}

async function build(dockerfile: string, root: string): Promise<Stage> {
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  for (const [op, args] of instructions(dockerfile)) {
    if (op === 'FROM') {
      const name = / AS (\S+)$/i.exec(args)?.[1] ?? `stage${stages.size}`;
      stage = { dir: await mkdtemp(path.join(root, `${name}-`)), workdir: '/', env: {} };
      stages.set(name, stage);
      continue;
    }
    if (!stage) throw new Error(`${op} before FROM`);
    const here = path.join(stage.dir, stage.workdir);
    if (op === 'WORKDIR') {
      stage.workdir = args;
      await mkdir(path.join(stage.dir, args), { recursive: true });
    } else if (op === 'COPY') {
      const words = args.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice(7);
      const [destination = '.', ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
      // Sources are paths in the build context, or absolute paths in an earlier stage.
      const base = from ? (stages.get(from)?.dir ?? '') : ROOT;
      for (const source of sources.reverse()) {
        const target = destination.endsWith('/')
          ? path.join(here, destination, path.basename(source))
          : path.join(here, destination);
        await cp(path.join(base, source), target, { recursive: true });
      }
    } else if (op === 'RUN') {
      // The build's own environment (registry, certificates), as `docker build` has its network.
      execFileSync('sh', ['-c', args], {
        cwd: here,
        env: { ...process.env, PATH: `${NODE_BIN}:${process.env.PATH}`, ...stage.env },
        stdio: 'pipe',
      });
    } else if (op === 'ENV') {
      for (const [, key = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[key] = value;
    } else if (op === 'USER') {
      stage.user = args;
    } else if (op === 'CMD') {
      stage.cmd = JSON.parse(args);
    } else if (op === 'HEALTHCHECK') {
      stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4));
    }
  }
  if (!stage) throw new Error('no stage');
  return stage;
}

/** Runs as an unprivileged user, like the image's USER: `nobody` when the tests run as root. */
function asImageUser(command: string[]): string[] {
  return process.getuid?.() === 0
    ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...command]
    : command;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let root: string;
let image: Stage;
let database: TestDatabase;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'weibo-auth-image-'));
  await chmod(root, 0o755);
  image = await build(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8'), root);
  await chmod(image.dir, 0o755);
  database = await createTestDatabase();
}, 180_000);
afterAll(async () => {
  await database?.destroy();
  await rm(root, { recursive: true, force: true });
});

describe('the Dockerfile, step by step', () => {
  it('ships the build and production dependencies only', () => {
    const app = path.join(image.dir, image.workdir);
    expect(existsSync(path.join(app, 'dist/src/infrastructure/main.js'))).toBe(true);
    expect(existsSync(path.join(app, 'dist/migrations'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/hono'))).toBe(true);
    for (const devOnly of ['vitest', 'typescript', 'tsx', '@biomejs/biome', 'testcontainers']) {
      expect(existsSync(path.join(app, 'node_modules', devOnly)), devOnly).toBe(false);
    }
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.user).toBe('node');
  });

  it('starts as an unprivileged user, passes its HEALTHCHECK, and stops on SIGTERM with 0', async () => {
    const port = await freePort();
    const env = {
      PATH: `${NODE_BIN}:${process.env.PATH}`,
      ...image.env,
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      OUTBOX_QUEUES: `${inject('runId')}-image`,
      WEIBO_CLIENT_ID: 'image',
      WEIBO_CLIENT_SECRET: 'image-secret',
      WEIBO_REDIRECT_URI: 'https://shop.example/callback.html',
      JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    const cwd = path.join(image.dir, image.workdir);
    const [command = '', ...args] = asImageUser(image.cmd ?? []);
    const service = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const serving = new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('weibo-auth serving')) resolve();
      };
      service.stdout.on('data', read);
      service.stderr.on('data', read);
      service.once('exit', () => reject(new Error(`exited before serving:\n${output}`)));
    });
    await serving;
    const [check = '', ...checkArgs] = asImageUser(image.healthcheck ?? []);
    expect(spawnSync(check, checkArgs, { cwd, env }).status).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    service.kill('SIGTERM');
    const [code] = await once(service, 'exit');
    expect(code, output).toBe(0);
  });
});
