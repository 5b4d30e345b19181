import type { environmentReader } from './config-reader.ts';

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server, a primary found through Sentinel, or a Redis Cluster. */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string }
  | { mode: 'cluster'; nodes: RedisNode[]; password?: string };

/** BullMQ's own default prefix, and the one Redis Cluster needs (one slot per queue). */
const BULLMQ_DEFAULT_PREFIX = 'bull';
const BULLMQ_CLUSTER_PREFIX = '{bull}';

type Reader = ReturnType<typeof environmentReader>;

/**
 * Reads `REDIS_URL`, `REDIS_SENTINELS` (+ `REDIS_SENTINEL_MASTER`, `REDIS_PASSWORD`) or
 * `REDIS_CLUSTER_NODES` (+ `REDIS_PASSWORD`); more than one of the three is refused, naming
 * them. In production one of them is required.
 */
export function readRedisTarget(read: Reader, production: boolean): RedisTarget | undefined {
  const url = read.optionalUrl('REDIS_URL');
  const sentinels = read.list('REDIS_SENTINELS');
  const clusterNodes = read.list('REDIS_CLUSTER_NODES');
  const password = read.text('REDIS_PASSWORD', '') || undefined;
  const set = [
    read.isSet('REDIS_URL') ? 'REDIS_URL' : undefined,
    sentinels.length > 0 ? 'REDIS_SENTINELS' : undefined,
    clusterNodes.length > 0 ? 'REDIS_CLUSTER_NODES' : undefined,
  ].filter((name) => name !== undefined);
  if (set.length > 1) {
    read.problems.push(`${set.join(', ')} are set: set only one of them, one way to reach Redis`);
    return undefined;
  }
  if (sentinels.length > 0) {
    const name = read.text('REDIS_SENTINEL_MASTER', '');
    if (!name) read.problems.push('REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER is not');
    return {
      mode: 'sentinel',
      sentinels: nodes(read, 'REDIS_SENTINELS', sentinels),
      name,
      password,
    };
  }
  if (clusterNodes.length > 0) {
    return { mode: 'cluster', nodes: nodes(read, 'REDIS_CLUSTER_NODES', clusterNodes), password };
  }
  if (url !== undefined) return { mode: 'single', url };
  if (production && !read.isSet('REDIS_URL')) {
    read.problems.push('REDIS_URL is required (or REDIS_SENTINELS or REDIS_CLUSTER_NODES)');
  }
  return undefined;
}

/** `BULLMQ_PREFIX`: under Redis Cluster it must hold a `{…}` hash tag, so a queue keeps one slot. */
export function readBullMqPrefix(read: Reader, target: RedisTarget | undefined): string {
  const cluster = target?.mode === 'cluster';
  const prefix = read.text(
    'BULLMQ_PREFIX',
    cluster ? BULLMQ_CLUSTER_PREFIX : BULLMQ_DEFAULT_PREFIX,
  );
  if (cluster && !/\{[^{}]+\}/.test(prefix)) {
    read.problems.push(
      `BULLMQ_PREFIX "${prefix}" has no {…} hash tag, which Redis Cluster needs: e.g. {${prefix}}`,
    );
  }
  return prefix;
}

function nodes(read: Reader, name: string, items: string[]): RedisNode[] {
  return items.flatMap((item) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(item);
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65_535) {
      read.problems.push(`${name}: "${item}" is not host:port`);
      return [];
    }
    return [{ host: match[1].replace(/^\[|\]$/g, ''), port }];
  });
}

/** How the target appears in logs: never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (items: RedisNode[]) => items.map((n) => `${n.host}:${n.port}`).join(',');
  switch (target.mode) {
    case 'single': {
      const url = new URL(target.url);
      return `Redis at ${url.host}`;
    }
    case 'sentinel':
      return `Redis primary "${target.name}" through Sentinel ${list(target.sentinels)}`;
    case 'cluster':
      return `Redis Cluster ${list(target.nodes)}`;
  }
}
