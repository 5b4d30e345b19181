/** Where rate-limit counters live in Redis, shared by the limiter and the state store. */
export const RATE_KEY_PREFIX = 'weibo-auth:rate:';

/**
 * The fixed window `now` falls in for `key`: its counter's key (without prefix) and the whole
 * seconds until the window ends, the wait to answer when the count is over the limit.
 */
export function fixedWindow(now: Date, key: string, windowSeconds: number) {
  const seconds = now.getTime() / 1000;
  const window = Math.floor(seconds / windowSeconds);
  return { counter: `${key}:${window}`, wait: Math.ceil((window + 1) * windowSeconds - seconds) };
}
