import type { Logger } from 'pino';
import { AesGcmTokenCipher } from '../adapters/security/aes-gcm-token-cipher.ts';
import {
  generateSigningKey,
  loadSigningKey,
  type SigningKey,
} from '../adapters/tokens/signing-key.ts';
import { type Config, ConfigError } from './config.ts';

/** The configured keys, or fresh development keys with a warning (config refuses that in production). */
export async function loadKeys(
  config: Config,
  logger: Logger,
): Promise<{ signingKey: SigningKey; tokenCipher: AesGcmTokenCipher }> {
  const problems: string[] = [];
  const signingKey = await signingKeyFrom(config.jwt.privateKeyPem, logger).catch(
    (error: Error) => {
      problems.push(`JWT_PRIVATE_KEY: ${error.message}`);
    },
  );
  let tokenCipher: AesGcmTokenCipher | undefined;
  try {
    tokenCipher = config.tokenEncryptionKey
      ? AesGcmTokenCipher.fromBase64(config.tokenEncryptionKey)
      : developmentCipher(logger);
  } catch (error) {
    problems.push(`TOKEN_ENCRYPTION_KEY: ${(error as Error).message}`);
  }
  if (!signingKey || !tokenCipher) throw new ConfigError(problems);
  return { signingKey, tokenCipher };
}

async function signingKeyFrom(pem: string | undefined, logger: Logger): Promise<SigningKey> {
  // Environment files often carry a PEM on one line with literal "\n".
  if (pem) return loadSigningKey(pem.replaceAll('\\n', '\n'));
  logger.warn('JWT_PRIVATE_KEY is unset: signing with a generated key that changes on restart');
  return (await generateSigningKey()).key;
}

function developmentCipher(logger: Logger): AesGcmTokenCipher {
  logger.warn('TOKEN_ENCRYPTION_KEY is unset: encrypting Weibo tokens with a generated key');
  return new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());
}
