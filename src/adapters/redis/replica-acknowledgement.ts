import { Cluster, type Redis } from 'ioredis';
import { BrokerUnavailable } from '../../application/outbox-ports.ts';
import { keySlot } from './key-slot.ts';
import type { RedisClient } from './redis-client.ts';

/** Thrown when a replica did not confirm a publish in time: the batch is published again later. */
export class NotReplicated extends BrokerUnavailable {}

/** How long the replica count of a node is trusted before `INFO replication` is asked again. */
const REPLICAS_RECHECK_MS = 5_000;

/**
 * Replication in Redis is asynchronous: a job just added can vanish with its primary in a
 * failover. After a publish, `confirm` waits (`WAIT 1 <ms>`, on the connection that wrote and
 * the node that holds the key) until a replica has it, when the primary has replicas at all;
 * unconfirmed, it throws, and the outbox row stays unpublished.
 */
export class ReplicaAcknowledgement {
  private readonly replicas = new Map<Redis, { count: number; at: number }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly timeoutMs = 1_000,
  ) {}

  /** Resolves once each node holding one of `keys` has a replica that has the writes. */
  async confirm(keys: string[]): Promise<void> {
    const nodes = new Set(keys.map((key) => this.nodeHolding(key)));
    await Promise.all([...nodes].map((node) => this.confirmOn(node)));
  }

  private async confirmOn(node: Redis): Promise<void> {
    if ((await this.replicaCount(node)) === 0) return;
    const acknowledged = await node.wait(1, this.timeoutMs);
    if (acknowledged < 1) {
      this.replicas.delete(node);
      throw new NotReplicated(`no replica confirmed the publish within ${this.timeoutMs} ms`);
    }
  }

  private async replicaCount(node: Redis): Promise<number> {
    const known = this.replicas.get(node);
    if (known && Date.now() - known.at < REPLICAS_RECHECK_MS) return known.count;
    const info = await node.info('replication');
    if (!/^role:master\s*$/m.test(info)) {
      throw new NotReplicated('the Redis node written to is no longer a primary');
    }
    const count = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    this.replicas.set(node, { count, at: Date.now() });
    return count;
  }

  /** The connection a command on `key` went through: the client itself, or a Cluster's node. */
  private nodeHolding(key: string): Redis {
    if (!(this.redis instanceof Cluster)) return this.redis;
    const address = this.redis.slots[keySlot(key)]?.[0];
    const node = this.redis
      .nodes('master')
      .find((candidate) => `${candidate.options.host}:${candidate.options.port}` === address);
    if (!node) throw new NotReplicated(`no known primary holds the slot of ${key}`);
    return node;
  }
}
