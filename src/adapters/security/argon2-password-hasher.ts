import { type Algorithm, hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../../application/ports.ts';

// The package declares `Algorithm` as an ambient const enum, which isolated modules cannot
// inline; 2 is its documented value for Argon2id.
const ARGON2ID = 2 as Algorithm.Argon2id;

interface Argon2Parameters {
  /** In KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane. */
const OWASP_ARGON2ID: Readonly<Argon2Parameters> = {
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

/** Hashes to a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt. */
export class Argon2PasswordHasher implements PasswordHasher {
  constructor(private readonly parameters: Readonly<Argon2Parameters> = OWASP_ARGON2ID) {}

  async hash(password: string): Promise<string> {
    return hash(password, { ...this.parameters, algorithm: ARGON2ID });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await verify(hash, password);
    } catch {
      // A malformed or foreign hash is a failed login, not a server error.
      return false;
    }
  }
}
