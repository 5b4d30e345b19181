import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { type ServiceProcess, spawnService, waitForExit } from './service-process.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserHarness {
  service: ServiceProcess;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The service on its embedded defaults (no variables, its ./.data in a folder of its own) and
 * a headless Chromium, flags as this machine needs them (no sandbox as root, no networking).
 */
export async function startBrowserHarness(name: string): Promise<BrowserHarness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`,
    );
  }
  const workdir = await mkdtemp(path.join(tmpdir(), `weibo-auth-${name}-`));
  const service = await spawnService({}, workdir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    service,
    browser,
    async close() {
      await browser.close();
      service.process.kill('SIGTERM');
      await waitForExit(service.process);
      await rm(workdir, { recursive: true, force: true });
    },
  };
}
