import type { Logger } from 'pino';
import { InMemoryWeiboPause } from '../../src/adapters/memory/in-memory-weibo-pause.ts';
import { WeiboOAuthClient } from '../../src/adapters/weibo/weibo-oauth-client.ts';
import { WeiboTransport } from '../../src/adapters/weibo/weibo-transport.ts';
import type { Clock } from '../../src/application/ports.ts';
import type { WeiboPause } from '../../src/application/weibo-ports.ts';
import type { WeiboConfig } from '../../src/infrastructure/config.ts';
import { silentLogger } from './silent-logger.ts';

/** The real Weibo client over its real transport, as the container builds it. */
export function weiboClient(
  options: WeiboConfig,
  clock: Clock,
  extra: {
    pause?: WeiboPause;
    backoffSeconds?: number;
    forwardClientIp?: boolean;
    logger?: Logger;
  } = {},
) {
  const transport = new WeiboTransport(
    {
      apiBaseUrl: options.apiBaseUrl,
      timeoutMs: options.timeoutMs,
      backoffSeconds: extra.backoffSeconds ?? 60,
      forwardClientIp: extra.forwardClientIp ?? false,
    },
    extra.pause ?? new InMemoryWeiboPause(clock),
    extra.logger ?? silentLogger,
  );
  return new WeiboOAuthClient(options, clock, transport);
}
