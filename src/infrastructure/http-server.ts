import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish, then drops idle keep-alive clients. */
  close(deadlineMs?: number): Promise<void>;
}

export function listen(app: Hono, port: number, hostname: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({ url: `http://${host}:${info.port}`, close: (deadlineMs) => close(deadlineMs) });
    });
    server.once('error', reject);

    function close(deadlineMs = 10_000): Promise<void> {
      const http = server as import('node:http').Server;
      return new Promise((done) => {
        // server.close() alone waits for every keep-alive client to leave.
        const sweep = setInterval(() => http.closeIdleConnections(), 50);
        const deadline = setTimeout(() => http.closeAllConnections(), deadlineMs);
        http.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          done();
        });
        http.closeIdleConnections();
      });
    }
  });
}
