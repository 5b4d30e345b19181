/**
 * What the standard OTEL_* variables ask of tracing (SPEC "Traces"). Pure and free of imports:
 * the preload reads it before anything else is loaded, and the config reads it again.
 */
export type TraceProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  /** An OTLP endpoint is set, and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none says no. */
  enabled: boolean;
  protocol: TraceProtocol;
  /** Set when tracing is asked for in a way the service cannot honour; start-up is refused. */
  problem?: string;
}

const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];

export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  const value = (name: string) => env[name]?.trim() ?? '';
  const endpoint =
    value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== '' ||
    value('OTEL_EXPORTER_OTLP_ENDPOINT') !== '';
  const enabled =
    endpoint &&
    value('OTEL_SDK_DISABLED').toLowerCase() !== 'true' &&
    value('OTEL_TRACES_EXPORTER').toLowerCase() !== 'none';
  const variable = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const asked = value(variable) || 'http/protobuf';
  if (!PROTOCOLS.includes(asked)) {
    const problem = `${variable}=${asked} is not supported: use http/protobuf (the default) or http/json`;
    return { enabled, protocol: 'http/protobuf', problem: enabled ? problem : undefined };
  }
  return { enabled, protocol: asked as TraceProtocol };
}
