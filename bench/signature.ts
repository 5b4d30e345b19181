/**
 * The CPU of one login token's signature, one at a time, each way it could be made: jose
 * (WebCrypto) against node:crypto `sign` with a KeyObject, for ES256 and EdDSA.
 * `node --import tsx bench/signature.ts`
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';

const ROUNDS = 5_000;
const claims = {
  username: 'alice',
  sid: crypto.randomUUID(),
  iss: 'weibo-auth',
  aud: 'weibo-auth',
};

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function nodeSign(alg: 'ES256' | 'EdDSA', key: KeyObject): () => Promise<string> {
  return async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = encode({ alg, kid: 'k', typ: 'JWT' });
    const payload = encode({ ...claims, sub: 'u', iat: now, exp: now + 3600 });
    const input = `${header}.${payload}`;
    const signature =
      alg === 'ES256'
        ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
        : sign(null, Buffer.from(input), key);
    return `${input}.${signature.toString('base64url')}`;
  };
}

async function joseSign(alg: 'ES256' | 'EdDSA', pem: string): Promise<() => Promise<string>> {
  const key = await importPKCS8(pem, alg);
  return async () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: 'k', typ: 'JWT' })
      .setSubject('u')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key);
  };
}

for (const [alg, type] of [
  ['ES256', 'ec'],
  ['EdDSA', 'ed25519'],
] as const) {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  for (const [name, signer] of [
    [`${alg} jose (WebCrypto)`, await joseSign(alg, pem)],
    [`${alg} node:crypto sign, KeyObject`, nodeSign(alg, privateKey)],
  ] as const) {
    for (let i = 0; i < 500; i += 1) await signer();
    const start = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i += 1) await signer();
    const cpu = process.cpuUsage(start);
    console.log(
      `${name.padEnd(34)} ${((cpu.user + cpu.system) / ROUNDS).toFixed(1).padStart(6)} µs CPU per token`,
    );
  }
}
