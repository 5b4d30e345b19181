import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { AesGcmTokenCipher } from '../adapters/security/aes-gcm-token-cipher.ts';
import { loadVerificationKeys } from '../adapters/tokens/previous-keys.ts';
import {
  generateSigningKey,
  loadSigningKey,
  type SigningKey,
  type VerificationKey,
} from '../adapters/tokens/signing-key.ts';
import { type Config, ConfigError } from './config.ts';

/**
 * The configured keys; outside production, missing ones are generated once and kept in the
 * data folder so tokens survive a restart (config refuses to start production without them).
 */
export async function loadKeys(
  config: Config,
  logger: Logger,
): Promise<{
  signingKey: SigningKey;
  previousKeys: VerificationKey[];
  tokenCipher: AesGcmTokenCipher;
}> {
  const problems: string[] = [];
  const signingKey = await loadSigningKey(
    // Environment files often carry a PEM on one line with literal "\n".
    config.jwt.privateKeyPem?.replaceAll('\\n', '\n') ??
      (await developmentKey(config.dataDir, 'jwt-private-key.pem', logger, async () => {
        return (await generateSigningKey()).pkcs8Pem;
      })),
  ).catch((error: Error) => {
    problems.push(`JWT_PRIVATE_KEY: ${error.message}`);
  });
  const previousKeys = await loadVerificationKeys(config.jwt.previousKeysPem ?? '').catch(
    (error: Error) => {
      problems.push(`JWT_PREVIOUS_KEYS: ${error.message}`);
    },
  );
  let tokenCipher: AesGcmTokenCipher | undefined;
  try {
    tokenCipher = AesGcmTokenCipher.fromBase64(
      config.tokenEncryptionKey ??
        (await developmentKey(config.dataDir, 'token-encryption-key', logger, async () =>
          AesGcmTokenCipher.generateKey().toString('base64'),
        )),
    );
  } catch (error) {
    problems.push(`TOKEN_ENCRYPTION_KEY: ${(error as Error).message}`);
  }
  if (!signingKey || !previousKeys || !tokenCipher) throw new ConfigError(problems);
  return { signingKey, previousKeys, tokenCipher };
}

async function developmentKey(
  dataDir: string,
  name: string,
  logger: Logger,
  generate: () => Promise<string>,
): Promise<string> {
  const file = path.join(dataDir, name);
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (existing) {
    logger.warn(`using the development key ${file} (set the variable in production)`);
    return existing;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const key = await generate();
  // 'wx' fails if another instance wrote it first: then use theirs.
  await fs.writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  logger.warn(`generated the development key ${file} (set the variable in production)`);
  return fs.readFile(file, 'utf8');
}
