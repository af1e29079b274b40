// Which URLs data may make us fetch: http(s) only, and no private, loopback or link-local targets unless allowed.
import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';

/** True for addresses that reach the local machine or a private network (IPv4 and IPv6, mapped forms included). */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return privateV4(address);
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return privateV4(mapped[1]);
  if (a === '::' || a === '::1') return true;
  // fc00::/7 unique local, fe80::/10 link local, ff00::/8 multicast
  return /^f[cd]/.test(a) || /^fe[89ab]/.test(a) || a.startsWith('ff');
}

function privateV4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** Why a URL may not be fetched at all (scheme, credentials in the URL), or null. */
export function urlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme ${u.protocol} is not http or https`;
  if (u.username || u.password) return 'credentials inside the URL are not allowed';
  return null;
}

/** Thrown from the lookup hook when a name resolves to a private address. */
export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';
  readonly code = 'ERR_TF_PRIVATE_ADDRESS';
}

/**
 * A DNS lookup for http.request that refuses private targets after resolution, so a public name that resolves to
 * 127.0.0.1 (DNS rebinding) is refused too. Literal IPs go through the same hook.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction | undefined {
  if (allowPrivate) return undefined;
  return (
    hostname: string,
    options: dns.LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
  ) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses;
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad)
        return callback(new PrivateAddressError(`${hostname} resolves to private address ${bad.address}`), '', 0);
      if (options.all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}
