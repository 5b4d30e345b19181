import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnService, waitForExit } from '../support/service-process.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

let service: Awaited<ReturnType<typeof spawnService>>;
let browser: Browser;
let workdir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`,
    );
  }
  // A fresh start with no variables at all, its ./.data in a folder of its own.
  workdir = await mkdtemp(path.join(tmpdir(), 'weibo-auth-demo-'));
  service = await spawnService({}, workdir);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  service?.process.kill('SIGTERM');
  if (service) await waitForExit(service.process);
  await rm(workdir, { recursive: true, force: true });
});

/** Runs one step of the story; when it fails, a screenshot of the page is kept. */
async function step(page: Page, name: string, action: () => Promise<void>) {
  try {
    await action();
  } catch (error) {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `demo-${name}.png`), fullPage: true });
    throw error;
  }
}

async function signInWithSandboxWeibo(page: Page) {
  await page.click('#signin');
  await page.waitForURL(/\/sandbox\/weibo\/oauth2\/authorize/);
  await page.check('input[value="1000000001"]');
  await page.click('button[value="approve"]');
  await page.waitForURL(/\/callback\.html/);
}

it('signs a new Weibo user up through the bind form, then straight in after signing out', async () => {
  const page = await browser.newPage({ locale: 'en-US' });
  await step(page, '1-home', async () => {
    await page.goto(service.url);
    await page.locator('#signin').waitFor({ state: 'visible' });
  });
  await step(page, '2-bind-form', async () => {
    await signInWithSandboxWeibo(page);
    await page.locator('#bind-form').waitFor({ state: 'visible' });
    expect(await page.inputValue('#username')).toBe('Xiaoming');
    expect(await page.textContent('#screen-name')).toBe('小明 Xiaoming');
  });
  await step(page, '3-signed-in', async () => {
    await page.fill('#password', 'correct horse battery');
    await page.fill('#phone', '138 0013 8000');
    await page.fill('#email', 'xiaoming@example.com');
    await page.click('#bind-submit');
    await page.locator('#signed-in').waitFor({ state: 'visible' });
    expect(await page.textContent('#whoami')).toBe('Xiaoming');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}');
    expect(claims).toMatchObject({ username: 'Xiaoming', iss: 'weibo-auth', aud: 'weibo-auth' });
  });
  await step(page, '4-signed-out', async () => {
    await page.click('#signout');
    await page.locator('#signin').waitFor({ state: 'visible' });
  });
  await step(page, '5-signed-in-again', async () => {
    await signInWithSandboxWeibo(page);
    await page.locator('#signed-in').waitFor({ state: 'visible' });
    expect(await page.textContent('#whoami')).toBe('Xiaoming');
    expect(page.url()).toBe(`${service.url}/`);
  });
});
