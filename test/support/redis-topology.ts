import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../src/infrastructure/redis-target.ts';

const run = promisify(execFile);

/** One `redis-server` of the test's own, on a port of its own; never the machine's 6379. */
export interface RedisProcess {
  port: number;
  /** SIGKILL: the node dies as a crashed machine would, with no goodbye. */
  kill(): void;
  /** SIGSTOP / SIGCONT: the node hangs (a stalled machine), then goes on. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const reserved = new Set<number>();

/**
 * A free loopback port whose Cluster bus port (+10000) is free as well, both below the
 * kernel's ephemeral range (32768 up), where outgoing connections would take them.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 2_700);
    if (reserved.has(port) || reserved.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
      reserved.add(port);
      reserved.add(port + 10_000);
      return port;
    }
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function startRedisServer(args: string[], port: number): Promise<RedisProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitFor(
    async () => (await ping(port)) || exited(child, stderr),
    10_000,
    `redis on ${port}`,
  );
  return {
    port,
    kill: () => child.kill('SIGKILL'),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: () => stopProcess(child),
  };
}

function exited(child: ChildProcess, stderr: string): boolean {
  if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
  return false;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function ping(port: number): Promise<boolean> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A data node (no persistence) on a free port, its files in `dir`; `args` add to its flags. */
export async function startDataNode(dir: string, args: string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  return startRedisServer([...dataNodeArgs(port, dir), ...args], port);
}

function dataNodeArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
}

/** A primary, a replica and three sentinels watching them under `name`. */
export interface SentinelGroup {
  name: string;
  primary: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** `REDIS_SENTINELS`. */
  sentinelList: string;
  /** What the service reads from REDIS_SENTINELS and REDIS_SENTINEL_MASTER. */
  target: RedisTarget;
  /** The port of the node the sentinels now name as primary. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

export async function startSentinelGroup(name = 'weibo-auth'): Promise<SentinelGroup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weibo-auth-sentinel-'));
  const started: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startDataNode(dir);
    const primaryPort = primary.port;
    started.push(primary);
    const replica = await startDataNode(dir, ['--replicaof', '127.0.0.1', `${primaryPort}`]);
    const replicaPort = replica.port;
    started.push(replica);
    await waitFor(
      async () => (await info(replicaPort, 'replication')).includes('master_link_status:up'),
      10_000,
      'the replica to sync',
    );
    const sentinels: RedisProcess[] = [];
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      const file = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = await startRedisServer([file, '--sentinel'], port);
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const primaryPortNow = async () => {
      const redis = new Redis({ port: sentinels[0]?.port, host: '127.0.0.1' });
      redis.on('error', () => {});
      try {
        const address = (await redis.call('SENTINEL', 'get-master-addr-by-name', name)) as string[];
        return Number(address[1]);
      } finally {
        redis.disconnect();
      }
    };
    // Every sentinel has seen the replica and the others, so a failover can be agreed on.
    await waitFor(
      async () => {
        const counts = await Promise.all(
          sentinels.map(async ({ port }) => {
            const redis = new Redis({ port, host: '127.0.0.1' });
            redis.on('error', () => {});
            try {
              const master = (await redis.call('SENTINEL', 'master', name)) as string[];
              const field = (key: string) => Number(master[master.indexOf(key) + 1]);
              return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
            } finally {
              redis.disconnect();
            }
          }),
        );
        return counts.every(Boolean);
      },
      20_000,
      'the sentinels to know each other',
    );
    return {
      name,
      primary,
      replica,
      sentinels,
      sentinelList: sentinels.map(({ port }) => `127.0.0.1:${port}`).join(','),
      target: { mode: 'sentinel', sentinels: sentinels.map(loopback), name },
      primaryPort: primaryPortNow,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Three primaries with a replica each, built by `redis-cli --cluster create`. */
export interface RedisClusterGroup {
  nodes: RedisProcess[];
  /** `REDIS_CLUSTER_NODES`: every node, as a client would list its seeds. */
  nodeList: string;
  /** What the service reads from REDIS_CLUSTER_NODES. */
  target: RedisTarget;
  /** The node now serving `slot` as primary. */
  primaryOf(slot: number): Promise<RedisProcess>;
  /** The node replicating `primary`. */
  replicaOf(primary: RedisProcess): Promise<RedisProcess>;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterGroup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weibo-auth-cluster-'));
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 6; index++) {
      const port = await freePort();
      const args = [
        ...dataNodeArgs(port, dir),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
      ];
      nodes.push(await startRedisServer(args, port));
    }
    const addresses = nodes.map(({ port }) => `127.0.0.1:${port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    // Ready when every node sees three primaries with slots and three replicas, all connected.
    await waitFor(
      async () => {
        const views = await Promise.all(nodes.map(({ port }) => info(port, '', 'CLUSTER NODES')));
        return views.every((view) => {
          const lines = view.trim().split('\n');
          const connected = lines.filter((line) => line.includes(' connected'));
          const replicas = connected.filter((line) => /\bslave\b/.test(line.split(' ')[2] ?? ''));
          return connected.length === 6 && replicas.length === 3;
        });
      },
      30_000,
      'the cluster to know three primaries and three replicas on every node',
    );
    // A replica that never finished its first sync would refuse to take over.
    await waitFor(
      async () => {
        const replication = await Promise.all(nodes.map(({ port }) => info(port, 'replication')));
        const replicas = replication.filter((text) => text.includes('role:slave'));
        return (
          replicas.length === 3 && replicas.every((text) => text.includes('master_link_status:up'))
        );
      },
      30_000,
      'every replica to sync with its primary',
    );
    await waitFor(
      async () => {
        const states = await Promise.all(
          nodes.map(({ port }) => info(port, 'cluster', 'CLUSTER INFO')),
        );
        return states.every((state) => state.includes('cluster_state:ok'));
      },
      20_000,
      'the cluster to be ok on every node',
    );
    const primaryOf = async (slot: number) => {
      // Asked of each node in turn: a killed one does not answer.
      for (const asked of nodes) {
        const ranges = await clusterSlots(asked.port);
        const range = ranges?.find(([from, to]) => slot >= from && slot <= to);
        const node = nodes.find(({ port }) => port === range?.[2][1]);
        if (node) return node;
      }
      throw new Error(`no primary serves slot ${slot}`);
    };
    const replicaOf = async (primary: RedisProcess) => {
      for (const node of nodes) {
        const text = await info(node.port, 'replication');
        if (text.includes('role:slave') && text.includes(`master_port:${primary.port}\r`))
          return node;
      }
      throw new Error(`no replica of ${primary.port}`);
    };
    const target: RedisTarget = { mode: 'cluster', nodes: nodes.map(loopback) };
    return { nodes, nodeList: addresses.join(','), target, primaryOf, replicaOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `INFO <section>` of a node (or another command's reply), or '' when it does not answer. */
export async function info(port: number, section: string, command = 'INFO'): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const [name, ...args] = command === 'INFO' ? ['INFO', section] : command.split(' ');
    return String(await redis.call(name ?? 'INFO', ...args));
  } catch {
    return '';
  } finally {
    redis.disconnect();
  }
}

type SlotRange = [number, number, [string, number]];

async function clusterSlots(port: number): Promise<SlotRange[] | undefined> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.call('CLUSTER', 'SLOTS')) as SlotRange[];
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

function loopback({ port }: { port: number }) {
  return { host: '127.0.0.1', port };
}
