import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/outbox.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const BIND = '/v1/users/weibo/users';

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
    const forms = [];
    for (let i = 0; i < 3; i += 1) {
      const browser = sut.browser();
      const answer = await browser.callback(
        sut.weibo.issueCode({ uid: freshUid() }),
        await browser.startLogin(),
      );
      expect(answer.body.code).toBe(201);
      forms.push({ browser, bindToken: answer.body.bind_token as string });
    }
    expect(await ready()).toBe(200);
    await eventually(async () => (await metric('weibo_auth_outbox_backlog')) === 0);

    await proxy.cut();
    expect(await ready()).toBe(503);
    // Binds need only Postgres: they commit, and their events wait in the outbox.
    for (const { browser, bindToken } of forms) {
      const bound = await browser.post(BIND, {
        bind_token: bindToken,
        username: `outage_${freshUid()}`,
        password: 'correct horse battery',
        phone: '+8613800138000',
        email: 'outage@example.com',
      });
      expect(bound.body.code).toBe(200);
    }
    await eventually(async () => (await metric('weibo_auth_outbox_backlog')) === 3, 5_000);
    expect(await metric('weibo_auth_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);

    await proxy.restore();
    await eventually(async () => (await ready()) === 200, 10_000);
    await eventually(async () => (await metric('weibo_auth_outbox_backlog')) === 0, 40_000);
    expect(await metric('weibo_auth_outbox_events_published_total')).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
