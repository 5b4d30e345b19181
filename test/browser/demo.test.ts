import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserHarness, startBrowserHarness } from '../support/browser-harness.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

// The sandbox Weibo's preset users: each follows the two others.
const XIAOMING = '1000000001';
const ALICE = '1000000002';
const TESTER = '1000000003';
const PASSWORD = 'correct horse battery';

let harness: BrowserHarness;
let service: BrowserHarness['service'];
let browser: BrowserHarness['browser'];

beforeAll(async () => {
  harness = await startBrowserHarness('demo');
  ({ service, browser } = harness);
});

afterAll(() => harness?.close());

/** Runs one step of a story; when it fails, a screenshot of each page is kept. */
async function step(pages: Page | Page[], name: string, action: () => Promise<void>) {
  try {
    await action();
  } catch (error) {
    await mkdir(ARTIFACTS, { recursive: true });
    const all = [pages].flat();
    for (const [index, page] of all.entries()) {
      const file = all.length === 1 ? `demo-${name}.png` : `demo-${name}-${index + 1}.png`;
      if (!page.isClosed()) {
        await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true }).catch(() => {});
      }
    }
    throw error;
  }
}

/**
 * A page's console errors and uncaught exceptions (`errors`), and beside them the requests
 * that fail on purpose (`onPurpose`), as Chromium logs them: the two lists must be equal.
 */
function watchConsole(page: Page) {
  const errors: string[] = [];
  const onPurpose: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} at ${message.location().url}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  const failOnPurpose = (status: number, url: string) =>
    onPurpose.push(
      `Failed to load resource: the server responded with a status of ${status} (Unauthorized) at ${service.url}${url}`,
    );
  return { errors, onPurpose, failOnPurpose };
}

/** Clicks `button` (a "sign in with Weibo" of the demo) and approves as `uid` on the sandbox. */
async function approveOnSandboxWeibo(page: Page, uid: string, button = '#signin') {
  await page.click(button);
  await page.waitForURL(/\/sandbox\/weibo\/oauth2\/authorize/);
  await page.check(`input[value="${uid}"]`);
  await page.click('button[value="approve"]');
  await page.waitForURL(/\/callback\.html/);
}

async function createAccount(page: Page, email: string) {
  await page.fill('#password', PASSWORD);
  await page.fill('#phone', '138 0013 8000');
  await page.fill('#email', email);
  await page.click('#bind-submit');
  await page.locator('#signed-in').waitFor({ state: 'visible' });
}

/** How long `expect.poll` waits: longer than its one second, for a slow machine. */
const eventually = { timeout: 10_000 };
const visible = (page: Page, selector: string, hasText?: string | RegExp) =>
  page.locator(selector, hasText === undefined ? {} : { hasText }).waitFor({ state: 'visible' });
const text = async (page: Page, selector: string) => (await page.textContent(selector))?.trim();
const friendUids = (page: Page) =>
  page.locator('#friends li').evaluateAll((items) => items.map((li) => li.dataset.uid));
/**
 * What the demo keeps in IndexedDB (`{refresh_token, username}`), or null; creates nothing.
 * Run in the page, so written as a script: the project's TypeScript has no DOM types.
 */
const READ_STORED_RECORD = `(async () => {
  const databases = await indexedDB.databases();
  if (!databases.some((database) => database.name === 'weibo-auth-demo')) return null;
  const db = await new Promise((resolve, reject) => {
    const opening = indexedDB.open('weibo-auth-demo');
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  try {
    if (!db.objectStoreNames.contains('session')) return null;
    return await new Promise((resolve, reject) => {
      const reading = db.transaction('session').objectStore('session').get('current');
      reading.onsuccess = () => resolve(reading.result ?? null);
      reading.onerror = () => reject(reading.error);
    });
  } finally {
    db.close();
  }
})()`;
const storedRecord = (page: Page) =>
  page.evaluate(READ_STORED_RECORD) as Promise<{ refresh_token: string; username: string } | null>;
