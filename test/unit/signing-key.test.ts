import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadVerificationKeys } from '../../src/adapters/tokens/previous-keys.ts';
import { generateSigningKey, loadSigningKey } from '../../src/adapters/tokens/signing-key.ts';

function pkcs8Of({ privateKey }: { privateKey: KeyObject }): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const publicPemOf = (privatePem: string) =>
  createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();

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

  it('uses the RFC 7638 SHA-256 thumbprint of the public key as kid', async () => {
    const key = await loadSigningKey(p256Pem);

    const publicJwk = await exportJWK(createPublicKey(p256Pem));

    expect(key.kid).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
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

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('loadVerificationKeys', () => {
  it('reads one public key with the kid its private key signs with', async () => {
    const signing = await loadSigningKey(p256Pem);

    const keys = await loadVerificationKeys(publicPemOf(p256Pem));

    expect(keys).toEqual([{ alg: 'ES256', kid: signing.kid, publicJwk: signing.publicJwk }]);
  });

  it('keeps only the public part of a private key, PKCS#8 or SEC1', async () => {
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'sec1', format: 'pem' })
      .toString();

    const keys = await loadVerificationKeys(`${ed25519Pem}${sec1}`);

    expect(keys.map((key) => key.alg)).toEqual(['EdDSA', 'ES256']);
    expect(keys[0]?.kid).toBe((await loadSigningKey(ed25519Pem)).kid);
    expect(keys[1]?.kid).toBe((await loadSigningKey(sec1)).kid);
    for (const key of keys) {
      expect(key).not.toHaveProperty('privateKey');
      expect(key.publicJwk).not.toHaveProperty('d');
    }
  });

  it('reads several concatenated keys, public and private, in their order', async () => {
    const pems = [publicPemOf(p256Pem), ed25519Pem, publicPemOf(ed25519Pem)].join('\n');

    const keys = await loadVerificationKeys(pems);

    const p256 = await loadSigningKey(p256Pem);
    const ed25519 = await loadSigningKey(ed25519Pem);
    expect(keys.map((key) => key.kid)).toEqual([p256.kid, ed25519.kid, ed25519.kid]);
  });

  it('reads keys on one line with literal \\n, as environment files carry them', async () => {
    const oneLine = `${publicPemOf(p256Pem)}${ed25519Pem}`.replaceAll('\n', '\\n');
    expect(oneLine).not.toContain('\n');

    const keys = await loadVerificationKeys(oneLine);

    expect(keys.map((key) => key.alg)).toEqual(['ES256', 'EdDSA']);
  });

  it('skips the EC PARAMETERS block openssl ecparam writes before a key', async () => {
    const parameters =
      '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';

    const keys = await loadVerificationKeys(`${parameters}${p256Pem}`);

    expect(keys.map((key) => key.alg)).toEqual(['ES256']);
  });

  it('reads nothing from an empty string', async () => {
    await expect(loadVerificationKeys(' \n')).resolves.toEqual([]);
  });

  it('names a malformed second entry in one line that does not echo it', async () => {
    const secret = 'c2VjcmV0LXNlY3JldA==';
    const garbage = `-----BEGIN PUBLIC KEY-----\n${secret}\n-----END PUBLIC KEY-----\n`;

    const error = await errorOf(loadVerificationKeys(`${publicPemOf(p256Pem)}${garbage}`));

    expect(error.message).toBe(
      'the 2nd key is not a readable key: expected a P-256 (ES256) or Ed25519 (EdDSA) key, ' +
        'public or private, in PEM',
    );
    expect(error.message).not.toContain(secret);
  });

  it('names text that is not a whole PEM block', async () => {
    const cut = publicPemOf(p256Pem).replace('-----END PUBLIC KEY-----', '');
    const unmatched = publicPemOf(p256Pem).replace('END PUBLIC KEY', 'END PRIVATE KEY');
    const cases = [
      [`${p256Pem}${ed25519Pem}${cut}`, /^the 3rd key is not a complete PEM block/],
      [`not a key ${p256Pem}`, /^the 1st key is not a complete PEM block/],
      [`${p256Pem}${unmatched}`, /^the 2nd key is not a complete PEM block/],
    ] as const;
    for (const [pems, message] of cases) {
      const error = await errorOf(loadVerificationKeys(pems));
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
  });

  it('refuses a certificate, an RSA key and a P-384 key, naming the entry', async () => {
    const rsa = pkcs8Of(generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const p384 = pkcs8Of(generateKeyPairSync('ec', { namedCurve: 'P-384' }));
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

    expect((await errorOf(loadVerificationKeys(`${p256Pem}${rsa}`))).message).toMatch(
      /^the 2nd key of type rsa is not supported: expected a P-256/,
    );
    expect((await errorOf(loadVerificationKeys(p384))).message).toMatch(
      /^the 1st key uses the unsupported curve secp384r1/,
    );
    expect((await errorOf(loadVerificationKeys(certificate))).message).toMatch(
      /^the 1st key is a "CERTIFICATE" PEM block: expected/,
    );
  });
});
