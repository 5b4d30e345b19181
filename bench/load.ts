import autocannon from 'autocannon';
import { cpuSeconds, serverPid } from './processes.ts';

export const CONNECTIONS = 50;

export interface Measured {
  /** Answers with the expected status per second of the run. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  /** Answers with another status. */
  other: number;
  /** Connection errors and timeouts. */
  errors: number;
  seconds: number;
  statuses: Record<string, number>;
  /** CPU time (user + system) of the server process per counted answer, in microseconds. */
  cpuUs?: number;
}

export interface LoadOptions {
  url: string;
  /** Bounded in time; a prepared pool may end the run earlier (see `fromPool`). */
  seconds?: number;
  /** A fixed number of requests instead of a time. */
  amount?: number;
  method?: autocannon.Request['method'];
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: autocannon.Request[];
  okStatus?: number;
  /** An answer with `okStatus` whose body fails this check counts as another answer. */
  verify?: (body: string) => boolean;
  connections?: number;
}

/** Only this machine is ever loaded. */
function assertLoopback(url: string) {
  if (!/^http:\/\/127\.0\.0\.1:\d+(\/|$)/.test(url)) {
    throw new Error(`the bench only loads 127.0.0.1, not ${url}`);
  }
}

/**
 * Runs autocannon (50 connections) and counts the answers with `okStatus`: requests per second
 * is that count over the run's length, so a pool running dry or failing answers lower it.
 */
export async function load(
  options: LoadOptions,
  onInstance?: (instance: autocannon.Instance) => void,
): Promise<Measured> {
  assertLoopback(options.url);
  const okStatus = options.okStatus ?? 200;
  let rejected = 0;
  const { verify } = options;
  const requests = verify
    ? (options.requests ?? [{}]).map(
        (request): autocannon.Request => ({
          ...request,
          onResponse: (status, body, context, headers) => {
            if (status === okStatus && !verify(body)) rejected += 1;
            if (typeof request.onResponse === 'function') {
              request.onResponse(status, body, context, headers);
            }
          },
        }),
      )
    : options.requests;
  const settings: autocannon.Options = {
    url: `${options.url}${options.path ?? ''}`,
    connections: options.connections ?? CONNECTIONS,
    duration: options.seconds ?? 8,
    amount: options.amount,
    method: options.method,
    headers: options.headers,
    body: options.body,
    requests,
    // Samples every 100 ms, so a stop (a pool run dry) ends the run within 100 ms.
    sampleInt: 100,
    timeout: 10,
  };
  // autocannon takes a key set to undefined as a value (an undefined method fails).
  const running = autocannon(
    Object.fromEntries(
      Object.entries(settings).filter(([, value]) => value !== undefined),
    ) as autocannon.Options,
  );
  // Without a callback autocannon answers its instance, which is also the promise of the result.
  const pid = serverPid(options.url);
  const cpuBefore = await cpuSeconds(pid);
  onInstance?.(running as unknown as autocannon.Instance);
  const result = await running;
  const cpuAfter = await cpuSeconds(pid);
  const statuses: Record<string, number> = {};
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> })
    .statusCodeStats;
  for (const [status, { count }] of Object.entries(stats ?? {})) statuses[status] = count;
  const ok = (statuses[String(okStatus)] ?? 0) - rejected;
  const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  if (rejected > 0) statuses[`${okStatus} rejected`] = rejected;
  return {
    perSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok,
    other: answered - ok,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
    statuses,
    ...(cpuBefore !== undefined &&
      cpuAfter !== undefined &&
      ok > 0 && { cpuUs: ((cpuAfter - cpuBefore) * 1e6) / ok }),
  };
}

/** A few words on answers that were not the expected ones, or '' when all were. */
export function failures(measured: Measured): string {
  const parts: string[] = [];
  if (measured.other > 0)
    parts.push(`${measured.other} other answers ${JSON.stringify(measured.statuses)}`);
  if (measured.errors > 0) parts.push(`${measured.errors} errors or timeouts`);
  return parts.join(', ');
}

/**
 * One request per prepared item, each used once (states, codes and bind tokens are single-use),
 * for `load`'s `requests`. When the items run out the run is stopped early; requests built
 * while it stops reuse the last item and are counted as other answers.
 */
export function fromPool<T>(
  items: T[],
  toRequest: (item: T, index: number) => autocannon.Request,
): {
  requests: autocannon.Request[];
  attach(instance: autocannon.Instance): void;
  /** Whether every item was used (the run then stopped early). */
  ranDry(): boolean;
  /** Requests sent after the pool ran dry (the last item again, so failing), before the stop. */
  overrun(): number;
} {
  let next = 0;
  let instance: autocannon.Instance | undefined;
  let stopping = false;
  return {
    requests: [
      {
        setupRequest: (request) => {
          const index = Math.min(next, items.length - 1);
          next += 1;
          if (next >= items.length && !stopping) {
            stopping = true;
            setImmediate(() => instance?.stop());
          }
          return { ...request, ...toRequest(items[index] as T, index) };
        },
      },
    ],
    attach(attached) {
      instance = attached;
    },
    ranDry: () => stopping,
    overrun: () => Math.max(0, next - items.length),
  };
}

/**
 * `amount` requests through autocannon, each built from `toRequest(i)`, handing each answer
 * (status, body and headers) to `collect`: the quick way to prepare thousands of states.
 */
export async function collect(
  url: string,
  amount: number,
  toRequest: (index: number) => autocannon.Request,
  onAnswer: (status: number, body: string, headers: Record<string, unknown>) => void,
): Promise<void> {
  let next = 0;
  const measured = await load({
    url,
    amount: Math.max(amount, CONNECTIONS),
    requests: [
      {
        setupRequest: (request) => {
          const index = next;
          next += 1;
          return { ...request, ...toRequest(index) };
        },
        onResponse: (status, body, _context, headers) =>
          onAnswer(status, body, (headers ?? {}) as Record<string, unknown>),
      },
    ],
  });
  if (measured.errors > 0) throw new Error(`preparing: ${failures(measured)}`);
}
