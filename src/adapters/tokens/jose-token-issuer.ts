import { randomBytes } from 'node:crypto';
import { type JWK, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose';
import type { Clock, LoginTokenSubject, TokenIssuer } from '../../application/ports.ts';
import { BindTokenInvalid, NotSignedIn } from '../../domain/errors.ts';
import type { SigningKey, VerificationKey } from './signing-key.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/** Audience of bind tokens, distinct from the login audience so neither passes for the other. */
export const BIND_TOKEN_AUDIENCE = 'weibo-auth:bind';
const BIND_TOKEN_TYPE = 'weibo-bind+jwt';
const LOGIN_TOKEN_TYPE = 'JWT';

const WEIBO_UID = /^\d{1,20}$/;

export interface TokenIssuerOptions {
  issuer: string;
  /** Audience of login tokens, i.e. the services that accept them. */
  audience: string;
  loginTtlSeconds: number;
  bindTtlSeconds: number;
}

/**
 * Signs with the current key only; verifies with the current key and the keys a rotation
 * retired (`previousKeys`), the one named by the token's `kid`, with that key's own algorithm.
 */
export class JoseTokenIssuer implements TokenIssuer {
  /** By kid, the current key first: a key given twice is kept (and published) once. */
  private readonly keys: ReadonlyMap<string, VerificationKey>;
  private readonly algorithms: string[];
  /** Login tokens that passed every check, until their `exp`: a signed-in client repeats one. */
  private readonly verified = new VerifiedTokens<LoginTokenSubject>();

  constructor(
    private readonly key: SigningKey,
    private readonly options: TokenIssuerOptions,
    private readonly clock: Clock,
    previousKeys: readonly VerificationKey[] = [],
  ) {
    const keys = new Map<string, VerificationKey>();
    for (const known of [key, ...previousKeys]) {
      if (!keys.has(known.kid)) keys.set(known.kid, known);
    }
    this.keys = keys;
    this.algorithms = [...new Set([...keys.values()].map((known) => known.alg))];
  }

  async issueLoginToken(user: LoginTokenSubject): Promise<string> {
    const now = this.nowInSeconds();
    return new SignJWT({ username: user.username, sid: user.sessionId })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: LOGIN_TOKEN_TYPE })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(user.id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.loginTtlSeconds)
      .sign(this.key.privateKey);
  }

  async issueBindToken(weiboUid: string): Promise<string> {
    // Fail loudly here rather than hand out a token that verifyBindToken would always refuse.
    if (!WEIBO_UID.test(weiboUid)) throw new Error('Weibo uid must be 1 to 20 digits');
    const now = this.nowInSeconds();
    return new SignJWT({})
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: BIND_TOKEN_TYPE })
      .setIssuer(this.options.issuer)
      .setAudience(BIND_TOKEN_AUDIENCE)
      .setSubject(weiboUid)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.bindTtlSeconds)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(this.key.privateKey);
  }

  async verifyBindToken(token: string): Promise<string> {
    let subject: unknown;
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyOf(header), {
        algorithms: this.algorithms,
        issuer: this.options.issuer,
        audience: BIND_TOKEN_AUDIENCE,
        typ: BIND_TOKEN_TYPE,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      });
      subject = payload.sub;
    } catch (error) {
      throw new BindTokenInvalid('Bind token is invalid or expired', { cause: error });
    }
    if (typeof subject !== 'string' || !WEIBO_UID.test(subject)) {
      throw new BindTokenInvalid('Bind token does not carry a Weibo uid');
    }
    return subject;
  }

  async verifyLoginToken(token: string): Promise<LoginTokenSubject> {
    const now = this.clock.now();
    // jose's own test: expired once `exp` is not after the current whole second.
    const known = this.verified.get(token, Math.floor(now.getTime() / 1000));
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyOf(header), {
        algorithms: this.algorithms,
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: LOGIN_TOKEN_TYPE,
        currentDate: now,
        requiredClaims: ['sub', 'iat', 'exp', 'sid'],
      });
      const { sub: id, username, sid: sessionId, exp } = payload;
      if (typeof id === 'string' && typeof username === 'string' && typeof sessionId === 'string') {
        const subject = { id, username, sessionId };
        this.verified.set(token, subject, exp as number);
        return subject;
      }
    } catch (error) {
      throw new NotSignedIn('Login token is invalid or expired', { cause: error });
    }
    throw new NotSignedIn('Login token carries no user');
  }

  /** The public keys for `GET /.well-known/jwks.json`: the current one, then the previous ones. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].map((known) => ({ ...known.publicJwk })) };
  }

  /** The key a token names; its header's `alg` must be that key's own. */
  private keyOf(header: JWTHeaderParameters): JWK {
    const known = header.kid === undefined ? undefined : this.keys.get(header.kid);
    if (!known) throw new Error('The token names no key of this service');
    if (header.alg !== known.alg) throw new Error('The token names another algorithm than its key');
    return known.publicJwk;
  }

  private nowInSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
