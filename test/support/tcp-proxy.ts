import net from 'node:net';

/** A TCP pass-through whose link can be cut and restored, to take a server away from a client. */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server = await listen(0);
  const port = (server.address() as net.AddressInfo).port;

  function listen(onPort: number): Promise<net.Server> {
    const next = net.createServer((client) => {
      const upstream = net.connect(target);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => next.listen(onPort, '127.0.0.1', () => resolve(next)));
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    /** Drops every connection and refuses new ones. */
    async cut() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
    async restore() {
      server = await listen(port);
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
