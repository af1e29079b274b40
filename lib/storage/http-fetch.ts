// One HTTP GET with limits: per-hop URL policy, redirects re-checked, size cap, content-type check, timeouts.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { guardedLookup, isPrivateAddress, urlProblem } from './net-policy.js';
import { networkReason } from './retry.js';

/** Limits for one GET. */
export interface FetchLimits {
  /** Refuse bodies larger than this (Content-Length or counted). */
  maxBytes: number;
  /** Redirects followed before giving up. @default 5 */
  maxRedirects?: number;
  /** Connect + response-headers timeout, ms. */
  connectTimeoutMs: number;
  /** No byte for this long = timeout. */
  idleTimeoutMs: number;
  /** Allow loopback/private targets (tests, intranet mirrors). */
  allowPrivate: boolean;
  /** Accepted content-type prefixes (lower case); empty = any. */
  contentTypes?: readonly string[];
  headers?: Record<string, string>;
  /** `bytes=a-b` */
  range?: string;
  agents?: { http: http.Agent; https: https.Agent };
}

/**
 * A failed GET: `reason` is stable (http_404, too_large, content_type, redirect_loop, ...), `permanent` says whether
 * retrying can help.
 */
export class FetchFailure extends Error {
  override readonly name = 'FetchFailure';
  constructor(
    message: string,
    readonly reason: string,
    readonly status: number | undefined,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Retry reason for a GET failure: transient HTTP statuses and network errors; null for permanent ones and policy
 * refusals.
 */
export function fetchRetryReason(err: unknown): string | null {
  if (err instanceof FetchFailure) return err.permanent ? null : err.reason;
  const e = err as { name?: string; cause?: { name?: string } };
  if (e?.name === 'PrivateAddressError' || e?.cause?.name === 'PrivateAddressError') return null;
  return networkReason(err);
}

export interface FetchResult {
  status: number;
  body: Buffer;
  contentType: string;
  finalUrl: string;
  headers: http.IncomingHttpHeaders;
}

/** GET `url` following redirects; rejects with FetchFailure (or a network error, which callers treat as transient). */
export async function fetchLimited(url: string, limits: FetchLimits, signal: AbortSignal): Promise<FetchResult> {
  const seen = new Set<string>();
  let current = url;
  for (let hop = 0; ; hop++) {
    const problem = urlProblem(current);
    if (problem) throw new FetchFailure(`refused ${current}: ${problem}`, 'bad_url', undefined, true);
    if (!limits.allowPrivate) literalCheck(current);
    if (seen.has(current)) throw new FetchFailure(`redirect loop at ${current}`, 'redirect_loop', undefined, true);
    seen.add(current);
    const res = await requestOnce(current, limits, signal);
    if (res.status >= 300 && res.status < 400 && res.location !== undefined) {
      if (hop >= (limits.maxRedirects ?? 5))
        throw new FetchFailure(
          `more than ${limits.maxRedirects ?? 5} redirects`,
          'too_many_redirects',
          res.status,
          true,
        );
      const next = new URL(res.location, current);
      // Credentials go to the origin that was asked, never to another host a redirect points at (e.g. a CDN).
      if (next.origin !== new URL(current).origin && limits.headers?.authorization)
        limits = { ...limits, headers: withoutAuth(limits.headers) };
      current = next.toString();
      continue;
    }
    return {
      status: res.status,
      body: res.body,
      contentType: res.contentType,
      finalUrl: current,
      headers: res.headers,
    };
  }
}

function withoutAuth(h: Record<string, string>): Record<string, string> {
  const { authorization: _drop, ...rest } = h;
  return rest;
}

/** Node skips the lookup hook for IP literals, so those are checked here. */
function literalCheck(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && isPrivateAddress(host))
    throw new FetchFailure(
      `${host} is a private or loopback address (set csv_allow_private_hosts to allow)`,
      'private_address',
      undefined,
      true,
    );
}

interface RawResponse {
  status: number;
  body: Buffer;
  contentType: string;
  location?: string;
  headers: http.IncomingHttpHeaders;
}

function requestOnce(url: string, limits: FetchLimits, signal: AbortSignal): Promise<RawResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const lookup = guardedLookup(limits.allowPrivate);
  const headers: Record<string, string> = {
    'user-agent': 'tunefeed',
    accept: '*/*',
    ...limits.headers,
    ...(limits.range ? { range: limits.range } : {}),
  };
  return new Promise<RawResponse>((resolve, reject) => {
    const req = mod.request(u, {
      method: 'GET',
      headers,
      signal,
      timeout: limits.connectTimeoutMs,
      ...(lookup ? { lookup } : {}),
      ...(limits.agents ? { agent: u.protocol === 'https:' ? limits.agents.https : limits.agents.http } : {}),
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error(`no response within ${limits.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.on('response', (res) => {
      req.setTimeout(limits.idleTimeoutMs);
      // Settle first: destroying emits 'aborted', whose ECONNRESET would otherwise win and hide the real reason
      // (too_large).
      onResponse(res, limits, resolve, (e) => {
        reject(e);
        res.destroy();
        req.destroy();
      });
    });
    req.end();
  });
}

function onResponse(
  res: http.IncomingMessage,
  limits: FetchLimits,
  resolve: (r: RawResponse) => void,
  fail: (e: Error) => void,
): void {
  const status = res.statusCode ?? 0;
  const contentType = String(res.headers['content-type'] ?? '').toLowerCase();
  const location = status >= 300 && status < 400 ? res.headers.location : undefined;
  if (location !== undefined) {
    res.resume();
    resolve({ status, body: Buffer.alloc(0), contentType, location, headers: res.headers });
    return;
  }
  if (status >= 400 || status < 200) {
    res.resume();
    const transient = status >= 500 || status === 429 || status === 408;
    fail(new FetchFailure(`HTTP ${status}`, `http_${status}`, status, !transient));
    return;
  }
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limits.maxBytes)
    return fail(
      new FetchFailure(
        `Content-Length ${declared} exceeds the ${limits.maxBytes}-byte limit`,
        'too_large',
        status,
        true,
      ),
    );
  if (limits.contentTypes?.length && !limits.contentTypes.some((p) => contentType.startsWith(p))) {
    return fail(
      new FetchFailure(
        `content-type "${contentType || 'none'}" is not one of ${limits.contentTypes.join(', ')}`,
        'content_type',
        status,
        true,
      ),
    );
  }
  const chunks: Buffer[] = [];
  let got = 0;
  res.on('data', (c: Buffer) => {
    got += c.length;
    if (got > limits.maxBytes)
      return fail(new FetchFailure(`body exceeds the ${limits.maxBytes}-byte limit`, 'too_large', status, true));
    chunks.push(c);
  });
  res.on('error', fail);
  res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    if (Number.isFinite(declared) && body.length !== declared)
      return fail(Object.assign(new Error(`body has ${body.length} of ${declared} bytes`), { name: 'TruncatedBody' }));
    resolve({ status, body, contentType, headers: res.headers });
  });
}
