import { describe, expect, it } from 'vitest';
import { Argon2PasswordHasher } from '../../src/adapters/security/argon2-password-hasher.ts';

// Only the test of the PHC string pays for the OWASP parameters (19 MiB per hash).
const owaspHasher = new Argon2PasswordHasher();
const cheapHasher = new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

describe('Argon2PasswordHasher', () => {
  it('produces an argon2id PHC string with the OWASP parameters by default', async () => {
    const hash = await owaspHasher.hash('correct horse battery staple');

    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  });

  it('accepts the password that was hashed', async () => {
    const hash = await cheapHasher.hash('correct horse battery staple');

    await expect(cheapHasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
  });

  it('refuses a wrong password', async () => {
    const hash = await cheapHasher.hash('correct horse battery staple');

    await expect(cheapHasher.verify(hash, 'Correct horse battery staple')).resolves.toBe(false);
  });

  it('answers false instead of throwing for a malformed hash', async () => {
    await expect(cheapHasher.verify('$argon2id$garbage', 'whatever')).resolves.toBe(false);
    await expect(cheapHasher.verify('', 'whatever')).resolves.toBe(false);
  });

  it('salts every hash differently', async () => {
    const first = await cheapHasher.hash('same password');
    const second = await cheapHasher.hash('same password');

    expect(second).not.toBe(first);
  });
});
