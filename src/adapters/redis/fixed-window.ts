import { hash } from 'node:crypto';

/** Where rate-limit counters live in Redis, shared by the limiter and the state store. */
export const RATE_KEY_PREFIX = 'weibo-auth:rate:';

/** Characters of a routing tag: 24 bits of a hash, enough to spread keys over Cluster's slots. */
export const ROUTING_TAG_LENGTH = 4;

/**
 * A short hash of `key`, used as a Redis Cluster hash tag: keys that carry `{tag}` share one
 * slot, so a script may touch them together (the login start's count and its state).
 */
export function routingTag(key: string): string {
  return hash('sha256', key, 'base64url').slice(0, ROUTING_TAG_LENGTH);
}

/**
 * The fixed window `now` falls in for `key`: its counter's key (without prefix, with the key's
 * routing tag), the tag, and the whole seconds until the window ends, the wait to answer when
 * the count is over the limit.
 */
export function fixedWindow(now: Date, key: string, windowSeconds: number) {
  const seconds = now.getTime() / 1000;
  const window = Math.floor(seconds / windowSeconds);
  const tag = routingTag(key);
  return {
    counter: `{${tag}}:${key}:${window}`,
    tag,
    wait: Math.ceil((window + 1) * windowSeconds - seconds),
  };
}
