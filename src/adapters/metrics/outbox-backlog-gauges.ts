import { Gauge, type Registry } from 'prom-client';
import type { OutboxStore } from '../../application/outbox-ports.ts';

const BACKLOG_READ_TIMEOUT_MS = 2_000;

/**
 * Registers the outbox backlog and the age of its oldest event, read from the store at each
 * scrape: they follow the database whatever happens to the broker, with no restart when it
 * returns. One read serves both gauges of a scrape; a read that fails or hangs keeps the last
 * values, because the scrape must still answer while the database does not.
 */
export function registerOutboxBacklogGauges(
  registry: Registry,
  outbox: Pick<OutboxStore, 'backlog'>,
  readTimeoutMs = BACKLOG_READ_TIMEOUT_MS,
): void {
  let read: Promise<void> | null = null;
  const refresh = () => {
    read ??= withTimeout(outbox.backlog(), readTimeoutMs)
      .then(
        ({ unpublished, oldestAgeSeconds }) => {
          backlog.set(unpublished);
          oldestAge.set(oldestAgeSeconds);
        },
        () => {},
      )
      .finally(() => {
        read = null;
      });
    return read;
  };
  const backlog = new Gauge({
    name: 'weibo_auth_outbox_backlog',
    help: 'Outbox events not yet published, read at scrape time (the last value if it fails).',
    registers: [registry],
    collect: refresh,
  });
  const oldestAge = new Gauge({
    name: 'weibo_auth_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox event (0 when none), read at scrape time.',
    registers: [registry],
    collect: refresh,
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
