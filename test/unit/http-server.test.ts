import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { listen } from '../../src/infrastructure/http-server.ts';

const app = new Hono()
  .get('/slow', async (c) => {
    await sleep(300);
    return c.text('done');
  })
  .get('/fast', (c) => c.text('ok'));

describe('listen', () => {
  it('finishes the in-flight request on close and refuses new connections', async () => {
    const server = await listen(app, 0, '127.0.0.1');
    const inFlight = fetch(`${server.url}/slow`).then((response) => response.text());
    await sleep(50);
    const closed = server.close();
    expect(await inFlight).toBe('done');
    await closed;
    await expect(fetch(`${server.url}/fast`)).rejects.toThrow();
  });

  it('does not wait for idle keep-alive clients', async () => {
    const server = await listen(app, 0, '127.0.0.1');
    await (await fetch(`${server.url}/fast`)).text();
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
