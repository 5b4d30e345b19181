import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest();
});
afterAll(() => sut.stop());

const BIND = '/v1/users/weibo/users';
const INVALID_BODY = { code: 10155, error: 'Invalid request body' };

interface Upload {
  status?: number;
  connection?: string;
  body?: string;
  msToAnswer?: number;
  /** The first error the client saw (EPIPE, ECONNRESET...), also after the answer. */
  error?: string;
  /** Whether that error came before the client had read the whole answer. */
  errorBeforeAnswer?: boolean;
}

/**
 * POSTs `size` bytes of 'a' on a raw connection of its own, 64 KiB at a time as the socket
 * takes them (so the client never holds more than a chunk of it), `msBetweenChunks` apart as
 * over a slow network, and reports what it read and any error. A raw socket, as `node:http`
 * hides an error that follows a complete answer, and every error counts here: a reset after
 * the answer is what, over a real network, can make the client lose that answer.
 */
function upload(
  size: number,
  encoding: 'content-length' | 'chunked',
  connection: 'keep-alive' | 'close',
  msBetweenChunks = 0,
): Promise<Upload> {
  const { hostname, port } = new URL(sut.service.url);
  const started = performance.now();
  const result: Upload = {};
  // Half-open, as an HTTP client goes on sending its body when the server stops sending.
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
  socket.write(
    `POST ${BIND} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
      `Connection: ${connection}\r\n` +
      (encoding === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${size}\r\n`) +
      '\r\n',
  );
  let received = Buffer.alloc(0);
  let sent = 0;
  const answered = () => result.body !== undefined;
  const finish = () => {
    if (answered() && sent >= size) socket.end();
  };
  socket.on('data', (data: Buffer) => {
    received = Buffer.concat([received, data]);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0 || answered()) return;
    const head = received.subarray(0, end).toString('latin1');
    const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1]);
    if (received.length - end - 4 < length) return;
    result.status = Number(head.split(' ')[1]);
    result.connection = /^connection: *(.+)$/im.exec(head)?.[1]?.toLowerCase();
    result.body = received.subarray(end + 4, end + 4 + length).toString('utf8');
    result.msToAnswer = performance.now() - started;
    finish();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    result.error ??= error.code ?? error.message;
    result.errorBeforeAnswer ??= !answered();
  });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const write = () => {
    if (socket.destroyed || socket.writableEnded) return;
    if (sent >= size) {
      if (encoding === 'chunked') socket.write('0\r\n\r\n');
      finish();
      return;
    }
    const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
    sent += piece.length;
    const framed =
      encoding === 'chunked'
        ? Buffer.concat([
            Buffer.from(`${piece.length.toString(16)}\r\n`),
            piece,
            Buffer.from('\r\n'),
          ])
        : piece;
    const next = () => (msBetweenChunks ? setTimeout(write, msBetweenChunks) : setImmediate(write));
    if (socket.write(framed)) next();
    else socket.once('drain', next);
  };
  write();
  return new Promise((resolve) => socket.on('close', () => resolve(result)));
}

/** A request on a connection of its own, so it cannot ride on one the server closed. */
function healthOnFreshConnection(): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    request(new URL('/healthz', sut.service.url), { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    })
      .on('error', reject)
      .end();
  });
}

describe('a client that sends a body over 16 KiB', () => {
  describe.each([
    ['content-length', 'keep-alive'],
    ['content-length', 'close'],
    ['chunked', 'keep-alive'],
    ['chunked', 'close'],
  ] as const)('of 1 MB, sent with %s, asking for Connection: %s', (encoding, connection) => {
    it('reads 400 10155, and the service goes on', async () => {
      // At about 1 MB/s, as from a phone: the client is still sending when the body passes
      // the limit, and for a while after.
      const answer = await upload(1024 * 1024, encoding, connection, 60);
      // The rest of a 1 MB body is dropped, not refused: the client sends all of it without
      // an error, reads the answer, and a keep-alive connection stays usable.
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body ?? '')).toEqual(INVALID_BODY);
      expect(answer.connection).toBe(connection);
      expect(await healthOnFreshConnection()).toBe(200);
    });
  });

  it('reads its 400 quickly for a 50 MB chunked body, which the server does not keep', async () => {
    const rssBefore = process.memoryUsage().rss;
    const answer = await upload(50 * 1024 * 1024, 'chunked', 'keep-alive');
    expect(answer.errorBeforeAnswer ?? false, answer.error).toBe(false);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body ?? '')).toEqual(INVALID_BODY);
    expect(answer.msToAnswer).toBeLessThan(5_000);
    // Past a few MB the server stops dropping it and closes the connection after the answer
    // (the client may then see EPIPE while still sending, but only once it has read it).
    expect(answer.connection).toBe('close');
    // This process hosts the server too: had it kept the body, it would have grown by 50 MB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(25 * 1024 * 1024);
    expect(await healthOnFreshConnection()).toBe(200);
  });
});

