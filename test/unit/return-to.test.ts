import { describe, expect, it } from 'vitest';
import { InvalidReturnTo } from '../../src/domain/errors.ts';
import { parseReturnTo } from '../../src/domain/return-to.ts';

describe('parseReturnTo', () => {
  it.each([
    '/',
    '/cart',
    '/cart?item=3&from=/home',
    '/a/b/c#top',
    '/...',
    '/a/..b/.c',
    '/search?q=%2e%2e',
    '/100%',
    '/%E5%BE%AE%E5%8D%9A',
    `/${'a'.repeat(2047)}`,
  ])('keeps the path %j as given', (path) => {
    expect(parseReturnTo(path)).toBe(path);
  });

  it.each([
    ['another site', '//evil.com'],
    ['a backslash', '/\\evil.com'],
    ['a backslash inside', '/a\\b'],
    ['a full URL', 'https://evil.com'],
    ['a relative path', 'evil'],
    ['an empty value', ''],
    ['a "." segment', '/.//evil.com'],
    ['a ".." segment', '/..//evil.com'],
    ['a trailing ".." segment', '/a/..'],
    ['a percent-encoded "." segment', '/%2e//evil.com'],
    ['a percent-encoded ".." segment', '/%2E%2e/x'],
    ['a twice-encoded "." segment', '/%252e//evil.com'],
    ['a percent-encoded slash', '/%2fevil.com'],
    ['a percent-encoded backslash', '/%5cevil.com'],
    ['a C0 control', '/a\nb'],
    ['NUL', '/a\u0000'],
    ['DEL', '/a\u007f'],
    ['a C1 control (NEL)', '/a\u0085b'],
    ['a bidi override', '/a\u202eb'],
    ['a bidi isolate', '/a\u2066b'],
    ['a percent-encoded control', '/a%0d%0aSet-Cookie:x'],
    ['a percent-encoded bidi override', '/a%E2%80%AEb'],
    ['a malformed percent-encoding', '/a%2e%zz'],
    ['more than 2048 characters', `/${'a'.repeat(2048)}`],
  ])('refuses %s: %j', (_, path) => {
    expect(() => parseReturnTo(path)).toThrow(InvalidReturnTo);
  });

  it('defaults to /', () => {
    expect(parseReturnTo(undefined)).toBe('/');
  });
});
