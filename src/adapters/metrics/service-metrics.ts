import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { OutboxStore } from '../../application/outbox-ports.ts';
import { registerOutboxBacklogGauges } from './outbox-backlog-gauges.ts';

export type WeiboCallOutcome = 'ok' | 'refused' | 'rate_limited' | 'unavailable' | 'error';

export interface HttpRequestLabels {
  method: string;
  /** The route template (`/users/:id`), never the path itself, or `unmatched`. */
  route: string;
  status: number;
}

/** prom-client's default buckets, 5 ms to 10 s: logins wait on Weibo and on argon2. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Up to twice the default WEIBO_TIMEOUT_MS (5 s), so a timed-out call lands in a bucket. */
const WEIBO_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus metrics, with the default process and Node ones, in a registry of
 * its own (not prom-client's global one), so each instance, and each test, has its own.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];
  private readonly httpRequests = new Counter({
    name: 'weibo_auth_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: this.registers,
  });
  private readonly httpDuration = new Histogram({
    name: 'weibo_auth_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: this.registers,
  });
  private readonly weiboCalls = new Counter({
    name: 'weibo_auth_weibo_calls_total',
    help:
      'Calls to Weibo by endpoint and outcome: ok, refused (a code or token rejected), ' +
      'rate_limited (Weibo quota, or the pause after it), unavailable, error; error_code is ' +
      "Weibo's own code when it answered one (21321-21324: the app itself is misconfigured).",
    labelNames: ['endpoint', 'outcome', 'error_code'] as const,
    registers: this.registers,
  });
  private readonly weiboDuration = new Histogram({
    name: 'weibo_auth_weibo_call_duration_seconds',
    help: 'Duration of calls to Weibo, by endpoint and outcome.',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: WEIBO_BUCKETS,
    registers: this.registers,
  });
  private readonly eventsPublished = new Counter({
    name: 'weibo_auth_outbox_events_published_total',
    help: 'Outbox events published by this instance, counted once the outcome is committed.',
    registers: this.registers,
  });
  private readonly eventsFailed = new Counter({
    name: 'weibo_auth_outbox_events_failed_total',
    help: 'Outbox event publishes that failed and will be retried, counted once committed.',
    registers: this.registers,
  });
  private readonly statesIssued = new Counter({
    name: 'weibo_auth_state_nonces_issued_total',
    help: 'Login state nonces saved for a new Weibo login.',
    registers: this.registers,
  });
  private readonly statesRefused = new Counter({
    name: 'weibo_auth_state_nonces_refused_total',
    help:
      'Callbacks answered 10151: a state unknown, expired, reused or from another browser. ' +
      'Counted once per answer, by the HTTP metrics middleware only.',
    registers: this.registers,
  });

  private readonly purged = new Counter({
    name: 'weibo_auth_housekeeping_purged_total',
    help: 'Rows housekeeping deleted: ended or expired sessions, audit entries past retention.',
    labelNames: ['table'] as const,
    registers: this.registers,
  });

  private readonly sessionEvents = new Counter({
    name: 'weibo_auth_sessions_total',
    help:
      'Session events: refreshed (a refresh token rotated), reused (a used refresh token came ' +
      'back and its session was revoked), revoked (sessions ended by sign-out).',
    labelNames: ['event'] as const,
    registers: this.registers,
  });

  /** `backlogReadTimeoutMs` bounds the backlog read of a scrape (2 s by default). */
  constructor(outbox: Pick<OutboxStore, 'backlog'>, backlogReadTimeoutMs?: number) {
    collectDefaultMetrics({ register: this.registry });
    registerOutboxBacklogGauges(this.registry, outbox, backlogReadTimeoutMs);
  }

  /** The exposition, in Prometheus text format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  observeHttpRequest({ method, route, status }: HttpRequestLabels, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  observeWeiboCall(
    endpoint: string,
    outcome: WeiboCallOutcome,
    seconds: number,
    errorCode?: number,
  ): void {
    this.weiboCalls.inc({ endpoint, outcome, error_code: errorCode?.toString() ?? '' });
    this.weiboDuration.observe({ endpoint, outcome }, seconds);
  }

  countPurged(table: 'sessions' | 'audit', rows: number): void {
    this.purged.inc({ table }, rows);
  }

  countOutboxOutcome(published: number, failed: number): void {
    this.eventsPublished.inc(published);
    this.eventsFailed.inc(failed);
  }

  countStateIssued(): void {
    this.statesIssued.inc();
  }

  countStateRefused(): void {
    this.statesRefused.inc();
  }

  countSessions(event: 'refreshed' | 'reused' | 'revoked', count = 1): void {
    if (count > 0) this.sessionEvents.inc({ event }, count);
  }
}
