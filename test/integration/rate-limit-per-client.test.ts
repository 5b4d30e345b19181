import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

const AUTHORIZE = '/v1/users/weibo/authorization';

/** A GET from a given loopback source address, as a different machine would send it. */
function getFrom(
  baseUrl: string,
  localAddress: string,
  headers: Record<string, string> = {},
  path = AUTHORIZE,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}${path}`, { localAddress, headers, agent: false });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}

async function statuses(count: number, send: () => Promise<number>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) seen.push(await send());
  return seen;
}

// In-process counters (no REDIS_URL): a rerun within the minute starts from zero.
describe('rate limit per client on a real server', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest({ RATE_LIMIT_PER_MINUTE: '3', REDIS_URL: undefined });
  });
  afterAll(() => sut.stop());

  it('counts 127.0.0.1 and 127.0.0.2 apart: one client over its limit locks out no other', async () => {
    const url = sut.service.url;
    expect(await statuses(4, () => getFrom(url, '127.0.0.1'))).toEqual([200, 200, 200, 429]);
    expect(await statuses(3, () => getFrom(url, '127.0.0.2'))).toEqual([200, 200, 200]);
    expect(await getFrom(url, '127.0.0.2')).toBe(429);
  });

  it.each([
    ['a bad query', '127.0.0.6', '?display=tv'],
    ['a bad return_to', '127.0.0.8', `?return_to=${encodeURIComponent('//evil.example')}`],
  ])(
    'counts a login start refused for %s too, and answers it 429 once over',
    async (_, from, query) => {
      const url = sut.service.url;
      const refused = () => getFrom(url, from, {}, `${AUTHORIZE}${query}`);
      expect(await refused()).toBe(400);
      expect(await statuses(2, () => getFrom(url, from))).toEqual([200, 200]);
      expect(await refused()).toBe(429);
      expect(await getFrom(url, from)).toBe(429);
    },
  );

  it('counts the login start with the other API requests of the client', async () => {
    const url = sut.service.url;
    const me = () => getFrom(url, '127.0.0.7', {}, '/v1/users/me');
    expect(await statuses(2, me)).toEqual([401, 401]);
    expect(await getFrom(url, '127.0.0.7')).toBe(200);
    expect(await getFrom(url, '127.0.0.7')).toBe(429);
    expect(await me()).toBe(429);
  });
});

describe('rate limit per client behind a trusted proxy', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await startServiceUnderTest({
      RATE_LIMIT_PER_MINUTE: '2',
      TRUST_PROXY: 'true',
      REDIS_URL: undefined,
    });
  });
  afterAll(() => sut.stop());

  it('counts by the last X-Forwarded-For hop, whatever the client put before it', async () => {
    const url = sut.service.url;
    const via = (hops: string) => () => getFrom(url, '127.0.0.3', { 'x-forwarded-for': hops });
    expect(await statuses(3, via('1.1.1.1, 203.0.113.7'))).toEqual([200, 200, 429]);
    expect(await via('9.9.9.9, 203.0.113.7')()).toBe(429);
    expect(await via('203.0.113.7, 203.0.113.8')()).toBe(200);
  });

  it('counts a request without X-Forwarded-For by its socket address', async () => {
    const url = sut.service.url;
    expect(await statuses(3, () => getFrom(url, '127.0.0.4'))).toEqual([200, 200, 429]);
    expect(await getFrom(url, '127.0.0.5')).toBe(200);
  });
});
