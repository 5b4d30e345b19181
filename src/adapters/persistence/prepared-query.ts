import type { Compilable, CompiledQuery } from 'kysely';
import type pg from 'pg';

/** SQL text → statement name, for the queries made with `preparedQuery`. */
const statementNames = new Map<string, string>();

/**
 * A hot query built and compiled once, and run on Postgres as a named prepared statement: each
 * connection parses and plans it once instead of on every run. It is built with stand-in values;
 * each run passes its own, in the order the builder placed the stand-ins. On the signed-in read
 * this took the rate from about 4,300 to 8,000 per second (BENCHMARKS.md): Kysely's building and
 * compiling, and Postgres' planning of a three-table join, cost more than the rest of it.
 *
 * Name the columns: a prepared statement whose result columns change under it (a `select *`
 * after a migration adds one) fails until its connection closes. No plugin may depend on a
 * run's `queryId`: the runs share the compiled query's.
 */
export function preparedQuery<R>(
  name: string,
  query: Compilable<R>,
): (parameters: readonly unknown[]) => CompiledQuery<R> {
  const compiled = query.compile();
  const named = statementNames.get(compiled.sql);
  if ([...statementNames.values()].includes(name) && named !== name) {
    throw new Error(`prepared statement "${name}" is already another query`);
  }
  statementNames.set(compiled.sql, name);
  return (parameters) => {
    if (parameters.length !== compiled.parameters.length) {
      throw new Error(`query takes ${compiled.parameters.length} values, got ${parameters.length}`);
    }
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
