import type { Container } from 'inversify';
import { OutboxRelay } from '../adapters/outbox/outbox-relay.ts';
import { OUTBOX_CHANNEL } from '../adapters/persistence/kysely-outbox.ts';
import { EVENT_PUBLISHER } from './container.ts';
import type { OpenDatabase } from './database.ts';
import { resolve } from './typed-token.ts';

export interface RunningRelay {
  stop(): Promise<void>;
}

/** Starts the wired relay, woken by LISTEN/NOTIFY as well as by its own polling. */
export function runOutboxRelay(container: Container, database: OpenDatabase): RunningRelay {
  const relay = resolve(container, OutboxRelay);
  const publisher = resolve(container, EVENT_PUBLISHER);
  const listener = database.listen(OUTBOX_CHANNEL, () => relay.wake());
  relay.start();
  return {
    async stop() {
      await listener.close();
      await relay.stop();
      await publisher.close();
    },
  };
}
