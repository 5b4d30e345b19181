import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BIND_TOKEN_AUDIENCE,
  JoseTokenIssuer,
  type TokenIssuerOptions,
} from '../../src/adapters/tokens/jose-token-issuer.ts';
import { loadVerificationKeys } from '../../src/adapters/tokens/previous-keys.ts';
import {
  generateSigningKey,
  loadSigningKey,
  type SigningKey,
  type VerificationKey,
} from '../../src/adapters/tokens/signing-key.ts';
import { BindTokenInvalid, NotSignedIn } from '../../src/domain/errors.ts';

const OPTIONS: TokenIssuerOptions = {
  issuer: 'weibo-auth',
  audience: 'shop',
  loginTtlSeconds: 3600,
  bindTtlSeconds: 900,
};
const USER = {
  id: '7f1c1d52-2f4b-4a8e-9d43-0a6a3c5b2e10',
  username: 'alice_01',
  sessionId: 'c0a8e1f2-5b3d-4e6f-8a9b-0c1d2e3f4a5b',
};
const UID = '1234567890';
const START = new Date('2030-01-01T00:00:00Z');
const START_SECONDS = START.getTime() / 1000;

function fakeClock(at: Date = START) {
  let current = at;
  return {
    now: () => current,
    advance(seconds: number) {
      current = new Date(current.getTime() + seconds * 1000);
    },
  };
}

/** Changes one claim of a signed token while keeping its original signature. */
function withClaim(token: string, claim: string, value: unknown): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, [claim]: value })).toString('base64url');
  return [header, forged, signature].join('.');
}

let key: SigningKey;
let otherKey: SigningKey;
let ed25519Key: SigningKey;

beforeAll(async () => {
  key = (await generateSigningKey()).key;
  otherKey = (await generateSigningKey()).key;
  const ed25519 = generateKeyPairSync('ed25519').privateKey;
  ed25519Key = await loadSigningKey(ed25519.export({ type: 'pkcs8', format: 'pem' }).toString());
});

/** Signs with the real key what only a bug or a key leak could produce. */
function signLikeABindToken({ typ, sub }: { typ: string; sub: string }): Promise<string> {
  return new SignJWT({ jti: 'jti-1' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .setIssuer(OPTIONS.issuer)
    .setAudience(BIND_TOKEN_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(START_SECONDS)
    .setExpirationTime(START_SECONDS + 60)
    .sign(key.privateKey);
}

/** Signs with the real key a login token carrying these claims besides the registered ones. */
function signLikeALoginToken(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ username: USER.username, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(OPTIONS.issuer)
    .setAudience(OPTIONS.audience)
    .setSubject(USER.id)
    .setIssuedAt(START_SECONDS)
    .setExpirationTime(START_SECONDS + 60)
    .sign(key.privateKey);
}

describe('JoseTokenIssuer login tokens', () => {
  it('issues a login token verifiable with the published JWKS and carrying every claim', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const token = await issuer.issueLoginToken(USER);

    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), {
      issuer: 'weibo-auth',
      audience: 'shop',
      typ: 'JWT',
      currentDate: START,
    });

    expect(protectedHeader).toEqual({ alg: 'ES256', kid: key.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: 'weibo-auth',
      aud: 'shop',
      sub: USER.id,
      username: 'alice_01',
      sid: USER.sessionId,
      iat: START_SECONDS,
      exp: START_SECONDS + 3600,
    });
  });

  it('publishes only the public key in the JWKS', () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());

    const { keys } = issuer.jwks();

    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: key.kid, alg: 'ES256', use: 'sig', kty: 'EC' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('issues login tokens with an Ed25519 key as EdDSA', async () => {
    const issuer = new JoseTokenIssuer(ed25519Key, OPTIONS, fakeClock());
    const token = await issuer.issueLoginToken(USER);

    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), {
      algorithms: ['EdDSA'],
      audience: 'shop',
      currentDate: START,
    });

    expect(payload.sub).toBe(USER.id);
  });
});

