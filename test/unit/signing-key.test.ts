import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, loadSigningKey } from '../../src/adapters/tokens/signing-key.ts';

function pkcs8Of({ privateKey }: { privateKey: KeyObject }): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const p256Pem = pkcs8Of(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const ed25519Pem = pkcs8Of(generateKeyPairSync('ed25519'));

describe('loadSigningKey', () => {
  it('reads a P-256 key as ES256 with a public-only JWK', async () => {
    const key = await loadSigningKey(p256Pem);

    expect(key.alg).toBe('ES256');
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key.publicJwk.kid).toBe(key.kid);
    expect(key.publicJwk).not.toHaveProperty('d');
  });

  it('reads an Ed25519 key as EdDSA with a public-only JWK', async () => {
    const key = await loadSigningKey(ed25519Pem);

    expect(key.alg).toBe('EdDSA');
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key.publicJwk).not.toHaveProperty('d');
  });

  it('keeps the private key non-extractable', async () => {
    const key = await loadSigningKey(p256Pem);

    expect(key.privateKey.extractable).toBe(false);
  });

  it('derives the same kid from the same key', async () => {
    const first = await loadSigningKey(p256Pem);
    const second = await loadSigningKey(p256Pem);

    expect(second.kid).toBe(first.kid);
  });

  it('derives different kids from different keys', async () => {
    const p256 = await loadSigningKey(p256Pem);
    const ed25519 = await loadSigningKey(ed25519Pem);

    expect(ed25519.kid).not.toBe(p256.kid);
  });

  it('refuses an RSA key, naming the supported ones', async () => {
    const rsaPem = pkcs8Of(generateKeyPairSync('rsa', { modulusLength: 2048 }));

    await expect(loadSigningKey(rsaPem)).rejects.toThrow(
      /^Signing key of type rsa is not supported: expected a P-256 \(ES256\) or Ed25519/,
    );
  });

  it('refuses a P-384 key, naming its curve', async () => {
    const p384Pem = pkcs8Of(generateKeyPairSync('ec', { namedCurve: 'P-384' }));

    await expect(loadSigningKey(p384Pem)).rejects.toThrow(/unsupported curve secp384r1/);
  });

  it('refuses garbage with a one-line message that does not echo the input', async () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----';

    const error: unknown = await loadSigningKey(garbage).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^Signing key is not a readable private key/);
    expect(message).not.toContain('\n');
    expect(message).not.toContain('c2VjcmV0');
  });
});

describe('generateSigningKey', () => {
  it('creates an ES256 key whose PEM loads back to the same kid', async () => {
    const { key, pkcs8Pem } = await generateSigningKey();

    expect(key.alg).toBe('ES256');
    expect(pkcs8Pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    await expect(loadSigningKey(pkcs8Pem)).resolves.toMatchObject({ kid: key.kid });
  });
});
