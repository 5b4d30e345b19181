import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  redactAttributes,
  redactSpan,
} from '../../src/adapters/tracing/redacting-span-exporter.ts';
import { contextOf } from '../../src/adapters/tracing/trace-context.ts';
import { tracingSettings } from '../../src/infrastructure/telemetry-settings.ts';

describe('tracing settings from the standard OTEL_* variables', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

  it('is off without an endpoint, whatever else is set', () => {
    expect(tracingSettings({}).enabled).toBe(false);
    expect(
      tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }).enabled,
    ).toBe(false);
  });

  it('is on with either endpoint, protobuf by default', () => {
    expect(tracingSettings(endpoint)).toEqual({ enabled: true, protocol: 'http/protobuf' });
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).enabled,
    ).toBe(true);
  });

  it('stays off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).enabled).toBe(false);
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });

  it('takes http/json, the traces variable first, and names a protocol it cannot send', () => {
    expect(
      tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol,
    ).toBe('http/json');
    expect(
      tracingSettings({
        ...endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }),
    ).toEqual({ enabled: true, protocol: 'http/json' });
    expect(tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).problem).toBe(
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http/protobuf (the default) or http/json',
    );
    // Unasked-for tracing is no reason to refuse start-up.
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).problem).toBeUndefined();
  });
});

describe('redaction of span attributes before export', () => {
  it('keeps the path of a URL and drops its query', () => {
    const attributes = {
      'url.full': 'https://api.weibo.com/2/users/show.json?access_token=2.00abc&uid=1',
      'url.query': '?access_token=2.00abc&uid=1',
      'url.path': '/2/users/show.json',
      'http.target': '/v1/users/weibo/users?code=c0de&state=st4te#x',
      'http.request.method': 'GET',
    };
    expect(redactAttributes(attributes)).toEqual({
      'url.full': 'https://api.weibo.com/2/users/show.json',
      'url.path': '/2/users/show.json',
      'http.target': '/v1/users/weibo/users',
      'http.request.method': 'GET',
    });
  });

  it('keeps a Redis command’s name only, and leaves SQL with its placeholders', () => {
    expect(
      redactAttributes({ 'db.system.name': 'redis', 'db.query.text': 'GET state:{ab12}secret' }),
    ).toEqual({ 'db.system.name': 'redis', 'db.query.text': 'GET' });
    const sql = {
      'db.system.name': 'postgresql',
      'db.query.text': 'select * from users where id = $1',
    };
    expect(redactAttributes(sql)).toBe(sql);
  });

  it('drops credential headers, and returns the same object when nothing had to go', () => {
    expect(
      redactAttributes({ 'http.request.header.authorization': ['Bearer x'], 'http.route': '/a' }),
    ).toEqual({ 'http.route': '/a' });
    const clean = { 'http.route': '/v1/users/me' };
    expect(redactAttributes(clean)).toBe(clean);
  });

  it('redacts a span’s events too, and reads the rest through the original span', () => {
    const context = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const span = {
      name: 'GET',
      attributes: { 'url.full': 'http://w/x?code=1' },
      events: [
        { name: 'exception', time: [0, 0], attributes: { 'url.full': 'http://w/y?state=2' } },
      ],
      spanContext: () => context,
    } as unknown as ReadableSpan;
    const redacted = redactSpan(span);
    expect(redacted.attributes).toEqual({ 'url.full': 'http://w/x' });
    expect(redacted.events[0]?.attributes).toEqual({ 'url.full': 'http://w/y' });
    expect(redacted.name).toBe('GET');
    expect(redacted.spanContext()).toBe(context);
    expect(span.attributes).toEqual({ 'url.full': 'http://w/x?code=1' });
  });
});

describe('the trace context an outbox row keeps, read back by the relay', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';

  it('becomes the remote parent of the publish span, its flags and trace state with it', () => {
    const parent = trace.getSpanContext(
      contextOf({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=a1,other=b2' }),
    );
    expect(parent).toMatchObject({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(parent?.traceState?.get('vendor')).toBe('a1');
    expect(
      trace.getSpanContext(contextOf({ traceparent: `00-${traceId}-${spanId}-00` }))?.traceFlags,
    ).toBe(0);
  });

  it('is no parent at all when it does not parse, or names no trace', () => {
    for (const traceparent of [
      'garbage',
      `00-${traceId}-${spanId}`,
      `00-${traceId.toUpperCase()}-${spanId}-01`,
      `00-${'0'.repeat(32)}-${spanId}-01`,
      `00-${traceId}-${'0'.repeat(16)}-01`,
    ]) {
      expect(contextOf({ traceparent }), traceparent).toBe(ROOT_CONTEXT);
    }
  });
});