/** The refresh token the demo keeps, or null. */
const storedRefreshToken = async (page: Page) => (await storedRecord(page))?.refresh_token ?? null;
/** Everything the demo keeps in the browser's storage, as one string. */
const storageText = async (page: Page) =>
  JSON.stringify([
    await page.evaluate(() => [{ ...localStorage }, { ...sessionStorage }]),
    await storedRecord(page),
  ]);
const sessionItems = (page: Page) => page.locator('#sessions li');
/** The login token's claims as #claims lists them, a row each: name, value as shown. */
const shownClaims = async (page: Page) =>
  Object.fromEntries(
    await page
      .locator('#claims [data-claim]')
      .evaluateAll((rows) =>
        rows.map((row) => [row.dataset.claim, row.querySelector('dd code')?.textContent]),
      ),
  ) as Record<string, string>;
/** The actions #activity lists, newest first. */
const activityActions = (page: Page) =>
  page.locator('#activity li').evaluateAll((items) => items.map((li) => li.dataset.action));
const isRefresh = (response: Response) => new URL(response.url()).pathname === '/v1/tokens/refresh';

/** A refresh (or a password sign-in) made by the test itself, outside any browser. */
async function post(pathname: string, body: object, userAgent = 'weibo-auth browser test') {
  const response = await fetch(`${service.url}/v1${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { code: number; refresh_token?: string; error?: string };
}

it('signs up with Weibo, lists friends, unlinks, signs in by password, links again and deletes the account', async () => {
  const page = await browser.newPage({ locale: 'en-US' });
  const pageConsole = watchConsole(page);
  const { failOnPurpose } = pageConsole;
  // The demo keeps its login token in memory only: the test sees it in the requests it sends.
  let loginToken = '';
  page.on('request', (request) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers().authorization ?? '')?.[1];
    if (bearer) loginToken = bearer;
  });

  await step(page, '1-friends-sign-up', async () => {
    // Two friends of Xiaoming approve the app and bind first, so his list has two pages of one.
    for (const [uid, name, friends] of [
      [ALICE, 'Alice', []],
      [TESTER, 'Tester', [ALICE]],
    ] as const) {
      await page.goto(service.url);
      await approveOnSandboxWeibo(page, uid);
      await visible(page, '#bind-form');
      expect(await page.inputValue('#username')).toBe(name);
      await createAccount(page, `${name.toLowerCase()}@example.com`);
      expect(await text(page, '#whoami')).toBe(name);
      if (friends.length === 0) await visible(page, '#friends-empty');
      else await visible(page, '#friends li');
      expect(await friendUids(page)).toEqual(friends);
      expect(await page.isDisabled('#next')).toBe(true);
      await page.click('#signout');
      await visible(page, '#signin');
    }
  });

  await step(page, '2-bind-form', async () => {
    await approveOnSandboxWeibo(page, XIAOMING);
    await visible(page, '#bind-form');
    expect(await page.isHidden('#link-form')).toBe(true);
    expect(await page.inputValue('#username')).toBe('Xiaoming');
    expect(await text(page, '#screen-name')).toBe('小明 Xiaoming');
  });

  await step(page, '3-signed-in', async () => {
    await createAccount(page, 'xiaoming@example.com');
    expect(page.url()).toBe(`${service.url}/`);
    expect(await text(page, '#whoami')).toBe('Xiaoming');
    expect(await text(page, '#weibo-status')).toMatch(/^Weibo is bound \(uid 1000000001, since /);
    const claims = await shownClaims(page);
    expect(claims).toMatchObject({ username: 'Xiaoming', iss: 'weibo-auth', aud: 'weibo-auth' });
    // Five a page by default: both friends, no next page.
    await visible(page, '#page-info', 'Page 1, 2 in all');
    expect(await friendUids(page)).toEqual([ALICE, TESTER]);
    expect(await text(page, `#friends li[data-uid="${ALICE}"]`)).toContain('Alice 爱丽丝');
    expect(await text(page, `#friends li[data-uid="${ALICE}"] .badge`)).toBe('verified');
    expect(await page.isDisabled('#prev')).toBe(true);
    expect(await page.isDisabled('#next')).toBe(true);
    // Signed in on this browser only.
    await expect.poll(() => sessionItems(page).count(), eventually).toBe(1);
    expect(await text(page, '#sessions li.current .badge')).toBe('this device');
  });

  await step(page, '4-friends-paging', async () => {
    await page.selectOption('#page-size', '1');
    await page.locator('#friends li:nth-child(2)').waitFor({ state: 'detached' });
    expect(await friendUids(page)).toEqual([ALICE]);
    expect(await page.isDisabled('#prev')).toBe(true);
    expect(await page.isEnabled('#next')).toBe(true);
    await page.click('#next');
    await visible(page, '#page-info', 'Page 2, 2 in all');
    expect(await friendUids(page)).toEqual([TESTER]);
    expect(await page.isDisabled('#next')).toBe(true);
    expect(await page.isEnabled('#prev')).toBe(true);
    await page.click('#prev');
    await visible(page, '#page-info', 'Page 1, 2 in all');
    expect(await friendUids(page)).toEqual([ALICE]);
  });

  await step(page, '5-language', async () => {
    await page.click('#lang');
    await visible(page, '#unbind', '解除微博绑定');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await text(page, '#weibo-status')).toMatch(/^已绑定微博 \(uid 1000000001，/);
    expect(await text(page, '#page-info')).toBe('第 1 页，共 2 位');
    expect(await text(page, '#lang')).toBe('English');
    await page.click('#lang');
    await visible(page, '#unbind', 'Unlink Weibo');
  });

  await step(page, '6-unlinked', async () => {
    await page.click('#unbind');
    await visible(page, '#notice', 'Weibo is unlinked.');
    await visible(page, '#weibo-status', 'Weibo is not bound');
    expect(await page.isHidden('#friends-box')).toBe(true);
    expect(await page.isHidden('#unbind')).toBe(true);
    expect(await page.isVisible('#link-weibo')).toBe(true);
  });

  await step(page, '7-signed-out', async () => {
    await page.click('#signout');
    await visible(page, '#signin');
    await visible(page, '#password-form');
    expect(await storedRefreshToken(page)).toBeNull();
  });

  await step(page, '8-password-sign-in', async () => {
    await page.fill('#login-username', 'xiaoming');
    await page.fill('#login-password', 'not the password');
    failOnPurpose(401, '/v1/tokens');
    await page.click('#login-submit');
    await visible(page, '#error', 'Wrong username or password. (10162 Wrong username or password)');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await visible(page, '#signed-in');
    expect(await page.isHidden('#error')).toBe(true);
    expect(await text(page, '#whoami')).toBe('Xiaoming');
    await visible(page, '#weibo-status', 'Weibo is not bound');
    // The security activity, newest first: this sign-in, then the wrong password before it.
    await expect
      .poll(async () => (await activityActions(page)).slice(0, 2), eventually)
      .toEqual(['signed_in', 'sign_in_failed']);
    const [signIn, failed] = await page.locator('#activity li').all();
    expect(await signIn?.locator('.badge').textContent()).toBe('this session');
    expect(await signIn?.textContent()).toMatch(/^Signed in · password this session.*, IP /);
    expect(await failed?.locator('.badge').count()).toBe(0);
    expect(await failed?.textContent()).toMatch(/^Failed sign-in · password.*, IP /);
    expect(await activityActions(page)).toContain('unbound');
    // Every claim of the login token, its instants also as dates.
    const claimsText = await text(page, '#claims');
    for (const claim of ['sub', 'iat', 'exp']) expect(claimsText).toContain(claim);
    const claims = await shownClaims(page);
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'exp',
      'iat',
      'iss',
      'sid',
      'sub',
      'username',
    ]);
    expect(claims).toMatchObject({ username: 'Xiaoming', iss: 'weibo-auth', aud: 'weibo-auth' });
    expect(Number(claims.exp)).toBeGreaterThan(Number(claims.iat));
    const year = String(new Date(Number(claims.exp) * 1000).getFullYear());
    expect(await text(page, '#claims [data-claim="exp"] small')).toContain(year);
  });

  await step(page, '9-link-existing-account', async () => {
    // Signed in, "Link Weibo" leads to the same bind form, the account's username filled in.
    await approveOnSandboxWeibo(page, XIAOMING, '#link-weibo');
    await visible(page, '#bind-form');
    await page.click('#have-account');
    await visible(page, '#link-form');
    expect(await page.isHidden('#bind-form')).toBe(true);
    expect(await page.inputValue('#link-username')).toBe('Xiaoming');
    await page.fill('#link-password', PASSWORD);
    await page.click('#link-submit');
    await visible(page, '#signed-in');
    expect(page.url()).toBe(`${service.url}/`);
    await visible(page, '#weibo-status', /^Weibo is bound \(uid 1000000001, /);
    await visible(page, '#page-info', 'Page 1, 2 in all');
    expect(await friendUids(page)).toEqual([ALICE, TESTER]);
    // Linking signed in anew; the password sign-in's session it replaced is ended, not listed.
    await expect.poll(() => sessionItems(page).count(), eventually).toBe(1);
  });

  await step(page, '10-weibo-expired', async () => {
    // The sandbox cannot be told to expire a token the service keeps encrypted: this one
    // answer is made up, as the service sends it when Weibo refuses the stored token.
    await page.route(
      /\/v1\/users\/weibo\/friends\?/,
      (route) =>
        route.fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({ code: 10161, error: 'Weibo authorization expired' }),
        }),
      { times: 1 },
    );
    failOnPurpose(401, '/v1/users/weibo/friends?cursor=0&count=2');
    await page.selectOption('#page-size', '2');
    await visible(page, '#error', 'sign in with Weibo again. (10161 Weibo authorization expired)');
    await visible(page, '#weibo-again', 'Sign in with Weibo again');
    const before = await storedRefreshToken(page);
    // A bound Weibo user is signed straight in, which refreshes the stored Weibo token.
    await approveOnSandboxWeibo(page, XIAOMING, '#weibo-again');
    await visible(page, '#signed-in');
    expect(page.url()).toBe(`${service.url}/`);
    await visible(page, '#page-info', 'Page 1, 2 in all');
    expect(await page.isHidden('#error')).toBe(true);
    expect(await page.isHidden('#weibo-again')).toBe(true);
    expect(await storedRefreshToken(page)).not.toBe(before);
    await expect.poll(() => sessionItems(page).count(), eventually).toBe(1);
  });

  await step(page, '11-account-deleted', async () => {
    const token = loginToken;
    const refreshToken = await storedRefreshToken(page);
    await page.click('#delete');
    await visible(page, '#delete-form');
    await page.fill('#delete-password', 'not the password');
    failOnPurpose(401, '/v1/users/me');
    await page.click('#delete-confirm');
    await visible(page, '#error', '(10162 Wrong username or password)');
    expect(await page.isVisible('#signed-in')).toBe(true);
    await page.fill('#delete-password', PASSWORD);
    await page.click('#delete-confirm');
    await visible(page, '#signin');
    await visible(page, '#notice', 'Your account is deleted.');
    expect(await page.isHidden('#error')).toBe(true);
    expect(await storedRefreshToken(page)).toBeNull();
    // The old login and refresh tokens are refused, and the password signs no one in.
    const me = await fetch(`${service.url}/v1/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual({ code: 10160, error: 'Not signed in' });
    expect(await post('/tokens/refresh', { refresh_token: refreshToken })).toEqual({
      code: 10165,
      error: 'Session expired',
    });
    const signIn = await fetch(`${service.url}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Xiaoming', password: PASSWORD }),
    });
    expect(await signIn.json()).toMatchObject({ code: 10162 });
  });

  await step(page, '12-console', async () => {
    expect(pageConsole.errors).toEqual(pageConsole.onPurpose);
  });
});

