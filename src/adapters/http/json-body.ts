import { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { invalidBody } from './http-errors.ts';

/**
 * How much of a refused body is read and dropped, never kept, before the refusal is sent.
 * A client still sending when the server stops reading can get a reset instead of the answer.
 * Past this the answer goes out without more reading, and the connection is closed after it.
 */
const DISCARD_LIMIT_BYTES = 4 * 1024 * 1024;

// `fatal`: bytes that are not UTF-8 are refused, not replaced by U+FFFD. A leading
// byte order mark is dropped (RFC 8259 lets a parser ignore one), as `Request.text()` does.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request's body as a JSON object, read up to `maxBytes` and never past it.
 * Throws `invalidBody()` for a body larger than that (declared by `Content-Length` or
 * counted while it streams in, as when chunked), not UTF-8, not JSON, or not an object.
 */
export async function readJsonObject(
  c: Context,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const declared = Number(c.req.header('content-length')); // NaN when chunked
  if (declared > maxBytes && declared > DISCARD_LIMIT_BYTES) throw refusedThenClosed(c);
  const next = bodyChunks(c);
  if (!next) throw invalidBody();
  const bytes = await readAtMost(next, declared > maxBytes ? 0 : maxBytes);
  if (!bytes) {
    // Over the limit: the rest of the body is dropped so the client can read the answer.
    if (!(await dropRest(next))) throw refusedThenClosed(c);
    throw invalidBody();
  }
  const parsed = parseJson(bytes);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidBody();
  return parsed as Record<string, unknown>;
}

/** The body's next chunk, or null at its end; throws `invalidBody()` when the client went away. */
type NextChunk = () => Promise<Uint8Array | null>;

/**
 * The body, chunk by chunk. Served by @hono/node-server, straight from Node's request
 * (`c.env.incoming`): asking hono for `c.req.raw.body` builds a WHATWG Request and a web
 * stream around it first, about 40 µs of CPU per request (BENCHMARKS.md, gain 12). Elsewhere
 * (`app.request`, or a body something already began to read), the web stream.
 */
function bodyChunks(c: Context): NextChunk | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof IncomingMessage && !incoming.readableDidRead) {
    // Pulled by hand, never ended early: ending an async iterator destroys the request. A read
    // that fails is the client's doing: it went away in the middle of the body.
    const chunks = incoming[Symbol.asyncIterator]();
    return async () => {
      const { done, value } = await chunks.next().catch(() => {
        throw invalidBody();
      });
      return done ? null : (value as Uint8Array);
    };
  }
  const reader = c.req.raw.body?.getReader();
  if (!reader) return undefined;
  return async () => {
    const { done, value } = await reader.read().catch(() => {
      throw invalidBody();
    });
    return done ? null : value;
  };
}

/** The whole body, or null as soon as it passes `maxBytes`. */
async function readAtMost(next: NextChunk, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await next(); chunk; chunk = await next()) {
    size += chunk.byteLength;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return concat(chunks, size);
}

/** Reads to the end of the body, keeping nothing; false when it is too long for that. */
async function dropRest(next: NextChunk): Promise<boolean> {
  for (let dropped = 0; dropped <= DISCARD_LIMIT_BYTES; ) {
    const chunk = await next();
    if (!chunk) return true;
    dropped += chunk.byteLength;
  }
  return false;
}

/**
 * Has Node close the connection once the answer is flushed, the rest of the body unread,
 * rather than keep a connection nobody reads any more. (Cancelling the body stream does not
 * do it: @hono/node-server's request body ignores a cancel.) HTTP/1.1, as served here.
 */
function refusedThenClosed(c: Context): Error {
  c.header('Connection', 'close');
  return invalidBody();
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw invalidBody();
  }
}
