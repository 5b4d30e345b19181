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
    // A client can fail more than once (a socket error, then its end) and fail while
    // connecting: it is given up, and a reconnect scheduled, only the first time.
    let lost = false;
    const giveUp = (error: unknown, message: string) => {
      if (lost) return;
      lost = true;
      if (client === next) client = undefined;
      if (!closed) logger.warn({ err: error }, message);
      next.end().catch(() => {});
      scheduleReconnect();
    };
    // Always listened to: an 'error' with no listener would end the process.
    next.on('error', (error) => giveUp(error, 'outbox LISTEN connection lost; reconnecting'));
    next.on('notification', onNotify);
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      return giveUp(error, 'outbox LISTEN failed; polling until it reconnects');
    }
    if (closed || lost) return void next.end().catch(() => {});
    client = next;
    onNotify();
  };
  const scheduleReconnect = () => {
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
