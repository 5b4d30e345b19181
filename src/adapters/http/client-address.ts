import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Requester } from '../../domain/audit.ts';

/**
 * The address a request is counted under: the socket's peer, or with `trustProxy` the last
 * `X-Forwarded-For` hop, which our own load balancer appended (earlier hops are the client's
 * word). Null when the request did not come through a socket (e.g. `app.request` in tests).
 */
export function clientAddress(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const lastHop = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (lastHop && isIP(withoutZone(lastHop))) return lastHop;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/**
 * The rate-limit bucket of an address: an IPv4 address alone, an IPv6 address by its /64,
 * since one subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function addressBucket(address: string): string {
  const ip = withoutZone(address);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIP(ip) !== 6) return ip;
  return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
}

function withoutZone(address: string): string {
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

/** The eight groups of an IPv6 address, each as a 4-digit lowercase hex string. */
function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.toLowerCase().split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const withEmbeddedIpv4 = (parts: string[]) =>
    parts.flatMap((part) => {
      if (!part.includes('.')) return [part];
      const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const left = withEmbeddedIpv4(groups(head));
  const right = withEmbeddedIpv4(groups(tail));
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.padStart(4, '0'));
}

/**
 * Who asks, for the audit log and the calls to Weibo: the client's address as the rate limiter
 * sees it, its user agent, and the session of a signed-in request.
 */
export function requesterOf(c: Context, trustProxy: boolean, sessionId?: string): Requester {
  const ip = clientAddress(c, trustProxy) ?? undefined;
  const userAgent = c.req.header('user-agent');
  return { ip, userAgent, ...(sessionId && { sessionId }) };
}
