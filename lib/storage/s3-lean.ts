// Lean S3 GET: one signed node:http(s) request on the backend's own agents, for hot small reads (no SDK middleware).
import http from 'node:http';
import https from 'node:https';
import { encodeS3Path, signS3Request } from './sigv4.js';
import type { AwsDescription } from './s3-client.js';

/** An S3 error shaped like the SDK's, so the same retry classifier and error mapping apply. */
export class LeanS3Error extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(
    readonly code: string,
    status: number,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/** Base URL parts for the bucket: path style on an endpoint, virtual-hosted on AWS. */
export function leanTarget(d: AwsDescription): {
  protocol: 'http:' | 'https:';
  host: string;
  port: number | undefined;
  prefix: string;
} {
  if (d.endpoint) {
    const u = new URL(d.endpoint);
    const pathStyle = d.forcePathStyle;
    return {
      protocol: u.protocol as 'http:' | 'https:',
      host: pathStyle ? u.host : `${d.bucket}.${u.host}`,
      port: u.port ? Number(u.port) : undefined,
      prefix: pathStyle ? `/${encodeS3Path(d.bucket)}` : '',
    };
  }
  // Dotted bucket names break TLS on virtual hosts: path style for those.
  if (d.bucket.includes('.'))
    return {
      protocol: 'https:',
      host: `s3.${d.region}.amazonaws.com`,
      port: undefined,
      prefix: `/${encodeS3Path(d.bucket)}`,
    };
  return { protocol: 'https:', host: `${d.bucket}.s3.${d.region}.amazonaws.com`, port: undefined, prefix: '' };
}

/** A GET's body and the response headers it came with (ETag, Last-Modified: the identity of what was read). */
export interface LeanResponse {
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

/** GET `key` (optionally a byte range); 416 → empty buffer; other non-2xx → LeanS3Error; short bodies → error. */
export async function leanGet(
  d: AwsDescription,
  agents: { http: http.Agent; https: https.Agent },
  key: string,
  range: string | undefined,
  signal: AbortSignal,
): Promise<Buffer> {
  return (await leanGetWithHeaders(d, agents, key, range, signal)).body;
}

/** As leanGet, with the response headers (a read cache stores the ETag without a separate HEAD). */
export function leanGetWithHeaders(
  d: AwsDescription,
  agents: { http: http.Agent; https: https.Agent },
  key: string,
  range: string | undefined,
  signal: AbortSignal,
): Promise<LeanResponse> {
  const t = leanTarget(d);
  const path = `${t.prefix}/${encodeS3Path(key)}`;
  const headers = signS3Request({
    method: 'GET',
    host: t.host,
    path,
    region: d.region,
    accessKeyId: d.accessKeyId!,
    secretAccessKey: d.secretAccessKey!,
    ...(d.sessionToken ? { sessionToken: d.sessionToken } : {}),
    ...(range ? { headers: { range } } : {}),
  });
  const mod = t.protocol === 'https:' ? https : http;
  return new Promise<LeanResponse>((resolve, reject) => {
    const req = mod.request({
      protocol: t.protocol,
      host: t.host.replace(/:\d+$/, ''),
      port: t.port,
      path,
      method: 'GET',
      headers,
      agent: t.protocol === 'https:' ? agents.https : agents.http,
      signal,
      timeout: d.connectTimeoutMs,
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('connection timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.on('response', (res) => {
      req.setTimeout(d.requestTimeoutMs);
      // An empty object: done, whatever body follows (s3rver sends a bogus 206 "bytes 0-0/0" and drops the connection).
      if (/\/0$/.test(String(res.headers['content-range'] ?? ''))) {
        res.destroy();
        return resolve({ body: Buffer.alloc(0), headers: res.headers });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        if (status === 416) return resolve({ body: Buffer.alloc(0), headers: res.headers });
        if (status < 200 || status >= 300) {
          const code =
            /<Code>([^<]+)<\/Code>/.exec(body.toString('utf8'))?.[1] ??
            (status === 404 ? 'NoSuchKey' : `Http${status}`);
          return reject(
            new LeanS3Error(
              code,
              status,
              /<Message>([^<]*)<\/Message>/.exec(body.toString('utf8'))?.[1] ?? `HTTP ${status}`,
            ),
          );
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && body.length !== declared)
          return reject(
            Object.assign(new Error(`body has ${body.length} of ${declared} bytes`), { name: 'TruncatedBody' }),
          );
        resolve({ body, headers: res.headers });
      });
    });
    req.end();
  });
}
