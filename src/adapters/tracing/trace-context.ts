import {
  type Context,
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import type { TraceContext } from '../../application/outbox-ports.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The active span's context as W3C `traceparent` (and `tracestate`); null outside a recorded
 * trace. Written out here rather than through the global propagator, so OTEL_PROPAGATORS (b3,
 * say) cannot leave an outbox row without the W3C context SPEC asks for.
 */
export function activeTraceContext(): TraceContext | null {
  const span = trace.getActiveSpan();
  if (span === undefined) return null;
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return null;
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${context.traceId}-${context.spanId}-${flags}`;
  const tracestate = context.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** A context whose parent is the stored one (remote); the root context when it does not parse. */
export function contextOf(stored: TraceContext): Context {
  const match = TRACEPARENT.exec(stored.traceparent);
  if (!match) return ROOT_CONTEXT;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
    ...(stored.tracestate && { traceState: createTraceState(stored.tracestate) }),
  };
  return isSpanContextValid(spanContext)
    ? trace.setSpanContext(ROOT_CONTEXT, spanContext)
    : ROOT_CONTEXT;
}

/** Log fields of the active span (SPEC "Traces": `trace_id`, `span_id`); none outside one. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : {};
}

/**
 * Exports the spans still queued, for a shutdown; bounded, so a collector that is down does not
 * hold the exit. A no-op without the SDK.
 */
export async function flushTraces(timeoutMs = 2_000): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = provider.getDelegate?.() ?? provider;
  if (!('forceFlush' in delegate) || typeof delegate.forceFlush !== 'function') return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([(delegate.forceFlush as () => Promise<void>)().catch(() => {}), timeout]);
  clearTimeout(timer);
}
