import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { send, signUp } from '../support/accounts.ts';
import { eventually } from '../support/outbox.ts';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

let proxy: TcpProxy;
let sut: ServiceUnderTest;
beforeAll(async () => {
  // Every Redis connection of the service (state, limits, BullMQ) goes through this link.
  proxy = await startTcpProxy(inject('redisUrl'));
  sut = await startServiceUnderTest({ REDIS_URL: proxy.url });
});
afterAll(async () => {
  await sut.stop();
  await proxy.stop();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${sut.service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

async function ready(): Promise<number> {
  return (await fetch(`${sut.service.url}/readyz`)).status;
}

describe('Redis going away and coming back', () => {
  it('turns /readyz 503, lets the backlog rise, then drains it to 0 without a restart', async () => {
    const accounts = [];
    for (let i = 0; i < 3; i += 1) accounts.push(await signUp(sut));
    expect(await ready()).toBe(200);
    await eventually(async () => (await metric('weibo_auth_outbox_backlog')) === 0);

    await proxy.cut();
    expect(await ready()).toBe(503);
    // Unbinds need only Postgres: they commit, and their events wait in the outbox.
    for (const { browser, token } of accounts) {
      const unbound = await send(browser, 'DELETE', '/v1/users/weibo/binding', token);
      expect(unbound.body.code).toBe(200);
    }
    await eventually(async () => (await metric('weibo_auth_outbox_backlog')) === 3, 5_000);
    expect(await metric('weibo_auth_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);

    await proxy.restore();
    await eventually(async () => (await ready()) === 200, 10_000);
    await eventually(async () => (await metric('weibo_auth_outbox_backlog')) === 0, 40_000);
    expect(await metric('weibo_auth_outbox_events_published_total')).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
