import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function importsOf(layer: string): Array<{ file: string; target: string }> {
  const folder = path.join(SRC, layer);
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => {
      const source = readFileSync(path.join(folder, file), 'utf8');
      return [...source.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((match) => ({
        file: path.join(layer, file),
        target: match[1]?.startsWith('.')
          ? path.relative(SRC, path.resolve(folder, path.dirname(file), match[1]))
          : (match[1] ?? ''),
      }));
    });
}

describe('layers', () => {
  it('keeps the domain free of every other layer and package', () => {
    const outside = importsOf('domain').filter(({ target }) => !target.startsWith('domain/'));
    expect(outside).toEqual([]);
  });

  it('lets the application use only the domain and Node built-ins', () => {
    const outside = importsOf('application').filter(
      ({ target }) =>
        !target.startsWith('domain/') &&
        !target.startsWith('application/') &&
        !target.startsWith('node:'),
    );
    expect(outside).toEqual([]);
  });

  it('never lets an adapter reach into the infrastructure', () => {
    const upward = importsOf('adapters').filter(({ target }) =>
      target.startsWith('infrastructure/'),
    );
    expect(upward).toEqual([]);
  });
});
