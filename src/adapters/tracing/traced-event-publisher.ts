import {
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { EventPublisher, OutboxMessage } from '../../application/outbox-ports.ts';
import { contextOf } from './trace-context.ts';

const tracer = trace.getTracer('weibo-auth.outbox');

/**
 * The relay's publish spans (SPEC "Traces"). Each event's span is a child of the context stored
 * with its row, so it sits in the trace of the request that wrote it. The batch, published in
 * one call, has a span of its own, linked both ways, under which the broker's commands run.
 */
export class TracedEventPublisher implements EventPublisher {
  private readonly spanName: string;

  constructor(
    private readonly inner: EventPublisher,
    private readonly queues: string[],
  ) {
    this.spanName = `publish ${queues.join(',')}`;
  }

  async publish(messages: OutboxMessage[]): Promise<void> {
    const attributes = {
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': this.queues.join(','),
    };
    const stored = messages.map((message) =>
      message.trace ? contextOf(message.trace) : ROOT_CONTEXT,
    );
    const links: Link[] = stored.flatMap((parent) => {
      const span = trace.getSpan(parent);
      return span ? [{ context: span.spanContext() }] : [];
    });
    const batch = tracer.startSpan(this.spanName, {
      kind: SpanKind.PRODUCER,
      root: true,
      links,
      attributes: { ...attributes, 'messaging.batch.message_count': messages.length },
    });
    const spans = messages.map((message, index) =>
      tracer.startSpan(
        this.spanName,
        {
          kind: SpanKind.PRODUCER,
          links: [{ context: batch.spanContext() }],
          attributes: {
            ...attributes,
            'messaging.message.id': message.id,
            'cloudevents.event_id': message.id,
            'cloudevents.event_type': message.type,
          },
        },
        stored[index],
      ),
    );
    try {
      await context.with(trace.setSpan(ROOT_CONTEXT, batch), () => this.inner.publish(messages));
    } catch (error) {
      for (const span of [batch, ...spans]) failed(span, error);
      throw error;
    } finally {
      for (const span of [batch, ...spans]) span.end();
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
}