// The second "device": a phone with its own cookies and storage, in Chinese.
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

it('keeps the user signed in across reloads and tabs, lists the sessions, signs out everywhere', async () => {
  const laptop = await browser.newContext({ locale: 'en-US' });
  const phone = await browser.newContext({ locale: 'zh-CN', userAgent: IPHONE });
  try {
    const page = await laptop.newPage();
    const onPhone = await phone.newPage();
    const pageConsole = watchConsole(page);
    const phoneConsole = watchConsole(onPhone);
    const secondTabConsole: ReturnType<typeof watchConsole>[] = [];
    // Every refresh the laptop makes, in any of its tabs.
    const refreshes: number[] = [];
    laptop.on('response', (response) => {
      if (isRefresh(response)) refreshes.push(response.status());
    });
    let refreshToken: string | null = null;

    await step(page, 's1-weibo-sign-in', async () => {
      await page.goto(service.url);
      await approveOnSandboxWeibo(page, TESTER);
      // Tester's account comes from the first story; run alone, this one creates it.
      await page.locator('#bind-form:visible, #signed-in:visible').waitFor();
      if (await page.isVisible('#bind-form')) await createAccount(page, 'tester@example.com');
      await visible(page, '#signed-in');
      expect(await text(page, '#whoami')).toBe('Tester');
      refreshToken = await storedRefreshToken(page);
      expect(refreshToken).toMatch(/^[\w-]{43,}$/);
      // The login token (a JWT, "eyJ…") is kept in memory, in no storage.
      expect(await storageText(page)).not.toContain('eyJ');
      await expect.poll(() => sessionItems(page).count(), eventually).toBe(1);
      expect(await text(page, '#sessions li.current .badge')).toBe('this device');
      expect(await page.locator('#sessions button.end').count()).toBe(0);
    });

    await step(page, 's2-reload', async () => {
      refreshes.length = 0;
      await page.reload();
      await visible(page, '#signed-in');
      expect(await text(page, '#whoami')).toBe('Tester');
      expect(refreshes).toEqual([200]);
      // Rotation: the stored refresh token is a new one. (The test must not present the old
      // one to see it refused: a used token coming back ends the session.)
      const rotated = await storedRefreshToken(page);
      expect(rotated).toMatch(/^[\w-]{43,}$/);
      expect(rotated).not.toBe(refreshToken);
      refreshToken = rotated;
      await expect.poll(() => sessionItems(page).count(), eventually).toBe(1);
    });

    await step(onPhone, 's3-second-device', async () => {
      await onPhone.goto(service.url);
      await visible(onPhone, '#login-submit', '登录');
      await onPhone.fill('#login-username', 'tester');
      await onPhone.fill('#login-password', PASSWORD);
      await onPhone.click('#login-submit');
      await visible(onPhone, '#signed-in');
      expect(await text(onPhone, '#whoami')).toBe('Tester');
      // Newest first: the phone's own session, then the laptop's.
      await expect.poll(() => sessionItems(onPhone).count(), eventually).toBe(2);
      const [mine, laptops] = await sessionItems(onPhone).all();
      expect(await mine?.evaluate((li) => li.classList.contains('current'))).toBe(true);
      expect(await mine?.textContent()).toMatch(/^Safari · iOS 本设备.*登录，最近使用 /);
      expect(await mine?.locator('button').count()).toBe(0);
      expect(await laptops?.evaluate((li) => li.classList.contains('current'))).toBe(false);
      expect(await laptops?.textContent()).toMatch(/^Chrome · /);
      expect(await laptops?.locator('button.end').textContent()).toBe('让它退出');
      expect(await text(onPhone, '#signout-everywhere')).toBe('在所有设备上退出');
    });

    await step(page, 's4-laptop-lists-two', async () => {
      await page.reload();
      await visible(page, '#signed-in');
      await expect.poll(() => sessionItems(page).count(), eventually).toBe(2);
      expect(await page.locator('#sessions li.current').count()).toBe(1);
      expect(await text(page, '#sessions li.current')).toMatch(/^Chrome · .* this device/);
      const other = page.locator('#sessions li:not(.current)');
      expect(await other.textContent()).toMatch(/^Safari · iOS\s*Signed in .*, last used /);
      expect(await other.locator('button.end').textContent()).toBe('Sign it out');
    });

    await step(page, 's5-end-one-session', async () => {
      // A third sign-in, by a script: the laptop signs it out from its list.
      const script = await post(
        '/tokens',
        { username: 'Tester', password: PASSWORD },
        'weibo-auth test script',
      );
      expect(script.code).toBe(200);
      await page.reload();
      await expect.poll(() => sessionItems(page).count(), eventually).toBe(3);
      const scripts = page.locator('#sessions li', { hasText: 'weibo-auth test script' });
      await scripts.locator('button.end').click();
      await visible(page, '#notice', 'That device is signed out.');
      await expect.poll(() => sessionItems(page).count(), eventually).toBe(2);
      expect(await post('/tokens/refresh', { refresh_token: script.refresh_token })).toEqual({
        code: 10165,
        error: 'Session expired',
      });
    });

    await step(page, 's6-two-tabs', async () => {
      // Two tabs load at once, each refreshing the one stored token: they take turns, so
      // neither presents a used token, which would end the session.
      // Each answer is held back a while after the service has rotated the token, so a tab
      // that did not wait its turn would surely present the used one.
      let inFlight = 0;
      let mostInFlight = 0;
      await laptop.route(/\/v1\/tokens\/refresh$/, async (route) => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          const response = await route.fetch();
          await new Promise((resolve) => setTimeout(resolve, 500));
          await route.fulfill({ response });
        } finally {
          inFlight -= 1;
        }
      });
      const secondTab = await laptop.newPage();
      secondTabConsole.push(watchConsole(secondTab));
      refreshes.length = 0;
      await Promise.all([page.reload(), secondTab.goto(service.url)]);
      await expect.poll(() => refreshes.length, eventually).toBe(2);
      expect(mostInFlight).toBe(1);
      expect(refreshes).toEqual([200, 200]);
      await laptop.unroute(/\/v1\/tokens\/refresh$/);
      await visible(page, '#signed-in');
      await visible(secondTab, '#signed-in');
      await expect.poll(() => sessionItems(secondTab).count(), eventually).toBe(2);
      await secondTab.close();
      // And the session lives on.
      await page.reload();
      await visible(page, '#signed-in');
      expect(await text(page, '#whoami')).toBe('Tester');
    });

    await step(page, 's7-refused-login-token', async () => {
      // The login token lives an hour, too long to wait for: this one refusal is made up, as
      // the service answers an expired token. The demo refreshes and asks again.
      await page.route(
        /\/v1\/users\/me\/sessions$/,
        (route) =>
          route.fulfill({
            status: 401,
            contentType: 'application/json',
            body: JSON.stringify({ code: 10160, error: 'Not signed in' }),
          }),
        { times: 1 },
      );
      pageConsole.failOnPurpose(401, '/v1/users/me/sessions');
      const before = await storedRefreshToken(page);
      refreshes.length = 0;
      await page.reload();
      await visible(page, '#signed-in');
      await expect.poll(() => sessionItems(page).count(), eventually).toBe(2);
      expect(refreshes).toEqual([200, 200]); // on load, then after the refusal
      expect(await page.isHidden('#error')).toBe(true);
      expect(await storedRefreshToken(page)).not.toBe(before);
    });

    await step([onPhone, page], 's8-sign-out-everywhere', async () => {
      await onPhone.click('#signout-everywhere');
      await visible(onPhone, '#signin');
      await visible(onPhone, '#notice', '你已在所有设备上退出登录。');
      expect(await storedRefreshToken(onPhone)).toBeNull();
      // The laptop learns it on its next load: its refresh token is refused and forgotten.
      const refused = page.waitForResponse(isRefresh);
      pageConsole.failOnPurpose(401, '/v1/tokens/refresh');
      await page.reload();
      const answer = await refused;
      expect(answer.status()).toBe(401);
      expect(await answer.json()).toEqual({ code: 10165, error: 'Session expired' });
      await visible(page, '#signin');
      await visible(page, '#notice', 'Your sign-in expired or was ended elsewhere: sign in again.');
      expect(await page.isHidden('#signed-in')).toBe(true);
      expect(await storedRefreshToken(page)).toBeNull();
    });

    await step(page, 's9-sign-out', async () => {
      await page.fill('#login-username', 'Tester');
      await page.fill('#login-password', PASSWORD);
      await page.click('#login-submit');
      await visible(page, '#signed-in');
      const signedIn = await storedRefreshToken(page);
      expect(signedIn).toMatch(/^[\w-]{43,}$/);
      await page.click('#signout');
      await visible(page, '#notice', 'You signed out.');
      await visible(page, '#signin');
      expect(await storedRefreshToken(page)).toBeNull();
      // Revoked at the service too, not only forgotten here.
      expect(await post('/tokens/refresh', { refresh_token: signedIn })).toMatchObject({
        code: 10165,
      });
      // And a reload stays signed out, with nothing to refresh.
      refreshes.length = 0;
      await page.reload();
      await visible(page, '#signin');
      expect(refreshes).toEqual([]);
    });

    await step([page, onPhone], 's10-console', async () => {
      expect(pageConsole.errors).toEqual(pageConsole.onPurpose);
      expect(phoneConsole.errors).toEqual([]);
      for (const tab of secondTabConsole) expect(tab.errors).toEqual([]);
    });
  } finally {
    await laptop.close();
    await phone.close();
  }
});

