import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { SandboxUser } from '../../src/adapters/weibo/sandbox/sandbox-page.ts';
import {
  createWeiboSandbox,
  invalidGrant,
  type SandboxClient,
} from '../../src/adapters/weibo/sandbox/weibo-sandbox.ts';

export type FakeWeiboUser = SandboxUser;

/** How the next call to access_token (or, for profile*, to users/show) misbehaves. */
export type WeiboFault =
  | 'http500'
  | 'html400'
  | 'error200'
  | 'slow'
  | 'profileDown'
  | 'profileSlow';

export interface WeiboCall {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
}

type Fault = { kind: WeiboFault; delayMs: number };

/**
 * The sandbox Weibo on a port of its own, with the calls it received recorded and faults
 * injected one call at a time.
 */
export function createFakeWeibo(client: SandboxClient) {
  const sandbox = createWeiboSandbox(client);
  const faults = { token: [] as Fault[], profile: [] as Fault[] };
  const calls: WeiboCall[] = [];
  let server: Server | undefined;

  const app = new Hono();
  app.use(async (c, next) => {
    const form: Record<string, string> = {};
    if (c.req.method === 'POST') {
      for (const [name, value] of Object.entries(await c.req.parseBody())) {
        if (typeof value === 'string') form[name] = value;
      }
    }
    calls.push({ method: c.req.method, path: c.req.path, query: c.req.query(), form });
    await next();
  });
  app.use(
    '/oauth2/access_token',
    async (c, next) => (await applyFault(c, faults.token.shift())) ?? next(),
  );
  app.use(
    '/2/users/show.json',
    async (c, next) => (await applyFault(c, faults.profile.shift())) ?? next(),
  );
  app.route('/', sandbox.app);

  return {
    app,
    calls,
    issueCode: sandbox.issueCode,
    /**
     * Makes the next call of the fault's endpoint misbehave; later calls answer well again. A slow
     * call still answers (and uses up its code) after delayMs.
     */
    failNext(kind: WeiboFault, options: { delayMs?: number } = {}) {
      const fault = { kind, delayMs: options.delayMs ?? 1000 };
      (kind.startsWith('profile') ? faults.profile : faults.token).push(fault);
    },
    /** Forgets recorded calls and pending faults; issued codes and tokens stay valid. */
    reset() {
      calls.length = 0;
      faults.token.length = 0;
      faults.profile.length = 0;
    },
    /** Listens on 127.0.0.1 (any free port by default) and resolves its base URL. */
    start(port = 0): Promise<string> {
      return new Promise((resolve, reject) => {
        const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) =>
          resolve(`http://127.0.0.1:${info.port}`),
        ) as Server;
        started.once('error', reject);
        server = started;
      });
    },
    stop(): Promise<void> {
      const running = server;
      server = undefined;
      if (running === undefined) return Promise.resolve();
      return new Promise((resolve, reject) => {
        running.close((error) => (error ? reject(error) : resolve()));
        // Slow answers and keep-alive sockets would otherwise hold close() open.
        running.closeAllConnections();
      });
    },
  };
}

export type FakeWeibo = ReturnType<typeof createFakeWeibo>;

/** Answers in place of the endpoint, or returns undefined to let it answer (after a delay). */
async function applyFault(c: Context, fault: Fault | undefined): Promise<Response | undefined> {
  switch (fault?.kind) {
    case undefined:
      return undefined;
    case 'http500':
    case 'profileDown':
      return c.html('<html><body><h1>500 Internal Server Error</h1></body></html>', 500);
    case 'html400':
      return c.html('<html><body><h1>400 Bad Request</h1></body></html>', 400);
    case 'error200':
      return invalidGrant(c, 200, String((await c.req.parseBody()).code ?? ''));
    case 'slow':
    case 'profileSlow':
      await sleep(fault.delayMs);
      return undefined;
  }
}
