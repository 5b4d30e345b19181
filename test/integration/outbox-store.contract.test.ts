import { CompiledQuery, type RootOperationNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyOutbox } from '../../src/adapters/persistence/kysely-outbox.ts';
import { KyselyOutboxStore } from '../../src/adapters/persistence/kysely-outbox-store.ts';
import type {
  ClaimedMessage,
  OutboxStore,
  PublishOutcome,
} from '../../src/application/outbox-ports.ts';
import { userBoundToWeibo } from '../../src/domain/events.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { FakeClock } from '../support/fakes.ts';
import { InMemoryOutboxStore } from '../support/in-memory-outbox-store.ts';

interface RowState {
  published: boolean;
  attempts: number;
  lastError: string | null;
  availableAt: Date;
}

/** An implementation, with how to write a committed event and read a row back. */
interface Subject {
  store: OutboxStore;
  /** The store's own idea of now. */
  now(): Date;
  add(id: string, createdAt: Date): Promise<void>;
  row(id: string): Promise<RowState>;
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.destroy());

async function postgres(): Promise<Subject> {
  await database.truncate();
  const outbox = new KyselyOutbox(database.db);
  return {
    store: new KyselyOutboxStore(database.db),
    now: () => new Date(),
    add: (id, createdAt) =>
      outbox.add(userBoundToWeibo(id, createdAt, { id: crypto.randomUUID(), username: 'u' }, '1')),
    row: async (id) => {
      const row = await database.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const { attempts, last_error: lastError, available_at: availableAt } = row;
      return { published: row.published_at !== null, attempts, lastError, availableAt };
    },
  };
}

async function inMemory(): Promise<Subject> {
  const clock = new FakeClock();
  const store = new InMemoryOutboxStore(clock);
  return {
    store,
    now: () => clock.now(),
    add: async (id, createdAt) =>
      store.add({ id, type: 'UserBoundToWeibo', envelope: { id } }, createdAt),
    row: async (id) => {
      const { publishedAt, attempts, lastError, availableAt } = store.row(id);
      return { published: publishedAt !== null, attempts, lastError, availableAt };
    },
  };
}

/** Adds events created `secondsAgo[i]` seconds ago, in that order; returns their ids. */
async function addEvents(subject: Subject, secondsAgo: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const seconds of secondsAgo) {
    const id = crypto.randomUUID();
    await subject.add(id, new Date(subject.now().getTime() - seconds * 1000));
    ids.push(id);
  }
  return ids;
}

/** Claims and answers with `outcome`, keeping what was handed over. */
async function claim(store: OutboxStore, limit: number, outcome: Partial<PublishOutcome> = {}) {
  let messages: ClaimedMessage[] = [];
  const count = await store.claim(limit, async (claimed) => {
    messages = claimed;
    return { published: [], failed: [], ...outcome };
  });
  return { count, messages, ids: messages.map((message) => message.id) };
}

function rejectAfter(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('no overlap')), ms));
}

