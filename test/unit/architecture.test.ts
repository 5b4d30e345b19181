import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * Imports from one adapter into another, by folder under src/adapters: each couples two
 * technologies, so each is a decision written down here. Everything else goes through a port.
 */
const CROSS_ADAPTER_IMPORTS: Record<string, string[]> = {
  // The sandbox plays Weibo's part and may share the real client's view of Weibo's API.
  'weibo/sandbox': ['weibo'],
  // The HTTP edge times every request; metrics stay out of routes and use cases.
  http: ['metrics'],
  // BullMQ keeps its queues in Redis: the publisher checks that a replica has its jobs.
  outbox: ['redis'],
};

/** `import … from`, `export … from`, `import 'x'` and `import('x')`, multi-line ones included. */
const IMPORT =
  /^\s*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

function specifiersIn(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

/** Each import of a layer's files; relative targets as paths under src/, packages as named. */
function importsOf(layer: string): Array<{ file: string; target: string }> {
  const folder = path.join(SRC, layer);
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      specifiersIn(readFileSync(path.join(folder, file), 'utf8')).map((specifier) => ({
        file: path.join(layer, file),
        target: specifier.startsWith('.')
          ? path.relative(SRC, path.resolve(folder, path.dirname(file), specifier))
          : specifier,
      })),
    );
}

/** The adapter a file under src/adapters belongs to: its folder, e.g. `http` or `weibo/sandbox`. */
const adapterOf = (file: string) => path.dirname(path.relative('adapters', file));

const describeImport = ({ file, target }: { file: string; target: string }) =>
  `${file} imports ${target}`;

describe('the import scanner', () => {
  it('reads every form of import and re-export', () => {
    const source = [
      "import { a } from './a.ts';",
      'import type {',
      '  B,',
      '  C,',
      "} from '../b.ts';",
      "import d, { e } from 'package-d';",
      "import './side-effect.ts';",
      "export { f } from './f.ts';",
      "export * from './g.ts';",
      "export type { H } from './h.ts';",
      "const i = await import('./i.ts');",
      "export const NOT_AN_IMPORT = 'from here';",
    ].join('\n');
    expect(specifiersIn(source)).toEqual([
      './a.ts',
      '../b.ts',
      'package-d',
      './side-effect.ts',
      './f.ts',
      './g.ts',
      './h.ts',
      './i.ts',
    ]);
  });

  it.each([
    ['domain', 1],
    ['application', 10],
    ['adapters', 50],
    ['infrastructure', 20],
  ])('finds the imports of the %s layer (at least %i)', (layer, atLeast) => {
    expect(importsOf(layer).length).toBeGreaterThanOrEqual(atLeast);
  });

  it('resolves relative imports to paths under src/', () => {
    expect(importsOf('application')).toContainEqual({
      file: 'application/bind-account.ts',
      target: 'domain/errors.ts',
    });
    expect(importsOf('adapters')).toContainEqual({
      file: 'adapters/persistence/kysely-unit-of-work.ts',
      target: 'application/ports.ts',
    });
    expect(importsOf('adapters')).toContainEqual({
      file: 'adapters/persistence/kysely-unit-of-work.ts',
      target: 'adapters/persistence/kysely-user-repository.ts',
    });
  });

  it('tells adapters apart by folder', () => {
    expect(adapterOf('adapters/persistence/kysely-outbox.ts')).toBe('persistence');
    expect(adapterOf('adapters/weibo/weibo-oauth-client.ts')).toBe('weibo');
    expect(adapterOf('adapters/weibo/sandbox/weibo-sandbox.ts')).toBe('weibo/sandbox');
  });
});

describe('layers', () => {
  it('keeps the domain free of every other layer and package', () => {
    const outside = importsOf('domain').filter(({ target }) => !target.startsWith('domain/'));
    expect(outside.map(describeImport)).toEqual([]);
  });

  it('lets the application use only the domain and Node built-ins', () => {
    const outside = importsOf('application').filter(
      ({ target }) =>
        !target.startsWith('domain/') &&
        !target.startsWith('application/') &&
        !target.startsWith('node:'),
    );
    expect(outside.map(describeImport)).toEqual([]);
  });

  it('never lets an adapter reach into the infrastructure', () => {
    const upward = importsOf('adapters').filter(({ target }) =>
      target.startsWith('infrastructure/'),
    );
    expect(upward.map(describeImport)).toEqual([]);
  });
});

describe('adapters', () => {
  const crossAdapter = importsOf('adapters').filter(
    ({ file, target }) => target.startsWith('adapters/') && adapterOf(file) !== adapterOf(target),
  );

  it('keeps persistence away from the security adapter: ciphers come through the TokenCipher port', () => {
    const security = crossAdapter.filter(
      ({ file, target }) => adapterOf(file) === 'persistence' && adapterOf(target) === 'security',
    );
    expect(security.map(describeImport)).toEqual([]);
  });

  it('lets an adapter import another only where CROSS_ADAPTER_IMPORTS allows it', () => {
    const unlisted = crossAdapter.filter(
      ({ file, target }) => !CROSS_ADAPTER_IMPORTS[adapterOf(file)]?.includes(adapterOf(target)),
    );
    expect(
      unlisted.map(
        (found) =>
          `${describeImport(found)}: ${adapterOf(found.file)} -> ${adapterOf(found.target)} is not in CROSS_ADAPTER_IMPORTS`,
      ),
    ).toEqual([]);
  });
});
