import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserHarness, startBrowserHarness } from '../support/browser-harness.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const LOGIN_OPERATIONS = [
  ['get', '/v1/users/weibo/authorization'],
  ['get', '/v1/users/weibo/users'],
  ['post', '/v1/users/weibo/users'],
];

let harness: BrowserHarness;
let service: BrowserHarness['service'];
let browser: BrowserHarness['browser'];

beforeAll(async () => {
  harness = await startBrowserHarness('docs');
  ({ service, browser } = harness);
});

afterAll(() => harness?.close());

it('renders the login operations and their responses offline, logging no error', async () => {
  const page = await browser.newPage({ locale: 'en-US' });
  const errors: string[] = [];
  const requested: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requested.push(request.url()));
  try {
    await page.goto(`${service.url}/docs`);
    for (const [method, route] of LOGIN_OPERATIONS) {
      const summary = page.locator(
        `.opblock-${method} .opblock-summary-path[data-path="${route}"]`,
      );
      await summary.waitFor({ state: 'visible' });
    }
    // Every operation of the document, the service ones (health, keys, metrics) included.
    const { paths } = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      paths: Record<string, object>;
    };
    const operations = Object.values(paths).flatMap((item) => Object.keys(item));
    expect(await page.locator('.opblock').count()).toBe(operations.length);
    // Opening the bind shows its documented answers, the schemas behind them resolved.
    const bind = page.locator('.opblock-post', {
      has: page.locator('.opblock-summary-path[data-path="/v1/users/weibo/users"]'),
    });
    await bind.locator('.opblock-summary').click();
    const conflict = bind.locator('.responses-table tr[data-code="409"]');
    await conflict.waitFor({ state: 'visible' });
    expect(await conflict.textContent()).toContain('Weibo account already bound');
  } catch (error) {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png'), fullPage: true });
    throw error;
  }
  expect(errors).toEqual([]);
  const local = new Set(['127.0.0.1', 'localhost']);
  const outside = requested.filter((url) => {
    const { protocol, hostname } = new URL(url);
    return protocol !== 'data:' && !(protocol.startsWith('http') && local.has(hostname));
  });
  expect(outside).toEqual([]);
  expect(requested).toContain(`${service.url}/openapi.json`);
});

it('serves the Swagger UI files with their types and a cache header', async () => {
  const page = await fetch(`${service.url}/docs`);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  const html = await page.text();
  const assets: Array<[file: string, type: string]> = [
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['swagger-ui.css', 'text/css; charset=utf-8'],
  ];
  for (const [file, type] of assets) {
    const asset = html.match(new RegExp(`/docs/${file.replaceAll('.', '\\.')}\\?v=[\\d.]+`))?.[0];
    expect(asset, file).toBeDefined();
    const response = await fetch(`${service.url}${asset}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
  }
});
