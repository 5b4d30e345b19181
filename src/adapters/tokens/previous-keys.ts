import { createPublicKey, type KeyObject } from 'node:crypto';
import { algorithmOf, type VerificationKey, verificationKeyOf } from './signing-key.ts';

const SUPPORTED_KEYS = 'expected a P-256 (ES256) or Ed25519 (EdDSA) key, public or private, in PEM';
const KEY_LABELS = ['PUBLIC KEY', 'PRIVATE KEY', 'EC PRIVATE KEY'];
const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\n[\s\S]*?\n-----END ([A-Z0-9 ]+)-----$/;

/**
 * Keys retired by a rotation, from concatenated PEM blocks (as environment files carry them,
 * possibly on one line with literal "\n"). Of a private key only the public part is kept: these
 * keys verify, never sign. Errors name the entry ("the 2nd key") and never echo its text.
 */
export async function loadVerificationKeys(pems: string): Promise<VerificationKey[]> {
  const entries = pemEntries(pems);
  return Promise.all(
    entries.map((entry, index) => {
      const name = `the ${ordinal(index + 1)} key`;
      const publicKey = parsePublicKey(entry, name);
      return verificationKeyOf(publicKey, algorithmOf(publicKey, name, SUPPORTED_KEYS));
    }),
  );
}

/** One string per PEM block; EC PARAMETERS blocks (openssl ecparam -genkey) carry no key. */
function pemEntries(pems: string): string[] {
  return pems
    .replaceAll('\\n', '\n')
    .replaceAll('\r\n', '\n')
    .split(/(?=-----BEGIN )/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('-----BEGIN EC PARAMETERS-----'));
}

function parsePublicKey(entry: string, name: string): KeyObject {
  const block = PEM_BLOCK.exec(entry);
  if (!block || block[1] !== block[2]) {
    throw new Error(`${name} is not a complete PEM block (-----BEGIN …----- to -----END …-----)`);
  }
  if (!KEY_LABELS.includes(block[1] ?? '')) {
    throw new Error(`${name} is a "${block[1]}" PEM block: ${SUPPORTED_KEYS}`);
  }
  try {
    // A private key gives its public part.
    return createPublicKey({ key: entry, format: 'pem' });
  } catch (error) {
    throw new Error(`${name} is not a readable key: ${SUPPORTED_KEYS}`, { cause: error });
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
