import { describe, expect, it } from 'vitest';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';

const UID = '1234567890';
const ACCESS_TOKEN = '2.00abcdEFGHijklMNOPqrst0123456789';
const cipher = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());

function replacePart(value: string, index: number, replace: (part: string) => string): string {
  const parts = value.split('.');
  parts[index] = replace(parts[index] ?? '');
  return parts.join('.');
}

function flipFirstByte(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return bytes.toString('base64url');
}

describe('AesGcmTokenCipher', () => {
  it('decrypts what it encrypted for the same context', () => {
    const encrypted = cipher.encrypt(ACCESS_TOKEN, UID);

    expect(cipher.decrypt(encrypted, UID)).toBe(ACCESS_TOKEN);
  });

  it('round-trips an empty token', () => {
    expect(cipher.decrypt(cipher.encrypt('', UID), UID)).toBe('');
  });

  it('writes a versioned value that does not contain the plaintext', () => {
    const encrypted = cipher.encrypt(ACCESS_TOKEN, UID);

    expect(encrypted).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(encrypted).not.toContain(ACCESS_TOKEN);
    expect(encrypted).not.toContain(Buffer.from(ACCESS_TOKEN).toString('base64url'));
  });

  it('encrypts the same token differently each time', () => {
    expect(cipher.encrypt(ACCESS_TOKEN, UID)).not.toBe(cipher.encrypt(ACCESS_TOKEN, UID));
  });

  it('refuses a ciphertext moved to another uid', () => {
    const encrypted = cipher.encrypt(ACCESS_TOKEN, UID);

    expect(() => cipher.decrypt(encrypted, '9876543210')).toThrow(/failed authentication/);
  });

  it('refuses a tampered ciphertext', () => {
    const tampered = replacePart(cipher.encrypt(ACCESS_TOKEN, UID), 2, flipFirstByte);

    expect(() => cipher.decrypt(tampered, UID)).toThrow(/failed authentication/);
  });

  it('refuses a tampered IV', () => {
    const tampered = replacePart(cipher.encrypt(ACCESS_TOKEN, UID), 1, flipFirstByte);

    expect(() => cipher.decrypt(tampered, UID)).toThrow(/failed authentication/);
  });

  it('refuses a truncated tag', () => {
    const truncated = replacePart(cipher.encrypt(ACCESS_TOKEN, UID), 3, (tag) => tag.slice(0, 8));

    expect(() => cipher.decrypt(truncated, UID)).toThrow(/not in the v1 format/);
  });

  it('refuses a value encrypted under another key', () => {
    const other = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());

    expect(() => cipher.decrypt(other.encrypt(ACCESS_TOKEN, UID), UID)).toThrow(
      /failed authentication/,
    );
  });

  it('refuses values that are not in the v1 format', () => {
    for (const value of ['', ACCESS_TOKEN, 'v2.a.b.c', 'v1.a.b', 'v1.!!.b.c']) {
      expect(() => cipher.decrypt(value, UID)).toThrow(/not in the v1 format/);
    }
  });

  it('builds from base64 of 32 bytes', () => {
    const key = AesGcmTokenCipher.generateKey();
    const fromEnvironment = AesGcmTokenCipher.fromBase64(`${key.toString('base64')}\n`);

    expect(fromEnvironment.decrypt(new AesGcmTokenCipher(key).encrypt('t', UID), UID)).toBe('t');
  });

  it('refuses a base64 key of the wrong length', () => {
    const shortKey = Buffer.alloc(16).toString('base64');

    expect(() => AesGcmTokenCipher.fromBase64(shortKey)).toThrow(
      /^Token encryption key must be base64 of exactly 32 bytes/,
    );
  });

  it('refuses a key that is not base64', () => {
    expect(() => AesGcmTokenCipher.fromBase64('not base64 at all!')).toThrow(/base64/);
  });

  it('refuses a raw key of the wrong length', () => {
    expect(() => new AesGcmTokenCipher(Buffer.alloc(31))).toThrow(/must be 32 bytes, got 31/);
  });
});
