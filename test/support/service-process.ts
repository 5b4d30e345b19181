import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/infrastructure/main.ts');
// Resolved from the project, so the service may run in any working folder.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** The service as its own process (`node main.ts` through tsx), as an operator runs it. */
export async function spawnService(
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): Promise<{ url: string; process: ChildProcess; logs: string[] }> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], {
    cwd,
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`service exited with ${code}:\n${logs.join('\n')}`)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        const served = /"url":"(http:[^"]+)"/.exec(line);
        if (served?.[1] && line.includes('weibo-auth serving')) resolve(served[1]);
      });
    }
  });
  return { url: await url, process: child, logs };
}

export async function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}
