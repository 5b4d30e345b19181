import net from 'node:net';

const DEFAULT_PORTS: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
  'rediss:': 6379,
};

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

/**
 * A TCP pass-through on 127.0.0.1 whose link can be cut and restored (to take a server away
 * from a client) or paused and resumed (to make the server slow without closing anything).
 *
 * `target` is a URL (`postgres://…/db?options=…`, `redis://…`) or a host and port. `url` is
 * the target URL with its host and port swapped for the proxy's, user, path and query kept;
 * `urlFor` does the same for any URL.
 */
export async function startTcpProxy(target: string | { host: string; port: number }) {
  const upstream = typeof target === 'string' ? hostAndPort(target) : target;
  const sockets = new Set<net.Socket>();
  /** Bytes (or an end, as null) held while paused, in arrival order. */
  let held: Array<[net.Socket, Buffer | null]> | null = null;
  let server = await listen(0);
  const port = (server.address() as net.AddressInfo).port;

  function forward(from: net.Socket, to: net.Socket) {
    from.on('data', (chunk: Buffer) => {
      if (held) return void held.push([to, chunk]);
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => (held ? held.push([to, null]) : to.end()));
    // A reset on one side resets the other; a clean end was passed on above.
    from.on('close', (hadError) => hadError && to.destroy());
  }

  function listen(onPort: number): Promise<net.Server> {
    const next = net.createServer((client) => {
      const remote = net.connect(upstream);
      for (const socket of [client, remote]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      forward(client, remote);
      forward(remote, client);
    });
    return new Promise((resolve) => next.listen(onPort, '127.0.0.1', () => resolve(next)));
  }

  function urlFor(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    return through.toString();
  }

  /** Drops every connection, and with them whatever a pause held. */
  function dropAll() {
    held = null;
    for (const socket of sockets) socket.destroy();
  }

  return {
    host: '127.0.0.1',
    port,
    /**
     * The target URL through the proxy. Given a host and port only, a `redis://` URL (what the
     * first callers wanted); pass the target as a URL for any other protocol.
     */
    url: urlFor(typeof target === 'string' ? target : `redis://${upstream.host}:${upstream.port}`),
    urlFor,
    /** Drops every connection (ending a pause) and refuses new ones. */
    async cut() {
      dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
    async restore() {
      server = await listen(port);
    },
    /** Holds every byte, both ways, on open and new connections; nothing is closed. */
    pause() {
      held ??= [];
    },
    /** Delivers what was held, in order, and passes bytes through again. */
    resume() {
      const delivering = held ?? [];
      held = null;
      for (const [to, chunk] of delivering) {
        if (to.destroyed) continue;
        if (chunk === null) to.end();
        else to.write(chunk);
      }
    },
    async stop() {
      dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const port = Number(parsed.port) || DEFAULT_PORTS[parsed.protocol];
  if (!port) throw new Error(`no port in ${url} and none known for ${parsed.protocol}`);
  return { host: parsed.hostname || '127.0.0.1', port };
}
