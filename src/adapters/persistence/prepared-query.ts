import {
  type Compilable,
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.ts';

/** Builds and compiles queries only: never connected (Kysely's documented "cold" instance). */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** SQL text → statement name, for the queries made with `preparedQuery`. */
const statementNames = new Map<string, string>();
/** Marks a stand-in value: no value a caller passes starts with it. */
const STAND_IN = '\u0000weibo-auth-parameter:';

/**
 * A hot query built and compiled once per process, and run on Postgres as a named prepared
 * statement: each connection parses and plans it once instead of on every run. `build` gets
 * stand-ins for its values (`values.userId`…); each run passes the real ones by name.
 * On the signed-in read this took the rate from about 4,300 to 8,000 per second
 * (BENCHMARKS.md): Kysely's building and compiling, and Postgres' planning of a three-table
 * join, cost more than the rest of it.
 *
 * Name the columns: a prepared statement whose result columns change under it (`select *`
 * after a migration adds a column) fails until its connection closes. No plugin may depend on
 * a run's `queryId`: the runs share the compiled query's.
 */
export function preparedQuery<V extends object, R>(
  name: string,
  build: (db: Kysely<Database>, values: V) => Compilable<R>,
): (values: V) => CompiledQuery<R> {
  const standIns = new Proxy({} as V, { get: (_, key) => `${STAND_IN}${String(key)}` });
  const compiled = build(compiler, standIns).compile();
  if ([...statementNames].some(([sql, known]) => known === name && sql !== compiled.sql)) {
    throw new Error(`prepared statement "${name}" is already another query`);
  }
  statementNames.set(compiled.sql, name);
  // Each parameter is a value by name, or a constant the query itself holds.
  const slots = compiled.parameters.map((parameter): { key: string } | { constant: unknown } =>
    typeof parameter === 'string' && parameter.startsWith(STAND_IN)
      ? { key: parameter.slice(STAND_IN.length) }
      : { constant: parameter },
  );
  return (values) => {
    const byName = values as Record<string, unknown>;
    const parameters = slots.map((slot) => ('key' in slot ? byName[slot.key] : slot.constant));
    return { ...compiled, parameters };
  };
}

type Query = (...args: unknown[]) => unknown;

/**
 * Runs the SQL of `preparedQuery` queries on this client as their named prepared statements
 * (Kysely's driver sends `query(sql, values)`); every other call goes through unchanged.
 */
export function usePreparedStatements(client: pg.ClientBase): void {
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (...args: unknown[]) => {
    const [text, values, ...rest] = args;
    const name = typeof text === 'string' ? statementNames.get(text) : undefined;
    if (name === undefined) return query(...args);
    return query({ name, text, values }, ...rest);
  };
}
