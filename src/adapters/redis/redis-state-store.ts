import type { Redis } from 'ioredis';
import { StateStoreUnavailable } from '../../application/errors.ts';
import type { PendingLogin, StateStore } from '../../application/ports.ts';

/** Login states in Redis: SET with EX, consumed once with GETDEL. */
export class RedisStateStore implements StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = 'weibo-auth:state:',
  ) {}

  async save(state: string, pending: PendingLogin, ttlSeconds: number): Promise<void> {
    await this.call(() =>
      this.redis.set(this.key(state), JSON.stringify(pending), 'EX', ttlSeconds),
    );
  }

  async consume(state: string): Promise<PendingLogin | null> {
    const stored = await this.call(() => this.redis.getdel(this.key(state)));
    return stored === null ? null : (JSON.parse(stored) as PendingLogin);
  }

  private key(state: string): string {
    return `${this.keyPrefix}${state}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StateStoreUnavailable('Redis unavailable', { cause: error });
    }
  }
}
