import { register } from 'node:module';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { RedactingSpanExporter } from '../adapters/tracing/redacting-span-exporter.ts';
import type { TracingSettings } from './telemetry-settings.ts';

/**
 * Starts the SDK: OTLP/HTTP export (protobuf or JSON) through a redacting exporter, W3C trace
 * context, and spans for pg, ioredis and undici (the Weibo calls). The server span is Hono's
 * (`@hono/otel`, in the app), so node:http is not patched. NodeSDK reads the other standard
 * variables (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_*,
 * OTEL_PROPAGATORS, OTEL_EXPORTER_OTLP_HEADERS…); metrics stay on /metrics and logs on stdout.
 */
export async function startTracing(settings: TracingSettings): Promise<void> {
  // Under ESM the instrumentations patch nothing without the module hook; the message channel
  // limits it to the modules they name, and the wait lets it learn them before the app loads.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);
  const exporter =
    settings.protocol === 'http/json' ? new JsonTraceExporter() : new ProtobufTraceExporter();
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the detectors, win over these.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'weibo-auth' })),
    traceExporter: new RedactingSpanExporter(exporter),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // Queries and commands outside a request or a publish (polls, probes) make no trace.
      new PgInstrumentation({ requireParentSpan: true }),
      // The command's name only: keys hold states and token hashes.
      new IORedisInstrumentation({
        requireParentSpan: true,
        dbStatementSerializer: (name) => name,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
}