it("shows the Weibo authorization's health, and asks for Weibo again once the app was removed", async () => {
  const page = await browser.newPage({ locale: 'en-US' });
  await step(page, 'h1-valid', async () => {
    await page.goto(service.url);
    await approveOnSandboxWeibo(page, ALICE);
    // Alice's account comes from the first story; run alone, this one creates it.
    await page.locator('#bind-form:visible, #signed-in:visible').waitFor();
    if (await page.isVisible('#bind-form')) await createAccount(page, 'alice@example.com');
    await visible(page, '#weibo-health', /valid until/);
    expect(await page.getAttribute('#weibo-health', 'data-health')).toBe('valid');
    expect(await page.isHidden('#weibo-again')).toBe(true);
  });

  await step(page, 'h2-removed', async () => {
    // Alice removes the app in (sandbox) Weibo, which then calls the service.
    const removed = await fetch(`${service.url}/sandbox/weibo/sdk/remove-app`, {
      method: 'POST',
      body: new URLSearchParams({ uid: ALICE }),
    });
    expect(JSON.parse(await removed.text())).toMatchObject({ notified: true });
    // Her sessions ended with it: the demo finds itself signed out.
    await page.reload();
    await visible(page, '#signin');
    await page.fill('#login-username', 'alice');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await visible(page, '#weibo-health', /revoked/);
    expect(await page.getAttribute('#weibo-health', 'data-health')).toBe('revoked');
    await visible(page, '#weibo-again');
    expect(await page.isHidden('#friends-box')).toBe(true);
  });

  await step(page, 'h3-weibo-again', async () => {
    await approveOnSandboxWeibo(page, ALICE, '#weibo-again');
    await visible(page, '#weibo-health', /valid until/);
    await visible(page, '#friends-box');
  });
  await page.close();
});
