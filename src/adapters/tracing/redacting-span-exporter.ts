import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Attributes that hold a URL: the path stays, the query (OAuth codes, states, tokens) goes. */
const URL_KEYS = new Set(['url.full', 'url.original', 'http.url', 'http.target']);
/** Dropped whole: a query string, and headers that carry credentials. */
const DROPPED_KEYS = new Set([
  'url.query',
  'http.request.header.authorization',
  'http.request.header.cookie',
  'http.response.header.set-cookie',
]);
const REDIS_STATEMENT_KEYS = ['db.query.text', 'db.statement'];

function withoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * The attributes as they may leave the process: no query string, no credential header, and of
 * a Redis command its name only (its keys hold states and token hashes). The same object when
 * nothing had to change.
 */
export function redactAttributes(attributes: Attributes): Attributes {
  const redis = attributes['db.system.name'] === 'redis' || attributes['db.system'] === 'redis';
  let redacted: Attributes | undefined;
  const change = (key: string, value: Attributes[string] | undefined) => {
    redacted ??= { ...attributes };
    if (value === undefined) delete redacted[key];
    else redacted[key] = value;
  };
  for (const [key, value] of Object.entries(attributes)) {
    if (DROPPED_KEYS.has(key)) change(key, undefined);
    else if (URL_KEYS.has(key) && typeof value === 'string' && withoutQuery(value) !== value) {
      change(key, withoutQuery(value));
    } else if (redis && REDIS_STATEMENT_KEYS.includes(key) && typeof value === 'string') {
      const command = value.split(' ', 1)[0] ?? '';
      if (command !== value) change(key, command);
    }
  }
  return redacted ?? attributes;
}

/** The span as it may leave the process: its own and its events' attributes redacted. */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const attributes = redactAttributes(span.attributes);
  const events = span.events.map((event) => {
    const eventAttributes = event.attributes && redactAttributes(event.attributes);
    return eventAttributes === event.attributes ? event : { ...event, attributes: eventAttributes };
  });
  const eventsChanged = events.some((event, index) => event !== span.events[index]);
  if (attributes === span.attributes && !eventsChanged) return span;
  // Everything else (the span context, times, links, resource) is read through the original.
  return Object.create(span, {
    attributes: { value: attributes, enumerable: true },
    events: { value: eventsChanged ? events : span.events, enumerable: true },
  }) as ReadableSpan;
}

/**
 * In front of the OTLP exporter: whatever an instrumentation recorded, a code, state, token or
 * query string never leaves the process in a span.
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans.map(redactSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