describe('JoseTokenIssuer bind tokens', () => {
  it('returns the Weibo uid of a bind token it issued', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const token = await issuer.issueBindToken(UID);

    await expect(issuer.verifyBindToken(token)).resolves.toBe(UID);
  });

  it('round-trips a bind token signed with an Ed25519 key', async () => {
    const issuer = new JoseTokenIssuer(ed25519Key, OPTIONS, fakeClock());
    const token = await issuer.issueBindToken(UID);

    await expect(issuer.verifyBindToken(token)).resolves.toBe(UID);
  });

  it('marks bind tokens with their own typ, audience, lifetime and a random jti', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const first = await issuer.issueBindToken(UID);
    const second = await issuer.issueBindToken(UID);

    const { payload } = await jwtVerify(first, key.publicJwk, {
      audience: BIND_TOKEN_AUDIENCE,
      currentDate: START,
    });
    const secondJti = (await jwtVerify(second, key.publicJwk, { currentDate: START })).payload.jti;

    expect(decodeProtectedHeader(first)).toEqual({
      alg: 'ES256',
      kid: key.kid,
      typ: 'weibo-bind+jwt',
    });
    expect(payload).toMatchObject({ iss: 'weibo-auth', sub: UID, exp: START_SECONDS + 900 });
    expect(payload.jti).toEqual(expect.any(String));
    expect(secondJti).not.toBe(payload.jti);
  });

  it('accepts a bind token until just before it expires', async () => {
    const clock = fakeClock();
    const issuer = new JoseTokenIssuer(key, OPTIONS, clock);
    const token = await issuer.issueBindToken(UID);

    clock.advance(899);

    await expect(issuer.verifyBindToken(token)).resolves.toBe(UID);
  });

  it('refuses an expired bind token', async () => {
    const clock = fakeClock();
    const issuer = new JoseTokenIssuer(key, OPTIONS, clock);
    const token = await issuer.issueBindToken(UID);

    clock.advance(900);

    await expect(issuer.verifyBindToken(token)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a bind token signed with another key', async () => {
    const forger = new JoseTokenIssuer(otherKey, OPTIONS, fakeClock());
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const forged = await forger.issueBindToken(UID);

    await expect(issuer.verifyBindToken(forged)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a bind token whose uid was changed after signing', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const tampered = withClaim(await issuer.issueBindToken(UID), 'sub', '9876543210');

    await expect(issuer.verifyBindToken(tampered)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a bind token from another issuer', async () => {
    const foreign = new JoseTokenIssuer(key, { ...OPTIONS, issuer: 'someone-else' }, fakeClock());
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const token = await foreign.issueBindToken(UID);

    await expect(issuer.verifyBindToken(token)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a login token presented as a bind token', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const loginToken = await issuer.issueLoginToken({ ...USER, id: UID });

    await expect(issuer.verifyBindToken(loginToken)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a token with every bind claim but the login typ', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const mistyped = await signLikeABindToken({ typ: 'JWT', sub: UID });

    await expect(issuer.verifyBindToken(mistyped)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a well-signed bind token whose subject is not a Weibo uid', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const notAUid = await signLikeABindToken({ typ: 'weibo-bind+jwt', sub: 'alice' });

    await expect(issuer.verifyBindToken(notAUid)).rejects.toThrow(BindTokenInvalid);
  });

  it('does not let a bind token pass as a login token', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const bindToken = await issuer.issueBindToken(UID);

    await expect(
      jwtVerify(bindToken, createLocalJWKSet(issuer.jwks()), {
        audience: OPTIONS.audience,
        typ: 'JWT',
        currentDate: START,
      }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });

  it('refuses garbage with BindTokenInvalid rather than a jose error', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());

    for (const garbage of ['', 'not-a-jwt', 'a.b.c', `${'x'.repeat(40)}.${'y'.repeat(40)}.`]) {
      await expect(issuer.verifyBindToken(garbage)).rejects.toThrow(BindTokenInvalid);
    }
  });

  it('refuses to issue a bind token for a uid that is not 1 to 20 digits', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());

    await expect(issuer.issueBindToken('12ab')).rejects.toThrow(/1 to 20 digits/);
  });
});

describe('JoseTokenIssuer verifying login tokens', () => {
  it('returns the user of a login token it issued, until just before it expires', async () => {
    const clock = fakeClock();
    const issuer = new JoseTokenIssuer(key, OPTIONS, clock);
    const token = await issuer.issueLoginToken(USER);
    clock.advance(OPTIONS.loginTtlSeconds - 1);
    expect(await issuer.verifyLoginToken(token)).toEqual(USER);
  });

  it('refuses an expired, forged, foreign or bind token with NotSignedIn', async () => {
    const clock = fakeClock();
    const issuer = new JoseTokenIssuer(key, OPTIONS, clock);
    const valid = await issuer.issueLoginToken(USER);
    expect(await issuer.verifyLoginToken(valid)).toEqual(USER);
    const refused = [
      withClaim(valid, 'sub', 'someone-else'),
      await new JoseTokenIssuer(otherKey, OPTIONS, clock).issueLoginToken(USER),
      await new JoseTokenIssuer(key, { ...OPTIONS, audience: 'other' }, clock).issueLoginToken(
        USER,
      ),
      await new JoseTokenIssuer(key, { ...OPTIONS, issuer: 'other' }, clock).issueLoginToken(USER),
      await issuer.issueBindToken(UID),
      // alg "none": the header says no signature, the signature is dropped.
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${valid.split('.')[1]}.`,
      'not-a-jwt',
    ];
    for (const token of refused) {
      await expect(issuer.verifyLoginToken(token), token).rejects.toThrow(NotSignedIn);
    }
    clock.advance(OPTIONS.loginTtlSeconds);
    await expect(issuer.verifyLoginToken(valid)).rejects.toThrow(NotSignedIn);
  });

  it('refuses a token it verified before once it expires, and never lets a changed copy pass', async () => {
    const clock = fakeClock();
    const issuer = new JoseTokenIssuer(key, OPTIONS, clock);
    const token = await issuer.issueLoginToken(USER);
    expect(await issuer.verifyLoginToken(token)).toEqual(USER);
    expect(await issuer.verifyLoginToken(token)).toEqual(USER);
    for (const changed of [
      withClaim(token, 'sub', 'someone-else'),
      withClaim(token, 'exp', START_SECONDS + 10 * OPTIONS.loginTtlSeconds),
      `${token}x`,
      token.slice(0, -1),
    ]) {
      await expect(issuer.verifyLoginToken(changed), changed).rejects.toThrow(NotSignedIn);
    }
    clock.advance(OPTIONS.loginTtlSeconds - 1);
    expect(await issuer.verifyLoginToken(token)).toEqual(USER);
    clock.advance(1);
    await expect(issuer.verifyLoginToken(token)).rejects.toThrow(NotSignedIn);
  });

  it('puts the session id in the `sid` claim and returns it from the token', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const other = { ...USER, sessionId: 'another-session' };
    const token = await issuer.issueLoginToken(other);

    const { payload } = await jwtVerify(token, key.publicJwk, { currentDate: START });

    expect(payload.sid).toBe('another-session');
    await expect(issuer.verifyLoginToken(token)).resolves.toEqual(other);
  });

  it('refuses a login token whose session was changed after signing', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const tampered = withClaim(await issuer.issueLoginToken(USER), 'sid', 'another-session');

    await expect(issuer.verifyLoginToken(tampered)).rejects.toThrow(NotSignedIn);
  });

  it('refuses a well-signed login token without a `sid` claim with NotSignedIn', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const withSid = await signLikeALoginToken({ sid: USER.sessionId });
    const withoutSid = await signLikeALoginToken({});

    await expect(issuer.verifyLoginToken(withSid)).resolves.toEqual(USER);
    await expect(issuer.verifyLoginToken(withoutSid)).rejects.toThrow(NotSignedIn);
  });

  it('refuses a well-signed login token whose `sid` is not a string with NotSignedIn', async () => {
    const issuer = new JoseTokenIssuer(key, OPTIONS, fakeClock());
    const token = await signLikeALoginToken({ sid: 42 });

    await expect(issuer.verifyLoginToken(token)).rejects.toThrow(NotSignedIn);
  });
});

describe('JoseTokenIssuer after a key rotation', () => {
  let oldKey: SigningKey;
  let oldPublicKeys: VerificationKey[];
  let newKey: SigningKey;

  beforeAll(async () => {
    const old = await generateSigningKey();
    oldKey = old.key;
    const publicPem = createPublicKey(old.pkcs8Pem).export({ type: 'spki', format: 'pem' });
    oldPublicKeys = await loadVerificationKeys(publicPem.toString());
    newKey = (await generateSigningKey()).key;
  });

  const beforeRotation = (clock = fakeClock()) => new JoseTokenIssuer(oldKey, OPTIONS, clock);
  const afterRotation = (clock = fakeClock()) =>
    new JoseTokenIssuer(newKey, OPTIONS, clock, oldPublicKeys);

  it('signs login and bind tokens with the current key only', async () => {
    const issuer = afterRotation();

    const tokens = [await issuer.issueLoginToken(USER), await issuer.issueBindToken(UID)];

    for (const token of tokens) {
      expect(decodeProtectedHeader(token).kid).toBe(newKey.kid);
      await expect(jwtVerify(token, newKey.publicJwk, { currentDate: START })).resolves.toEqual(
        expect.objectContaining({ payload: expect.any(Object) }),
      );
      await expect(jwtVerify(token, oldKey.publicJwk, { currentDate: START })).rejects.toThrow();
    }
  });

  it('accepts login and bind tokens signed with a previous key', async () => {
    const loginToken = await beforeRotation().issueLoginToken(USER);
    const bindToken = await beforeRotation().issueBindToken(UID);

    expect(await afterRotation().verifyLoginToken(loginToken)).toEqual(USER);
    expect(await afterRotation().verifyBindToken(bindToken)).toBe(UID);
  });

  it('still refuses a previous key’s token once it has expired', async () => {
    const clock = fakeClock();
    const loginToken = await beforeRotation(clock).issueLoginToken(USER);
    clock.advance(OPTIONS.loginTtlSeconds);

    await expect(afterRotation(clock).verifyLoginToken(loginToken)).rejects.toThrow(NotSignedIn);
  });

  it('refuses the tokens of a key no longer listed', async () => {
    const loginToken = await beforeRotation().issueLoginToken(USER);
    const bindToken = await beforeRotation().issueBindToken(UID);
    const dropped = new JoseTokenIssuer(newKey, OPTIONS, fakeClock());

    await expect(dropped.verifyLoginToken(loginToken)).rejects.toThrow(NotSignedIn);
    await expect(dropped.verifyBindToken(bindToken)).rejects.toThrow(BindTokenInvalid);
  });

  it('refuses a token naming a previous key but signed with another key', async () => {
    const forged = await new SignJWT({ username: USER.username, sid: USER.sessionId })
      .setProtectedHeader({ alg: 'ES256', kid: oldKey.kid, typ: 'JWT' })
      .setIssuer(OPTIONS.issuer)
      .setAudience(OPTIONS.audience)
      .setSubject(USER.id)
      .setIssuedAt(START_SECONDS)
      .setExpirationTime(START_SECONDS + 60)
      .sign(otherKey.privateKey);

    await expect(afterRotation().verifyLoginToken(forged)).rejects.toThrow(NotSignedIn);
  });

  it('refuses a token with no kid, an unknown kid, or an algorithm not its key’s', async () => {
    const issuer = new JoseTokenIssuer(newKey, OPTIONS, fakeClock(), [ed25519Key]);
    const signed = (header: { alg: string; kid?: string }) =>
      new SignJWT({ username: USER.username, sid: USER.sessionId })
        .setProtectedHeader({ ...header, typ: 'JWT' })
        .setIssuer(OPTIONS.issuer)
        .setAudience(OPTIONS.audience)
        .setSubject(USER.id)
        .setIssuedAt(START_SECONDS)
        .setExpirationTime(START_SECONDS + 60)
        .sign(newKey.privateKey);

    expect(await issuer.verifyLoginToken(await signed({ alg: 'ES256', kid: newKey.kid }))).toEqual(
      USER,
    );
    for (const header of [
      { alg: 'ES256' },
      { alg: 'ES256', kid: otherKey.kid },
      // The Ed25519 previous key allows EdDSA only, although ES256 is allowed for the current one.
      { alg: 'ES256', kid: ed25519Key.kid },
    ]) {
      const token = await signed(header);
      await expect(issuer.verifyLoginToken(token), JSON.stringify(header)).rejects.toThrow(
        NotSignedIn,
      );
    }
  });

  it('publishes the current key first, then each previous key once', () => {
    const issuer = new JoseTokenIssuer(newKey, OPTIONS, fakeClock(), [
      ...oldPublicKeys,
      ed25519Key,
      ...oldPublicKeys,
      newKey,
    ]);

    const { keys } = issuer.jwks();

    expect(keys.map((key) => key.kid)).toEqual([newKey.kid, oldKey.kid, ed25519Key.kid]);
    expect(keys.map((key) => key.alg)).toEqual(['ES256', 'ES256', 'EdDSA']);
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });

  it('lets a JWKS verifier check a previous key’s token with the published keys', async () => {
    const loginToken = await beforeRotation().issueLoginToken(USER);

    const { payload } = await jwtVerify(loginToken, createLocalJWKSet(afterRotation().jwks()), {
      issuer: OPTIONS.issuer,
      audience: OPTIONS.audience,
      currentDate: START,
    });

    expect(payload.sub).toBe(USER.id);
  });
});