describe('a body that is not UTF-8', () => {
  it('is refused with 400 10155, and nothing is stored', async () => {
    const uid = freshUid();
    const browser = sut.browser();
    const callback = await browser.callback(
      sut.weibo.issueCode({ uid }),
      await browser.startLogin(),
    );
    expect(callback.body.code).toBe(201);
    const username = `utf8_${freshUid()}`;
    const form = (password: Buffer) =>
      Buffer.concat([
        Buffer.from(
          `{"bind_token":"${callback.body.bind_token}","username":"${username}",` +
            '"phone":"13800138000","email":"someone@example.com","password":"',
        ),
        password,
        Buffer.from('"}'),
      ]);
    const send = (body: Buffer) =>
      fetch(new URL(BIND, sut.service.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });

    const refused = await send(form(Buffer.from([0xff, 0xfe, ...Buffer.from('correct horse')])));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual(INVALID_BODY);
    const { rows } = await sql<{ users: number }>`
      select count(*)::int as users from users where username = ${username}`.execute(
      sut.database.db,
    );
    expect(rows[0]?.users).toBe(0);

    // The bind token and the uid are untouched: the same form, in UTF-8, binds.
    const accepted = await send(form(Buffer.from('correct horse battery')));
    expect(accepted.status).toBe(200);
  });
});

/** Opens a raw connection, writes `atOnce`, then `dribbled` one byte every 2 s. */
function dribble(atOnce: string, dribbled: string) {
  const { hostname, port } = new URL(sut.service.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  const bytes = Buffer.from(dribbled);
  let sent = 0;
  const next = () => {
    if (sent < bytes.length && !socket.destroyed) socket.write(bytes.subarray(sent, ++sent));
  };
  if (atOnce) socket.write(atOnce);
  next();
  const timer = setInterval(next, 2_000);
  socket.on('close', () => clearInterval(timer));
  return socket;
}

/** Milliseconds until the server closes the connection, or null if it has not after `giveUpMs`. */
function msUntilClosed(socket: Socket, giveUpMs: number): Promise<number | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, giveUpMs);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(performance.now() - started);
    });
  });
}

describe.concurrent('a slow or idle client', () => {
  it('sending its request headers one byte every 2 s is dropped well within 65 s', async () => {
    const socket = dribble('', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(64)}`);
    expect(await msUntilClosed(socket, 25_000), 'still connected after 25 s').not.toBeNull();
    expect(await healthOnFreshConnection()).toBe(200);
  }, 40_000);

  it('sending its body one byte every 2 s is dropped within about 30 s', async () => {
    const socket = dribble(
      `POST ${BIND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n',
      `{"username":"${'a'.repeat(980)}"}`,
    );
    expect(await msUntilClosed(socket, 40_000), 'still connected after 40 s').not.toBeNull();
  }, 50_000);

  it('keeping a connection open after its answer is dropped within seconds', async () => {
    const { hostname, port } = new URL(sut.service.url);
    const socket = connect(Number(port), hostname);
    const answered = new Promise((resolve) => socket.once('data', resolve));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(String(await answered)).toMatch(/^HTTP\/1\.1 200/);
    expect(await msUntilClosed(socket, 10_000), 'still connected after 10 s').not.toBeNull();
  }, 20_000);
});
