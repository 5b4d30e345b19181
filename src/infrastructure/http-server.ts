import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server';

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish, then drops idle keep-alive clients. */
  close(deadlineMs?: number): Promise<void>;
}

/** `env` carries the node request and its socket, which Hono's `getConnInfo` reads. */
type FetchHandler = (
  request: Request,
  env: HttpBindings | Http2Bindings,
) => Response | Promise<Response>;

/**
 * How long a client may take, so a slow or idle one cannot hold a connection for minutes.
 * Node checks the first two only every `connectionsCheckingInterval` (30 s by default).
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export function listen(
  app: { fetch: FetchHandler },
  port: number,
  hostname: string,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        port,
        hostname,
        serverOptions: {
          headersTimeout: HEADERS_TIMEOUT_MS,
          requestTimeout: REQUEST_TIMEOUT_MS,
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
          connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
        },
      },
      (info: AddressInfo) => {
        resolve({ url: urlOf(info), close });
      },
    ) as Server;
    server.once('error', reject);

    function close(deadlineMs = 10_000): Promise<void> {
      return new Promise((done) => {
        // server.close() alone waits for every keep-alive client to leave.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          done();
        });
        server.closeIdleConnections();
      });
    }
  });
}

/** A URL a browser on this machine can open, also when listening on every interface. */
function urlOf(info: AddressInfo): string {
  if (info.address === '0.0.0.0' || info.address === '::') return `http://localhost:${info.port}`;
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return `http://${host}:${info.port}`;
}
