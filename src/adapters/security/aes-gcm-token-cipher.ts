import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import type { TokenCipher } from '../../application/ports.ts';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
// 96-bit IVs are the size GCM is designed for; random ones are safe for far more tokens than
// this service will ever store under one key.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
// Version, then base64url IV, ciphertext (empty for an empty token) and tag.
const FORMAT = /^v1\.([\w-]+)\.([\w-]*)\.([\w-]+)$/;

/**
 * Encrypts Weibo access tokens at rest as `v1.<iv>.<ciphertext>.<tag>` (base64url). The context,
 * the Weibo uid, is authenticated so a ciphertext copied to another row does not decrypt.
 */
export class AesGcmTokenCipher implements TokenCipher {
  private readonly key: KeyObject;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new Error(`Token encryption key must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    this.key = createSecretKey(key);
  }

  static fromBase64(value: string): AesGcmTokenCipher {
    const trimmed = value.trim();
    const key = Buffer.from(trimmed, 'base64');
    // Node decodes leniently, so only a canonical round trip proves the value was base64.
    if (key.length !== KEY_BYTES || key.toString('base64') !== trimmed) {
      throw new Error(
        `Token encryption key must be base64 of exactly ${KEY_BYTES} bytes (openssl rand -base64 32)`,
      );
    }
    return new AesGcmTokenCipher(key);
  }

  static generateKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, ciphertext, tag].map(encodePart).join('.');
  }

  /** Throws when the value is malformed, tampered with, bound to another context or key. */
  decrypt(value: string, context: string): string {
    const { iv, ciphertext, tag } = parse(value);
    const decipher = createDecipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new Error('Encrypted token failed authentication', { cause: error });
    }
  }
}

function encodePart(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url');
}

function parse(value: string): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const match = FORMAT.exec(value);
  const [, iv = '', ciphertext = '', tag = ''] = match ?? [];
  const decoded = {
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (!match || decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) {
    throw new Error(`Encrypted token is not in the ${VERSION} format`);
  }
  return decoded;
}
