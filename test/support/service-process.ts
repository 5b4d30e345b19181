import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startCommand } from '../../bench/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/infrastructure/main.ts');
// Resolved from the project, so the service may run in any working folder.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface ServiceProcess {
  url: string;
  process: ChildProcess;
  /** Every line of stdout and stderr so far, and later ones as they come. */
  logs: string[];
}

/** The service as its own process (`node main.ts` through tsx), as an operator runs it. */
export async function spawnService(
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], {
    cwd,
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return served(child);
}

/**
 * `npm start` in the project folder (its `prestart` builds into dist/ first), as the leader
 * of a process group of its own: `process.kill(-child.pid, signal)` signals npm, its script's
 * shell and node at once, as a terminal's Ctrl-C or a container runtime does.
 */
export async function spawnNpmStart(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return served(child);
}

/** Resolves once the service logs the URL it serves; rejects if it exits before. */
async function served(child: ChildProcess): Promise<ServiceProcess> {
  const logs: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`service exited with ${code ?? signal}:\n${logs.join('\n')}`)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        const url = /"url":"(http:[^"]+)"/.exec(line);
        if (url?.[1] && line.includes('weibo-auth serving')) resolve(url[1]);
      });
    }
  });
  return { url: await url, process: child, logs };
}

export async function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

/** Whether a process is still there (a zombie not yet reaped counts as there). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RelayProcess {
  process: ChildProcess;
  /** Every line of stdout and stderr so far, and later ones as they come. */
  logs: string[];
}

/**
 * `main.ts relay` through tsx, the code `npm run relay` runs from dist/: resolves once the relay
 * logs where it publishes; rejects if it exits before.
 */
export async function spawnRelay(env: NodeJS.ProcessEnv): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'relay'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return relaying(child);
}

/** Resolves once the relay logs where it publishes; rejects if it exits before. */
async function relaying(child: ChildProcess): Promise<RelayProcess> {
  const logs: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`relay exited with ${code ?? signal}:\n${logs.join('\n')}`)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        if (line.includes('outbox relay publishing to')) resolve();
      });
    }
  });
  return { process: child, logs };
}

/**
 * The service compiled by `tsc` into a folder of the caller's own (under the project, so its
 * packages resolve), run as `npm start` and `npm run relay` run dist/: the same node flags, its
 * preload included. Its own folder, because other tests' `npm start` rebuild dist/ meanwhile.
 */
export async function buildService(name: string) {
  const outDir = path.join(ROOT, '.test-builds', `${name}-${process.pid}`);
  await rm(outDir, { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
  await promisify(execFile)(tsc, ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: ROOT });
  const { scripts } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
  const { env: scriptEnv, flags } = startCommand(scripts.start);
  const nodeArgs = [
    ...flags.map((flag) => flag.replace('=./dist/', `=${outDir}/`)),
    path.join(outDir, 'src/infrastructure/main.js'),
  ];
  const start = (env: NodeJS.ProcessEnv, command: string) =>
    spawn(process.execPath, [...nodeArgs, command], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: '0', ...scriptEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  return {
    serve: (env: NodeJS.ProcessEnv) => served(start(env, 'serve')),
    relay: (env: NodeJS.ProcessEnv) => relaying(start(env, 'relay')),
    /** The preload alone, then `script`: what a process of the service has before main.js. */
    preloadThen: (env: NodeJS.ProcessEnv, script: string) =>
      promisify(execFile)(
        process.execPath,
        [...nodeArgs.slice(0, -1), '--input-type=module', '-e', script],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, ...env },
        },
      ).then(({ stdout }) => stdout.trim()),
    remove: () => rm(outDir, { recursive: true, force: true }),
  };
}
