import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCommand } from '../../bench/processes.ts';

describe('the bench runs the service as npm start does', () => {
  it('reads the environment and the node flags before the entry point', () => {
    expect(
      startCommand(
        'exec GLIBC_TUNABLES=glibc.malloc.arena_max=2 node --max-semi-space-size=8 --no-warnings dist/src/infrastructure/main.js',
      ),
    ).toEqual({
      env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' },
      flags: ['--max-semi-space-size=8', '--no-warnings'],
    });
    expect(startCommand('node dist/src/infrastructure/main.js')).toEqual({ env: {}, flags: [] });
  });

  it('reads the project’s own start script', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(startCommand(scripts.start).flags).toContain('--max-semi-space-size=8');
  });

  it('refuses a script it cannot read rather than run the service otherwise', () => {
    expect(() => startCommand('tsx src/infrastructure/main.ts')).toThrow(/cannot read/);
  });
});

describe('one set of node flags', () => {
  it('npm start, npm run relay and the image run node alike, so the bench measures what runs', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8'));
    const { flags } = startCommand(scripts.start);
    expect(flags).toEqual([
      '--max-semi-space-size=8',
      '--heap-growing-percent=50',
      '--import=./dist/src/infrastructure/telemetry.js',
    ]);
    expect(scripts.relay).toContain(
      `node ${flags.join(' ')} dist/src/infrastructure/main.js relay`,
    );
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? '[]';
    expect(JSON.parse(cmd)).toEqual(['node', ...flags, 'dist/src/infrastructure/main.js']);
  });
});
