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

type SigningAlgorithm = 'ES256' | 'EdDSA';

/** The asymmetric key that signs every token; only `publicJwk` ever leaves the process. */
export interface SigningKey {
  alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the public key, so a rotated key gets a new kid by itself. */
  kid: string;
  /** Non-extractable, so the private part cannot be exported by mistake. */
  privateKey: CryptoKey;
  /** Public part only, with kid, alg and use, as published in the JWKS. */
  publicJwk: JWK;
}

const SUPPORTED_KEYS = 'expected a P-256 (ES256) or Ed25519 (EdDSA) private key in PKCS#8 PEM';

export async function loadSigningKey(pkcs8Pem: string): Promise<SigningKey> {
  const keyObject = parsePrivateKey(pkcs8Pem);
  const alg = algorithmOf(keyObject);
  // Re-exported so that a SEC1 "EC PRIVATE KEY" PEM, which node reads, works like PKCS#8.
  const normalizedPem = keyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKey = await importPKCS8(normalizedPem, alg, { extractable: false });
  const publicPart = await exportJWK(createPublicKey(keyObject));
  const kid = await calculateJwkThumbprint(publicPart);
  return { alg, kid, privateKey, publicJwk: { ...publicPart, kid, alg, use: 'sig' } };
}

/** A fresh ES256 key for development; the PEM is returned so it can be kept across restarts. */
export async function generateSigningKey(): Promise<{ key: SigningKey; pkcs8Pem: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const pkcs8Pem = await exportPKCS8(privateKey);
  return { key: await loadSigningKey(pkcs8Pem), pkcs8Pem };
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

function algorithmOf(keyObject: KeyObject): SigningAlgorithm {
  const type = keyObject.asymmetricKeyType;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    throw new Error(`Signing key uses the unsupported curve ${curve}: ${SUPPORTED_KEYS}`);
  }
  throw new Error(`Signing key of type ${type} is not supported: ${SUPPORTED_KEYS}`);
}
