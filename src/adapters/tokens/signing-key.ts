import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JWK,
} from 'jose';

export type SigningAlgorithm = 'ES256' | 'EdDSA';

/** A public key that verifies tokens; only `publicJwk` is ever published. */
export interface VerificationKey {
  /** The one algorithm accepted with this key, whatever a token's header says. */
  alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the public key, so a rotated key gets a new kid by itself. */
  kid: string;
  /** Public part only, with kid, alg and use, as published in the JWKS. */
  publicJwk: JWK;
}

/** The asymmetric key that signs every new token. */
export interface SigningKey extends VerificationKey {
  /** Non-extractable, so the private part cannot be exported by mistake. */
  privateKey: CryptoKey;
}

const SUPPORTED_KEYS = 'expected a P-256 (ES256) or Ed25519 (EdDSA) private key in PKCS#8 PEM';

export async function loadSigningKey(pkcs8Pem: string): Promise<SigningKey> {
  const keyObject = parsePrivateKey(pkcs8Pem);
  const alg = algorithmOf(keyObject, 'Signing key', SUPPORTED_KEYS);
  // Re-exported so that a SEC1 "EC PRIVATE KEY" PEM, which node reads, works like PKCS#8.
  const normalizedPem = keyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKey = await importPKCS8(normalizedPem, alg, { extractable: false });
  return { ...(await verificationKeyOf(createPublicKey(keyObject), alg)), privateKey };
}

/** A fresh ES256 key for development; the PEM is returned so it can be kept across restarts. */
export async function generateSigningKey(): Promise<{ key: SigningKey; pkcs8Pem: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const pkcs8Pem = await exportPKCS8(privateKey);
  return { key: await loadSigningKey(pkcs8Pem), pkcs8Pem };
}

export async function verificationKeyOf(
  publicKey: KeyObject,
  alg: SigningAlgorithm,
): Promise<VerificationKey> {
  const publicPart = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicPart, 'sha256');
  return { alg, kid, publicJwk: { ...publicPart, kid, alg, use: 'sig' } };
}

/** The algorithm a key is used with, or an error starting with `name` and ending with `expected`. */
export function algorithmOf(
  keyObject: KeyObject,
  name: string,
  expected: string,
): SigningAlgorithm {
  const type = keyObject.asymmetricKeyType;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    throw new Error(`${name} uses the unsupported curve ${curve}: ${expected}`);
  }
  throw new Error(`${name} of type ${type} is not supported: ${expected}`);
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Error(`Signing key is not a readable private key: ${SUPPORTED_KEYS}`, {
      cause: error,
    });
  }
}
