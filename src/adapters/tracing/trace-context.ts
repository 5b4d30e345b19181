import { context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { TraceContext } from '../../application/ports.ts';

/** The active span's context as W3C headers; null outside a recorded trace. */
export function activeTraceContext(): TraceContext | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const { traceparent, tracestate } = carrier;
  if (traceparent === undefined) return null;
  return tracestate ? { traceparent, tracestate } : { traceparent };
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
