import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the receiver decoded it, from OTLP/JSON or OTLP/protobuf alike. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Start and end, in milliseconds since the epoch. */
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  links: Array<{ traceId: string; spanId: string }>;
  scope: string;
  resource: Record<string, unknown>;
}

export interface ReceivedExport {
  contentType: string;
  spans: ReceivedSpan[];
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 (`POST /v1/traces`), as a collector would be: decodes
 * JSON, and protobuf with a small reader of the wire format, so a test sees exactly what left
 * the service.
 */
export async function startOtlpReceiver(port = 0) {
  const exports: ReceivedExport[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = request.headers['content-type'] ?? '';
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      try {
        const spans = contentType.includes('json')
          ? fromJson(JSON.parse(body.toString('utf8')))
          : fromProtobuf(body);
        exports.push({ contentType, spans });
        response
          .writeHead(200, { 'content-type': contentType })
          .end(contentType.includes('json') ? '{}' : '');
      } catch (error) {
        response.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: listening } = server.address() as AddressInfo;
  return {
    /** For OTEL_EXPORTER_OTLP_ENDPOINT: the exporter appends `/v1/traces`. */
    endpoint: `http://127.0.0.1:${listening}`,
    exports,
    spans: () => exports.flatMap((received) => received.spans),
    /** Waits until `check` holds for the spans received so far; fails with what came. */
    async waitFor(check: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(this.spans())) {
        if (Date.now() > deadline) {
          const names = this.spans().map((span) => `${span.traceId} ${span.name}`);
          throw new Error(`spans never matched; received:\n${names.join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return this.spans();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type OtlpReceiver = Awaited<ReturnType<typeof startOtlpReceiver>>;

// OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): ids in hex,
// enums as numbers, 64-bit integers as strings.
// biome-ignore lint/suspicious/noExplicitAny: OTLP/JSON is read field by field, as the spec describes it
type Json = any;

function jsonValue(value: Json): unknown {
  if (value === undefined || value === null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(jsonValue);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

function jsonAttributes(list: Json[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv: Json) => [kv.key, jsonValue(kv.value)]));
}

function fromJson(body: Json): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs: Json) =>
    (rs.scopeSpans ?? []).flatMap((ss: Json) =>
      (ss.spans ?? []).map(
        (span: Json): ReceivedSpan => ({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          startMs: Number(BigInt(span.startTimeUnixNano) / 1000n) / 1000,
          endMs: Number(BigInt(span.endTimeUnixNano) / 1000n) / 1000,
          attributes: jsonAttributes(span.attributes),
          events: (span.events ?? []).map((event: Json) => ({
            name: event.name,
            attributes: jsonAttributes(event.attributes),
          })),
          links: (span.links ?? []).map((link: Json) => ({
            traceId: link.traceId,
            spanId: link.spanId,
          })),
          scope: ss.scope?.name ?? '',
          resource: jsonAttributes(rs.resource?.attributes),
        }),
      ),
    ),
  );
}

// OTLP/protobuf: the wire format (varint, 64-bit, length-delimited, 32-bit) of
// opentelemetry/proto/collector/trace/v1 and the messages it holds, only the fields read here.
type Field = { number: number; wire: number; value: bigint | Buffer };

function* fields(buffer: Buffer): Generator<Field> {
  let offset = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { number, wire, value: varint() };
    else if (wire === 1) {
      yield { number, wire, value: buffer.subarray(offset, offset + 8) };
      offset += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      yield { number, wire, value: buffer.subarray(offset, offset + length) };
      offset += length;
    } else if (wire === 5) {
      yield { number, wire, value: buffer.subarray(offset, offset + 4) };
      offset += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const bytesOf = (field: Field) => field.value as Buffer;
const text = (field: Field) => bytesOf(field).toString('utf8');

function anyValue(buffer: Buffer): unknown {
  for (const field of fields(buffer)) {
    switch (field.number) {
      case 1:
        return text(field);
      case 2:
        return field.value === 1n;
      case 3:
        return Number(BigInt.asIntN(64, field.value as bigint));
      case 4:
        return bytesOf(field).readDoubleLE(0);
      case 5:
        return [...fields(bytesOf(field))].map((item) => anyValue(bytesOf(item)));
      case 7:
        return bytesOf(field).toString('base64');
    }
  }
  return undefined;
}

function keyValue(buffer: Buffer): [string, unknown] {
  let key = '';
  let value: unknown;
  for (const field of fields(buffer)) {
    if (field.number === 1) key = text(field);
    if (field.number === 2) value = anyValue(bytesOf(field));
  }
  return [key, value];
}

function attributesIn(buffer: Buffer, number: number): Record<string, unknown> {
  return Object.fromEntries(
    [...fields(buffer)].filter((f) => f.number === number).map((f) => keyValue(bytesOf(f))),
  );
}

function span(buffer: Buffer, scope: string, resource: Record<string, unknown>): ReceivedSpan {
  const decoded: ReceivedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startMs: 0,
    endMs: 0,
    attributes: attributesIn(buffer, 9),
    events: [],
    links: [],
    scope,
    resource,
  };
  for (const field of fields(buffer)) {
    if (field.number === 1) decoded.traceId = bytesOf(field).toString('hex');
    else if (field.number === 2) decoded.spanId = bytesOf(field).toString('hex');
    else if (field.number === 4) decoded.parentSpanId = bytesOf(field).toString('hex');
    else if (field.number === 5) decoded.name = text(field);
    else if (field.number === 6) decoded.kind = Number(field.value);
    else if (field.number === 7 || field.number === 8) {
      const ms = Number(bytesOf(field).readBigUInt64LE(0) / 1000n) / 1000;
      if (field.number === 7) decoded.startMs = ms;
      else decoded.endMs = ms;
    } else if (field.number === 11) {
      const event = bytesOf(field);
      const name = [...fields(event)].find((f) => f.number === 2);
      decoded.events.push({ name: name ? text(name) : '', attributes: attributesIn(event, 3) });
    } else if (field.number === 13) {
      const link = [...fields(bytesOf(field))];
      const id = (n: number) => {
        const found = link.find((f) => f.number === n);
        return found ? bytesOf(found).toString('hex') : '';
      };
      decoded.links.push({ traceId: id(1), spanId: id(2) });
    }
  }
  return decoded;
}

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of fields(body)) {
    if (resourceSpans.number !== 1) continue;
    const rs = [...fields(bytesOf(resourceSpans))];
    const resourceField = rs.find((f) => f.number === 1);
    const resource = resourceField ? attributesIn(bytesOf(resourceField), 1) : {};
    for (const scopeSpans of rs.filter((f) => f.number === 2)) {
      const ss = [...fields(bytesOf(scopeSpans))];
      const scopeField = ss.find((f) => f.number === 1);
      const scopeName = scopeField && [...fields(bytesOf(scopeField))].find((f) => f.number === 1);
      const scope = scopeName ? text(scopeName) : '';
      for (const s of ss.filter((f) => f.number === 2))
        spans.push(span(bytesOf(s), scope, resource));
    }
  }
  return spans;
}
