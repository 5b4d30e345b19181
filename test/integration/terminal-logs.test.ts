import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = path.join(ROOT, 'src/infrastructure/main.ts');

let workdir: string;
beforeAll(async () => {
  workdir = await mkdtemp(path.join(os.tmpdir(), 'weibo-auth-tty-'));
});
afterAll(() => rm(workdir, { recursive: true, force: true }));

/** Starts the service on its embedded defaults, optionally inside a pseudo-terminal (`script`). */
async function firstLines(terminal: boolean): Promise<string> {
  const command = `exec ${process.execPath} --import ${TSX} ${MAIN}`;
  const child = terminal
    ? spawn('script', ['-qec', command, '/dev/null'], {
        cwd: workdir,
        env: { PATH: process.env.PATH, PORT: '0' },
      })
    : spawn('sh', ['-c', command], { cwd: workdir, env: { PATH: process.env.PATH, PORT: '0' } });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    if (output.includes('weibo-auth serving')) child.kill('SIGTERM');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await once(child, 'exit');
  clearTimeout(timer);
  return output;
}

describe('logs', () => {
  it('are readable lines in a terminal, with the URL on the start-up line', async () => {
    const output = await firstLines(true);
    const started = output.split('\n').find((line) => line.includes('weibo-auth serving'));
    expect(started).toMatch(
      /^\[\d\d:\d\d:\d\d\] .*INFO.*weibo-auth serving http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(output).not.toContain('{"level"');
  });

  it('stay pino JSON when stdout is not a terminal', async () => {
    const output = await firstLines(false);
    const started = output.split('\n').find((line) => line.includes('weibo-auth serving'));
    expect(JSON.parse(started ?? '')).toMatchObject({
      level: 30,
      url: expect.stringMatching(/^http:/),
    });
  });
});
