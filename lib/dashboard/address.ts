// Parses `--dashboard [HOST:]PORT` into a bind address; loopback unless the user names another host.
import { UsageError } from '../errors.js';

/** Where the dashboard listens. */
export interface DashboardAddress {
  /** Interface to bind. @default '127.0.0.1' */
  host: string;
  /** TCP port; 0 asks the OS for a free one. */
  port: number;
}

const PORT = /^\d{1,5}$/;

/** True for the addresses of this machine only (no other host can connect). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** True for the bind-everything addresses, where the Host header cannot be checked against one name. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function badAddress(value: string): UsageError {
  return new UsageError(
    `Expected \`--dashboard\` to be [HOST:]PORT with PORT from 0 to 65535 (0 = any free port), got \`${value}\``,
    { field: 'dashboard' },
  );
}

/** `8080` → 127.0.0.1:8080, `0` → a free port, `0.0.0.0:8080`, `[::1]:8080`, `myhost:8080`. */
export function parseDashboardAddress(value: string | number): DashboardAddress {
  const text = String(value).trim();
  const colon = text.lastIndexOf(':');
  const rawHost = colon === -1 ? '' : text.slice(0, colon);
  const rawPort = colon === -1 ? text : text.slice(colon + 1);
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  if (!PORT.test(rawPort) || Number(rawPort) > 65535) throw badAddress(text);
  if (colon !== -1 && (host === '' || /[\s/?#@]/.test(host))) throw badAddress(text);
  return { host: host || '127.0.0.1', port: Number(rawPort) };
}

/** `host:port` as it appears in a URL and in a browser's Host header (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
