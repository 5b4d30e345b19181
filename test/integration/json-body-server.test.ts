/**
 * readJsonObject on a real listening server, where it reads Node's request itself
 * (`c.env.incoming`) instead of the web stream `app.request` gives it (test/unit/json-body.test.ts):
 * the same answers, bodies sent in pieces, with and without a Content-Length.
 */
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let server: Server;
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      port = info.port;
      resolve();
    }) as Server;
  });
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

interface Answer {
  status: number;
  body: unknown;
  connection: string | undefined;
}

/** POSTs `pieces` one write each, 5 ms apart; chunked unless `length` is given. */
function post(pieces: Buffer[], length?: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (length !== undefined) headers['content-length'] = String(length);
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          connection: res.headers.connection,
        }),
      );
    });
    req.on('error', reject);
    const send = async () => {
      for (const piece of pieces) {
        req.write(piece);
        await new Promise((wait) => setTimeout(wait, 5));
      }
      req.end();
    };
    void send();
  });
}

const pieces = (text: string, size: number) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, index) =>
    Buffer.from(text.slice(index * size, (index + 1) * size)),
  );

describe('readJsonObject on a listening server', () => {
  it('reads a JSON object sent in pieces, chunked and with its Content-Length', async () => {
    const text = '{"username":"alice","n":[1],"name":"微博"}';
    const expected = { status: 200, body: { read: { username: 'alice', n: [1], name: '微博' } } };
    expect(await post(pieces(text, 7))).toMatchObject(expected);
    expect(await post(pieces(text, 7), Buffer.byteLength(text))).toMatchObject(expected);
  });

  it('reads exactly the limit in pieces, and refuses one byte more', async () => {
    const body = (size: number) => `{"p":"${'x'.repeat(size - 8)}"}`;
    expect((await post(pieces(body(LIMIT), 10))).status).toBe(200);
    expect(await post(pieces(body(LIMIT + 1), 10))).toMatchObject({
      status: 400,
      body: INVALID_BODY,
    });
  });

  it('refuses bytes that are not UTF-8, a JSON array and a body that is not JSON', async () => {
    const invalidUtf8 = Buffer.concat([
      Buffer.from('{"u":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    for (const body of [invalidUtf8, Buffer.from('[1]'), Buffer.from('{"u":')]) {
      expect(await post([body])).toMatchObject({ status: 400, body: INVALID_BODY });
    }
  });

  it('drops a leading byte order mark', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    expect(await post([body])).toMatchObject({ status: 200, body: { read: { a: 1 } } });
  });

  it('refuses a chunked body past the limit, reading the rest so the answer arrives on a kept connection', async () => {
    const answer = await post(Array.from({ length: 20 }, () => Buffer.alloc(1024, 0x20)));
    expect(answer).toMatchObject({ status: 400, body: INVALID_BODY });
    expect(answer.connection).not.toBe('close');
  });

  it('answers a body declared far too large at once and closes the connection', async () => {
    const answer = await post([Buffer.from('{"a":')], 64 * 1024 * 1024);
    expect(answer).toMatchObject({ status: 400, body: INVALID_BODY, connection: 'close' });
  });
});
