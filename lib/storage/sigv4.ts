// AWS Signature Version 4 for S3 GET/HEAD requests with node:crypto: the lean path that skips the SDK's middleware.
import { createHash, createHmac } from 'node:crypto';

/** What a signature needs. */
export interface SigV4Input {
  method: 'GET' | 'HEAD';
  host: string;
  /** Already-encoded path, e.g. `/bucket/a%20b.png` (S3 encodes each segment once). */
  path: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Extra headers to sign (lower-case names), e.g. `range`. */
  headers?: Record<string, string>;
  date?: Date;
}

const UNSIGNED = 'UNSIGNED-PAYLOAD';
const keyCache = new Map<string, Map<string, Buffer>>();

/** The headers to send: host, x-amz-date, x-amz-content-sha256, the token if any, the extras, and Authorization. */
export function signS3Request(i: SigV4Input): Record<string, string> {
  const amzDate = (i.date ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...i.headers,
    host: i.host,
    'x-amz-content-sha256': UNSIGNED,
    'x-amz-date': amzDate,
  };
  if (i.sessionToken) headers['x-amz-security-token'] = i.sessionToken;
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names.map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonical = [i.method, i.path, '', canonicalHeaders, signedHeaders, UNSIGNED].join('\n');
  const scope = `${day}/${i.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const signature = createHmac('sha256', signingKey(i.secretAccessKey, day, i.region))
    .update(toSign)
    .digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${i.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** kSigning for a day and region; cached per secret (one HMAC chain per day instead of four per request). */
function signingKey(secret: string, day: string, region: string): Buffer {
  // Keyed by the secret itself (already in memory) so a lookup costs no hashing on the hot path.
  let bySecret = keyCache.get(secret);
  if (!bySecret) {
    if (keyCache.size > 16) keyCache.clear();
    bySecret = new Map();
    keyCache.set(secret, bySecret);
  }
  const id = `${day}/${region}`;
  let k = bySecret.get(id);
  if (!k) {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(day).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update('s3').digest();
    k = createHmac('sha256', kService).update('aws4_request').digest();
    if (bySecret.size > 64) bySecret.clear();
    bySecret.set(id, k);
  }
  return k;
}

/** S3's path encoding: every byte except unreserved characters, `/` kept between segments. */
export function encodeS3Path(key: string): string {
  return key
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}