describe.each([
  ['Postgres', postgres],
  ['in-memory', inMemory],
])('%s outbox store', (_name, create) => {
  it('hands over due unpublished messages oldest first, up to the limit', async () => {
    const subject = await create();
    const [middle, oldest, newest] = await addEvents(subject, [20, 30, 10]);
    const first = await claim(subject.store, 2);
    expect(first.count).toBe(2);
    expect(first.ids).toEqual([oldest, middle]);
    expect(first.messages[0]).toMatchObject({ type: 'UserBoundToWeibo', attempts: 0 });
    expect(first.messages[0]?.envelope).toMatchObject({ id: oldest });
    expect((await claim(subject.store, 5)).ids).toEqual([oldest, middle, newest]);
  });

  it('marks published messages, which no later claim returns', async () => {
    const subject = await create();
    const ids = await addEvents(subject, [2, 1]);
    expect((await claim(subject.store, 10, { published: ids })).count).toBe(2);
    expect(await subject.row(ids[0] ?? '')).toMatchObject({ published: true, attempts: 0 });
    let ran = false;
    const count = await subject.store.claim(10, async () => {
      ran = true;
      return { published: [], failed: [] };
    });
    expect([count, ran]).toEqual([0, false]);
  });

  it('records a failure: one more attempt, the error, and not due again before the delay', async () => {
    const subject = await create();
    const [failed = '', published = ''] = await addEvents(subject, [2, 1]);
    await claim(subject.store, 10, {
      published: [published],
      failed: [{ id: failed, error: 'broker said no', retryAfterMs: 60_000 }],
    });
    const row = await subject.row(failed);
    expect(row).toMatchObject({ published: false, attempts: 1, lastError: 'broker said no' });
    const delay = row.availableAt.getTime() - subject.now().getTime();
    expect(Math.abs(delay - 60_000)).toBeLessThan(5_000);
    expect((await claim(subject.store, 10)).count).toBe(0);
  });

  it('hands a failed message over again once its delay is over, with its attempts', async () => {
    const subject = await create();
    const [id = ''] = await addEvents(subject, [1]);
    for (const attempts of [0, 1, 2]) {
      const { messages } = await claim(subject.store, 10, {
        failed: [{ id, error: `failure ${attempts + 1}`, retryAfterMs: 0 }],
      });
      expect(messages.map((message) => [message.id, message.attempts])).toEqual([[id, attempts]]);
    }
    expect(await subject.row(id)).toMatchObject({ attempts: 3, lastError: 'failure 3' });
  });

  it('records nothing when the work throws', async () => {
    const subject = await create();
    const [id = ''] = await addEvents(subject, [1]);
    const failing = subject.store.claim(10, async () => {
      throw new Error('relay crashed');
    });
    await expect(failing).rejects.toThrow('relay crashed');
    expect(await subject.row(id)).toMatchObject({ published: false, attempts: 0, lastError: null });
    expect((await claim(subject.store, 10)).ids).toEqual([id]);
  });

  it('never hands the same message to two claims running at once', async () => {
    const subject = await create();
    const ids = await addEvents(subject, [6, 5, 4, 3, 2, 1]);
    const arrived = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    const got: string[][] = [[], []];
    const claimAs = (i: 0 | 1) =>
      subject.store.claim(4, async (messages) => {
        got[i] = messages.map((message) => message.id);
        arrived[i]?.resolve();
        // Both hold their claims at this point, or the test fails.
        await Promise.race([arrived[1 - i]?.promise, rejectAfter(5_000)]);
        return { published: got[i] ?? [], failed: [] };
      });
    const counts = await Promise.all([claimAs(0), claimAs(1)]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(6);
    expect(got.flat().sort()).toEqual([...ids].sort());
  });

  it('reports the backlog: unpublished messages and the age of the oldest', async () => {
    const subject = await create();
    expect(await subject.store.backlog()).toEqual({ unpublished: 0, oldestAgeSeconds: 0 });
    const [oldest] = await addEvents(subject, [60, 30]);
    const before = await subject.store.backlog();
    expect(before.unpublished).toBe(2);
    expect(Math.abs(before.oldestAgeSeconds - 60)).toBeLessThan(2);
    await claim(subject.store, 10, { published: oldest ? [oldest] : [] });
    const after = await subject.store.backlog();
    expect(after.unpublished).toBe(1);
    expect(Math.abs(after.oldestAgeSeconds - 30)).toBeLessThan(2);
  });
});

describe('the Kysely outbox store on a backlog', () => {
  it('claims through the created_at index, without sorting the backlog', async () => {
    // A backlog the planner knows about: 2,000 due rows, then fresh statistics.
    await sql`
      insert into outbox (id, type, aggregate_id, payload, created_at)
      select gen_random_uuid(), 'UserBoundToWeibo', gen_random_uuid()::text, '{}'::jsonb,
             now() - make_interval(secs => n)
      from generate_series(1, 2000) as n`.execute(database.db);
    await sql`analyze outbox`.execute(database.db);
    const recorded: RootOperationNode[] = [];
    const recording = database.db.withPlugin({
      transformQuery: ({ node }) => {
        if (node.kind === 'SelectQueryNode') recorded.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    await new KyselyOutboxStore(recording).claim(100, async () => ({ published: [], failed: [] }));
    expect(recorded).toHaveLength(1);
    const [claim] = recorded;
    const plan = await database.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const query = trx.getExecutor().compileQuery(claim as RootOperationNode, {
        queryId: crypto.randomUUID(),
      });
      const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
      );
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    await sql`delete from outbox`.execute(database.db);
    expect(plan).toContain('outbox_unpublished_created_idx');
    expect(plan).not.toMatch(/\bSort\b/);
  });
});
