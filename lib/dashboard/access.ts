// Request checks: a random token (query, bearer header or cookie) and a Host header naming the bound address.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostPort, isLoopback, isWildcard } from './address.js';

/** The cookie the page gets once it was opened with the right token, so its scripts and event stream need no URL. */
export const TOKEN_COOKIE = 'tunefeed_dashboard';

/** Cookies ignore ports: each dashboard names its cookie after its port, so two of them on one host do not clash. */
export function cookieName(port: number): string {
  return `${TOKEN_COOKIE}_${port}`;
}

/** A fresh 128-bit token, URL-safe. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/** What a request presented as its token: `?token=`, `Authorization: Bearer`, or the page's cookie. */
export function presentedToken(req: IncomingMessage, url: URL, cookie: string): string | null {
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === cookie) return v.join('=');
  }
  return null;
}

/** Constant-time comparison, so response timing does not leak how much of a guess was right. */
export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Host names a browser may send for this server. A page on another origin that re-resolves its own name to this
 * address (DNS rebinding) sends its own name, which is not in the set. On a wildcard bind any name is accepted:
 * the user chose to expose the port, and the token still guards it.
 */
export function allowedHosts(host: string, port: number): Set<string> | null {
  if (isWildcard(host)) return null;
  const names = new Set([hostPort(host, port).toLowerCase()]);
  if (isLoopback(host)) for (const h of ['127.0.0.1', 'localhost', '::1']) names.add(hostPort(h, port));
  return names;
}

/** 0 when the request may proceed, else the HTTP status to answer with (403 wrong Host, 401 no or wrong token). */
export function checkRequest(
  req: IncomingMessage,
  url: URL,
  access: { token: string; hosts: Set<string> | null; cookie: string },
): 0 | 401 | 403 {
  if (access.hosts && !access.hosts.has((req.headers.host ?? '').toLowerCase())) return 403;
  return tokenMatches(access.token, presentedToken(req, url, access.cookie)) ? 0 : 401;
}
