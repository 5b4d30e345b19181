import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const SERVICE_MAIN = path.join(ROOT, 'dist/src/infrastructure/main.js');
// Resolved from the project, as test/support/service-process.ts does.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface Child {
  process: ChildProcess;
  /** The last 500 lines of stdout and stderr. */
  logs: string[];
  /** Emits 'line' for each line of stdout and stderr. */
  lines: EventEmitter;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface Served extends Child {
  url: string;
}

/** The process serving each URL, so a load can count that server's CPU time. */
const servers = new Map<string, number>();

export function serverPid(url: string): number | undefined {
  return servers.get(url);
}

/** Every child started and not yet stopped, so an interrupted run can end them all. */
const running = new Set<Child>();
let closed = false;

/** Stops every child; none may start after (an interrupted run must leave none behind). */
export function stopAll(): Promise<void> {
  closed = true;
  return Promise.all([...running].map((child) => child.stop(2_000))).then(() => undefined);
}

function track(child: ChildProcess, echo: string): Child {
  if (closed) {
    child.kill('SIGKILL');
    throw new Error('the bench is stopping');
  }
  const logs: string[] = [];
  const lines = new EventEmitter();
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      logs.push(line);
      if (logs.length > 500) logs.shift();
      if (process.env.BENCH_VERBOSE) console.error(`[${echo}] ${line}`);
      lines.emit('line', line);
    });
  }
  const handle: Child = {
    process: child,
    logs,
    lines,
    async stop(graceMs = 10_000) {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
  };
  running.add(handle);
  return handle;
}

/** Resolves with the first match of `pattern` in the child's output; rejects if it exits first. */
export function waitForLine(child: Child, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanUp();
      const logs = child.logs.join('\n');
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${logs}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      cleanUp();
      reject(new Error(`exited with ${code ?? signal}:\n${child.logs.join('\n')}`));
    };
    const onLine = (line: string) => {
      const match = pattern.exec(line);
      if (!match) return;
      cleanUp();
      resolve(match[1] ?? match[0]);
    };
    function cleanUp() {
      clearTimeout(timer);
      child.process.off('close', onExit);
      child.lines.off('line', onLine);
    }
    child.process.once('close', onExit);
    child.lines.on('line', onLine);
  });
}

/** A bench/ TypeScript file as its own node process, through the tsx loader. */
export function spawnTs(file: string, env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'bench', file)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child, file);
}

/** A server of bench/ (a peer, the fake Weibo) once it prints `listening <url>`. */
export async function spawnServer(file: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawnTs(file, env);
  try {
    const url = await waitForLine(child, /^listening (http:\/\/127\.0\.0\.1:\d+)$/);
    if (child.process.pid !== undefined) servers.set(url, child.process.pid);
    return { ...child, url };
  } catch (error) {
    await child.stop();
    throw new Error(`${file} did not start: ${(error as Error).message}`);
  }
}

/** A free TCP port on 127.0.0.1, for a process that only listens where it is told. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * What `npm start` (package.json) sets before `node` and the node flags it passes, so the bench
 * runs the service as it is run: `exec VAR=value node --flag … dist/src/infrastructure/main.js`.
 */
export function startCommand(script: string): { env: Record<string, string>; flags: string[] } {
  const match =
    /^(?:exec )?((?:\w+=\S+ )*)node((?: --[\w-]+(?:=\S+)?)*) dist\/src\/infrastructure\/main\.js/.exec(
      script,
    );
  if (!match) throw new Error(`cannot read the command of npm start: ${script}`);
  const pairs = (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
  return {
    env: Object.fromEntries(pairs.map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
    flags: match[2]?.trim().split(/\s+/).filter(Boolean) ?? [],
  };
}

function startScript(): string {
  return JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
}

/**
 * The built service (`node dist/src/infrastructure/main.js`, with the environment and node
 * flags of `npm start`) on 127.0.0.1, once /readyz answers 200: at LOG_LEVEL=warn it does not log the
 * URL it serves, so it is given a port.
 */
export async function spawnService(
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
  { preload = true }: { preload?: boolean } = {},
): Promise<Served> {
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} is missing: run \`npm run build\` (npm run bench does)`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const start = startCommand(startScript());
  // Without the tracing preload (`--import=…telemetry.js`): the service as before tracing existed.
  const flags = preload ? start.flags : start.flags.filter((flag) => !flag.startsWith('--import='));
  const child = track(
    spawn(process.execPath, [...flags, ...nodeArgs, SERVICE_MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...start.env,
        ...env,
        HOST: '127.0.0.1',
        PORT: `${port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    'service',
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) break;
    const ready = await fetch(`${url}/readyz`)
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ready) {
      if (child.process.pid !== undefined) servers.set(url, child.process.pid);
      return { ...child, url };
    }
    await sleep(100);
  }
  await child.stop();
  throw new Error(`the service did not become ready:\n${child.logs.join('\n')}`);
}

/**
 * CPU seconds (user + system) a process has used so far: /proc/<pid>/stat, in clock ticks of
 * 1/100 s (Linux); undefined elsewhere.
 */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (!fields) return undefined;
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in MB: /proc/<pid>/status VmRSS (Linux), else its /metrics. */
export async function residentMb(pid: number, metricsUrl?: string): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const vmRss = status && /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (vmRss) return Number(vmRss) / 1024;
  if (!metricsUrl) return undefined;
  const text = await fetch(metricsUrl)
    .then((response) => response.text())
    .catch(() => '');
  const bytes = /^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1];
  return bytes ? Number(bytes) / 1024 / 1024 : undefined;
}

/** The V8 heap (total, used) and external memory in MB, from the service's /metrics. */
export async function heapMb(metricsUrl: string): Promise<string> {
  const text = await fetch(metricsUrl)
    .then((response) => response.text())
    .catch(() => '');
  const mb = (name: string) => {
    const bytes = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    return bytes ? (Number(bytes) / 1024 / 1024).toFixed(0) : '?';
  };
  return (
    `heap ${mb('nodejs_heap_size_used_bytes')} used of ${mb('nodejs_heap_size_total_bytes')}, ` +
    `external ${mb('nodejs_external_memory_bytes')}`
  );
}
