/**
 * The CPU of one call to Weibo, client and a bare node server together, in one process, one
 * call at a time: each way the Weibo client could send it, with its answer read the way the
 * client reads it (bounded). `node --import tsx bench/outgoing-call.ts`
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { ofetch } from 'ofetch';
import { Agent, request } from 'undici';
import { MAX_WEIBO_BODY_BYTES, readBoundedText } from '../src/adapters/weibo/bounded-body.ts';

const CALLS = 5_000;
const ANSWER = JSON.stringify({
  access_token: '2.00abc',
  expires_in: 157679999,
  uid: '1404376560',
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' });
    res.end(ANSWER);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/access_token`;
const form = () => new URLSearchParams({ client_id: 'id', client_secret: 'secret', code: 'c' });
const options = {
  method: 'POST' as const,
  headers: { accept: 'application/json' },
  responseType: 'stream' as const,
  ignoreResponseError: true,
  retry: 0 as const,
  redirect: 'error' as const,
};

const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

/** A fetch for ofetch on undici.request: no WHATWG fetch machinery between them. */
async function leanFetch(input: string | URL | Request, init: RequestInit = {}) {
  const answer = await request(String(input), {
    method: (init.method ?? 'GET') as 'GET',
    headers: {
      ...(init.headers as Record<string, string>),
      ...(init.body instanceof URLSearchParams && {
        'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      }),
    },
    body:
      init.body instanceof URLSearchParams
        ? init.body.toString()
        : (init.body as string | undefined),
    signal: init.signal ?? undefined,
    dispatcher,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Response(Readable.toWeb(answer.body) as ReadableStream, {
    status: answer.statusCode,
    headers,
  });
}

const ways: Record<string, () => Promise<string>> = {
  'ofetch on global fetch (today)': async () => {
    const response = await ofetch.raw(url, {
      ...options,
      body: form(),
      signal: AbortSignal.timeout(5000),
    });
    return readBoundedText(response, MAX_WEIBO_BODY_BYTES);
  },
  'ofetch on undici fetch, keep-alive Agent': (() => {
    const client = ofetch.create(
      {},
      {
        fetch: (async (i: string, o: RequestInit) =>
          (await import('undici')).fetch(i, {
            ...o,
            dispatcher,
          } as never)) as unknown as typeof fetch,
      },
    );
    return async () => {
      const response = await client.raw(url, {
        ...options,
        body: form(),
        signal: AbortSignal.timeout(5000),
      });
      return readBoundedText(response, MAX_WEIBO_BODY_BYTES);
    };
  })(),
  'ofetch on a fetch built on undici.request': (() => {
    const client = ofetch.create({}, { fetch: leanFetch as unknown as typeof fetch });
    return async () => {
      const response = await client.raw(url, {
        ...options,
        body: form(),
        signal: AbortSignal.timeout(5000),
      });
      return readBoundedText(response, MAX_WEIBO_BODY_BYTES);
    };
  })(),
};

for (const [name, call] of Object.entries(ways)) {
  for (let i = 0; i < 500; i += 1) await call();
  const start = process.cpuUsage();
  const began = performance.now();
  for (let i = 0; i < CALLS; i += 1) {
    const text = await call();
    if (text !== ANSWER) throw new Error(`${name}: answered ${text}`);
  }
  const cpu = process.cpuUsage(start);
  const micros = (cpu.user + cpu.system) / CALLS;
  const wall = (performance.now() - began) / CALLS;
  console.log(
    `${name.padEnd(44)} ${micros.toFixed(0).padStart(5)} µs CPU per call, ${(wall * 1000).toFixed(0)} µs wall`,
  );
}
server.close();
await dispatcher.close();
