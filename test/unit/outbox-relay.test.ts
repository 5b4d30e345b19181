import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/adapters/outbox/outbox-relay.ts';
import { FakeEventPublisher } from '../support/fake-event-publisher.ts';
import { FakeClock } from '../support/fakes.ts';
import { InMemoryOutboxStore } from '../support/in-memory-outbox-store.ts';
import { silentLogger } from '../support/silent-logger.ts';

const OPTIONS: OutboxRelayOptions = {
  batchSize: 10,
  // Long enough never to fire here: each test wakes the relay itself.
  pollIntervalMs: 60_000,
  retryBaseMs: 100,
  retryMaxMs: 1_000,
  publishTimeoutMs: 1_000,
};

let clock: FakeClock;
let store: InMemoryOutboxStore;
let publisher: FakeEventPublisher;
let relay: OutboxRelay;
let written = 0;

beforeEach(() => {
  clock = new FakeClock();
  store = new InMemoryOutboxStore(clock);
  publisher = new FakeEventPublisher();
  relay = new OutboxRelay(store, publisher, silentLogger, OPTIONS);
});
afterEach(async () => {
  vi.useRealTimers();
  publisher.release();
  await relay.stop();
});

/** Adds `count` due events, each created after the ones before; returns their ids. */
function addEvents(count: number): string[] {
  return Array.from({ length: count }, () => {
    written += 1;
    const id = `event-${written}`;
    store.add({ id, type: 'UserBoundToWeibo', envelope: { id } }, new Date(written));
    return id;
  });
}

describe('OutboxRelay', () => {
  it('publishes a due batch in one call and marks every event published', async () => {
    const ids = addEvents(3);
    expect(await relay.relayBatch()).toBe(3);
    expect(publisher.calls).toEqual([ids]);
    expect(store.publishedIds()).toEqual(ids);
    expect(await relay.relayBatch()).toBe(0);
  });

  it('retries a failing event after a delay doubling from retryBaseMs, capped at retryMaxMs', async () => {
    const [id = ''] = addEvents(1);
    publisher.poison(id);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      expect(await relay.relayBatch()).toBe(1);
      const delay = store.row(id).availableAt.getTime() - clock.now().getTime();
      delays.push(delay);
      clock.advance((delay - 1) / 1000);
      expect(await relay.relayBatch()).toBe(0);
      clock.advance(1 / 1000);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(store.row(id)).toMatchObject({
      publishedAt: null,
      attempts: 6,
      lastError: `poison event ${id}`,
    });
  });

  it('publishes the rest of a batch when one event always fails, trying each alone', async () => {
    const [first = '', poison = '', ...rest] = addEvents(4);
    publisher.poison(poison);
    expect(await relay.relayBatch()).toBe(4);
    expect(publisher.calls).toEqual([
      [first, poison, ...rest],
      [first],
      [poison],
      ...rest.map((id) => [id]),
    ]);
    expect(store.publishedIds()).toEqual([first, ...rest]);
    expect(store.row(poison)).toMatchObject({
      publishedAt: null,
      attempts: 1,
      lastError: `poison event ${poison}`,
    });

    const later = addEvents(2);
    expect(await relay.relayBatch()).toBe(2);
    expect(publisher.calls.at(-1)).toEqual(later);
    expect(store.unpublishedIds()).toEqual([poison]);
  });

  it('fails the whole batch when a publish outlasts publishTimeoutMs, and retries it later', async () => {
    vi.useFakeTimers();
    const ids = addEvents(3);
    publisher.holdCalls();
    let claimed: number | undefined;
    const batch = relay.relayBatch().then((count) => {
      claimed = count;
    });
    await vi.advanceTimersByTimeAsync(OPTIONS.publishTimeoutMs - 1);
    expect(claimed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(claimed).toBe(3);
    await batch;
    // A timeout means the broker is away: no use trying each event alone.
    expect(publisher.calls).toEqual([ids]);
    for (const id of ids) {
      expect(store.row(id)).toMatchObject({
        publishedAt: null,
        attempts: 1,
        lastError: 'publish timed out after 1000 ms',
      });
    }

    publisher.release();
    expect(await relay.relayBatch()).toBe(0);
    clock.advance(OPTIONS.retryBaseMs / 1000);
    expect(await relay.relayBatch()).toBe(3);
    expect(store.publishedIds()).toEqual(ids);
  });

  it('makes one more pass when woken during a drain, however often', async () => {
    const [first] = addEvents(1);
    publisher.holdCalls();
    relay.wake();
    await vi.waitFor(() => expect(publisher.calls).toHaveLength(1));
    const [second] = addEvents(1);
    relay.wake();
    relay.wake();
    publisher.release();
    await vi.waitFor(() => expect(store.publishedIds()).toEqual([first, second]));
    await relay.stop();
    expect(publisher.calls).toEqual([[first], [second]]);
    expect(store.claims).toBe(2);
  });

  it('keeps claiming while batches come back full', async () => {
    const ids = addEvents(25);
    relay.wake();
    await vi.waitFor(() => expect(store.publishedIds()).toEqual(ids));
    await relay.stop();
    expect(publisher.calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect(store.claims).toBe(3);
  });

  it('stops only after the batch in flight is published and recorded, then relays nothing', async () => {
    const ids = addEvents(2);
    publisher.holdCalls();
    relay.start();
    await vi.waitFor(() => expect(publisher.calls).toHaveLength(1));
    let stopped = false;
    const stopping = relay.stop().then(() => {
      stopped = true;
    });
    await nextTurn();
    expect(stopped).toBe(false);
    publisher.release();
    await stopping;
    expect(store.publishedIds()).toEqual(ids);

    addEvents(1);
    relay.wake();
    await nextTurn();
    expect(store.claims).toBe(1);
  });
});
