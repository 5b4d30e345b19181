import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WeiboFault, WeiboFaultOptions } from '../support/fake-weibo.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

let sut: ServiceUnderTest;
beforeAll(async () => {
  // Patient enough that only the 1 MiB limit, not the timeout, can stop a huge answer quickly.
  sut = await startServiceUnderTest({ WEIBO_TIMEOUT_MS: '15000' });
});
afterAll(() => sut.stop());
beforeEach(() => sut.weibo.reset());

describe('the callback when Weibo answers the code exchange with something absurd', () => {
  it.each([
    ['an astronomically large expires_in', 'absurdExpiry', { expiresIn: 9007199254740991 }],
    ['a negative expires_in', 'absurdExpiry', { expiresIn: -1 }],
    ['no expires_in', 'absurdExpiry', { expiresIn: undefined }],
    ['a 200 MB body', 'bigBody', {}],
    ['a 200 MB body announced in its Content-Length', 'bigBody', { announced: true }],
  ] as Array<[string, WeiboFault, WeiboFaultOptions]>)(
    'answers 502 10142 for %s',
    { timeout: 30_000 },
    async (_case, fault, options) => {
      const browser = sut.browser();
      const code = sut.weibo.issueCode({ uid: freshUid() });
      const state = await browser.startLogin();
      sut.weibo.failNext(fault, options);
      const started = performance.now();
      const answer = await browser.callback(code, state);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 502,
        body: { code: 10142, error: 'Cant reach weibo server' },
      });
      expect(performance.now() - started).toBeLessThan(2000);
    },
  );

  it('still signs in with an expires_in sent as a string of digits', async () => {
    const browser = sut.browser();
    const code = sut.weibo.issueCode({ uid: freshUid() });
    sut.weibo.failNext('absurdExpiry', { expiresIn: '157679999' });
    const answer = await browser.callback(code, await browser.startLogin());
    expect(answer).toMatchObject({ status: 200, body: { code: 201 } });
  });
});

describe('the callback when Weibo answers users/show with 200 MB', () => {
  it('answers at once without a profile', { timeout: 30_000 }, async () => {
    const browser = sut.browser();
    const code = sut.weibo.issueCode({ uid: freshUid(), screenName: 'ming' });
    const state = await browser.startLogin();
    sut.weibo.failNext('profileBigBody');
    const started = performance.now();
    const answer = await browser.callback(code, state);
    expect(answer).toMatchObject({ status: 200, body: { code: 201 } });
    expect(answer.body).not.toHaveProperty('profile');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
