import pg from 'pg';
import type { Logger } from 'pino';

const RECONNECT_MS = 1_000;

/**
 * LISTENs on a channel over a connection of its own, reconnecting when it drops; calls
 * `onNotify` for each notification and after each reconnect, to catch up on what was missed.
 */
export function listenForNotifications(
  url: string,
  channel: string,
  onNotify: () => void,
  logger: Logger,
): { close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', onNotify);
    next.on('error', (error) => {
      logger.warn({ err: error }, 'outbox LISTEN connection lost; reconnecting');
      next.end().catch(() => {});
      scheduleReconnect();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (closed) return void next.end();
      client = next;
      onNotify();
    } catch (error) {
      logger.warn({ err: error }, 'outbox LISTEN failed; polling until it reconnects');
      next.end().catch(() => {});
      scheduleReconnect();
    }
  };
  const scheduleReconnect = () => {
    client = undefined;
    if (!closed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        void connect();
      }, RECONNECT_MS);
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
