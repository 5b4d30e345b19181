import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish, then drops idle keep-alive clients. */
  close(deadlineMs?: number): Promise<void>;
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

export function listen(
  app: { fetch: FetchHandler },
  port: number,
  hostname: string,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
      resolve({ url: urlOf(info), close });
    }) as Server;
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
