import { StorageUnavailable } from '../../application/errors.ts';

/** Socket and pg-pool codes of a lost, refused or unusable connection. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // A query written to a socket that has just been closed under it.
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);
/**
 * SQLSTATEs that mean "the server is not there for you": class 08 (connection exception) is
 * matched whole; besides it, too many connections, the server shutting down or starting up,
 * and a session the server dropped for idling in a transaction.
 */
const CONNECTION_SQLSTATES = new Set(['53300', '57P01', '57P02', '57P03', '25P03']);
/**
 * What pg and pg-pool say when the socket drops between or during queries, mid-transaction
 * included ("Connection terminated unexpectedly", then "Client has encountered a connection
 * error and is not queryable" for the rollback), or when no connection can be had in time.
 */
const CONNECTION_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|not queryable|Connection closed|pool after calling end|socket has been ended/i;

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && violated === constraint;
}

/** Runs a query and turns a lost or refused connection into StorageUnavailable. */
export async function guarded<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw isConnectionFailure(error)
      ? new StorageUnavailable('database unavailable', { cause: error })
      : error;
  }
}

function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (error instanceof StorageUnavailable) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code) || CONNECTION_SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (
    error instanceof AggregateError &&
    error.errors.some((e) => isConnectionFailure(e, depth + 1))
  )
    return true;
  if (CONNECTION_MESSAGES.test(error.message)) return true;
  return isConnectionFailure(error.cause, depth + 1);
}
