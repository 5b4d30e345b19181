import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../src/adapters/http/error-mapping.ts';
import { readJsonObject } from '../../src/adapters/http/json-body.ts';

const LIMIT = 64;
const INVALID_BODY = { code: 10155, error: 'Invalid request body' };

const app = new Hono()
  .post('/', async (c) => c.json({ read: await readJsonObject(c, LIMIT) }))
  .onError((error, c) => {
    const answer = errorResponse(error);
    return answer.unexpected ? c.text(String(error), 500) : c.json(answer.body, answer.status);
  });

function post(body: RequestInit['body'], headers: Record<string, string> = {}) {
  return app.request('/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

async function answer(response: Response) {
  return { status: response.status, body: await response.json() };
}

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((part) => Buffer.from(part as string)));

/** A body streamed in `chunk`-sized pieces, `count` of them, or forever; it counts its reads. */
function streamed(chunk: Uint8Array, count = Number.POSITIVE_INFINITY) {
  const seen = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulls += 1;
        if (seen.pulls > count) controller.close();
        else controller.enqueue(chunk);
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

describe('readJsonObject', () => {
  it('reads a JSON object', async () => {
    expect(await answer(await post('{"username":"alice","n":[1]}'))).toEqual({
      status: 200,
      body: { read: { username: 'alice', n: [1] } },
    });
  });

  it('reads a body of exactly the limit, and refuses one byte more', async () => {
    const body = (size: number) => `{"p":"${'x'.repeat(size - 8)}"}`;
    expect(body(LIMIT)).toHaveLength(LIMIT);
    expect((await post(body(LIMIT))).status).toBe(200);
    expect(await answer(await post(body(LIMIT + 1)))).toEqual({ status: 400, body: INVALID_BODY });
  });

  it.each([
    ['not JSON', '{"username":'],
    ['empty', ''],
    ['a JSON array', '[{"username":"alice"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"alice"'],
    ['a JSON number', '42'],
  ])('refuses a body that is %s with 400 10155', async (_, body) => {
    expect(await answer(await post(body))).toEqual({ status: 400, body: INVALID_BODY });
  });

  it('refuses a request without a body', async () => {
    expect(await answer(await post(null))).toEqual({ status: 400, body: INVALID_BODY });
  });

  it.each([
    ['0xff 0xfe', [0xff, 0xfe]],
    ['a lone continuation byte', [0x80]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe4, 0xbd]],
  ])(
    'refuses a body that is not UTF-8 (%s) instead of replacing it with U+FFFD',
    async (_, raw) => {
      const body = bytes('{"password":"', raw, 'correct horse"}');
      expect(await answer(await post(body))).toEqual({ status: 400, body: INVALID_BODY });
    },
  );

  it('reads UTF-8 beyond ASCII as sent', async () => {
    const response = await post(bytes('{"password":"密码 🐴 correct"}'));
    expect(await answer(response)).toEqual({
      status: 200,
      body: { read: { password: '密码 🐴 correct' } },
    });
  });

  it('drops a leading UTF-8 byte order mark', async () => {
    const response = await post(bytes([0xef, 0xbb, 0xbf], '{"username":"alice"}'));
    expect(await answer(response)).toEqual({ status: 200, body: { read: { username: 'alice' } } });
  });

  it('refuses a body whose Content-Length is too large without reading it', async () => {
    const { stream, seen } = streamed(new Uint8Array(1024));
    const response = await post(stream, { 'content-length': String(10 * 1024 * 1024) });
    expect(await answer(response)).toEqual({ status: 400, body: INVALID_BODY });
    expect(seen.pulls).toBe(0);
    expect(response.headers.get('connection')).toBe('close');
  });

  it('refuses a body whose Content-Length is over the limit, dropping it so the client can read the answer', async () => {
    const { stream, seen } = streamed(new Uint8Array(100), 20);
    const response = await post(stream, { 'content-length': '2000' });
    expect(await answer(response)).toEqual({ status: 400, body: INVALID_BODY });
    expect(seen.pulls).toBe(21);
    expect(response.headers.get('connection')).toBeNull();
  });

  it('refuses a streamed body past the limit, dropping the rest of it so the client can read the answer', async () => {
    const { stream, seen } = streamed(new Uint8Array(16), 1000);
    const response = await post(stream);
    expect(await answer(response)).toEqual({ status: 400, body: INVALID_BODY });
    expect(seen.pulls).toBe(1001);
    expect(response.headers.get('connection')).toBeNull();
  });

  it('stops reading a streamed body that does not end, answers, and asks to close the connection', async () => {
    const { stream, seen } = streamed(new Uint8Array(64 * 1024));
    const response = await post(stream);
    expect(await answer(response)).toEqual({ status: 400, body: INVALID_BODY });
    // It read at most a few MB of it, and kept none.
    expect(seen.pulls * 64 * 1024).toBeLessThan(8 * 1024 * 1024);
    expect(response.headers.get('connection')).toBe('close');
  });
});
