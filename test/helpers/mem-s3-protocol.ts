// Pure S3 protocol pieces for the in-memory test server: SigV4 verification, aws-chunked bodies, Range, listing, XML.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** One stored object. */
export interface MemObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
}

/** The SigV4 Authorization header: key id, day, region, signed headers, signature. */
const SIGV4_AUTHORIZATION = new RegExp(
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?/.source +
    /SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.source,
);

const xmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** S3's XML error body. */
export function errorXml(code: string, message: string, resource: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>mem-s3</RequestId></Error>`
  );
}

/** RFC 3986 encoding as SigV4 wants it (everything but unreserved characters). */
const strictEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Why a request's SigV4 Authorization header fails to verify against `secrets` (by access key id), or null. */
export function verifySigV4(
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
  secrets: Map<string, string>,
): { code: string; message: string } | null {
  const auth = String(headers.authorization ?? '');
  const m = SIGV4_AUTHORIZATION.exec(auth);
  if (!m) return { code: 'AccessDenied', message: 'missing or malformed SigV4 Authorization header' };
  const [, keyId, day, region, signedHeaders, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const secret = secrets.get(keyId);
  if (secret === undefined)
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  const amzDate = String(headers['x-amz-date'] ?? '');
  if (amzDate.slice(0, 8) !== day)
    return { code: 'AccessDenied', message: 'x-amz-date does not match the credential scope' };
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const [k, v] = eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
      return [strictEncode(decodeURIComponent(k)), strictEncode(decodeURIComponent(v))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payload = String(headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  const canonical = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, payload].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k: Buffer = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  for (const part of [region, 's3', 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  const want = createHmac('sha256', k).update(toSign).digest();
  const ok = timingSafeEqual(want, Buffer.from(signature, 'hex'));
  return ok
    ? null
    : {
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
}

/** Decodes an aws-chunked body (`hex-size[;ext]\r\n data \r\n ... 0\r\n [trailers]\r\n`); null when malformed. */
export function decodeAwsChunked(raw: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return null;
    const size = Number.parseInt(raw.toString('latin1', at, eol).split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) return null;
    at = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (at + size + 2 > raw.length) return null;
    parts.push(raw.subarray(at, at + size));
    at += size + 2;
  }
}

/**
 * A satisfiable byte range [start, end] (inclusive), 'unsatisfiable' (416), or null (no/ignored Range: whole object).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null; // syntactically invalid: S3 ignores it
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** ListObjectsV2 parameters, as parsed from the query string. */
export interface ListParams {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  token: string | null;
  startAfter: string;
  encodeUrl: boolean;
}

/** One ListObjectsV2 page over `keys` (sorted ascending). */
export function listPage(
  keys: readonly string[],
  p: ListParams,
): { contents: string[]; prefixes: string[]; next: string | null } {
  const after = p.token ?? p.startAfter;
  let i = lowerBound(keys, p.prefix);
  if (after) i = Math.max(i, upperBound(keys, after));
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last: string | null = null;
  while (i < keys.length && keys[i].startsWith(p.prefix)) {
    if (contents.length + prefixes.length >= p.maxKeys) return { contents, prefixes, next: last };
    const key = keys[i];
    const cut = p.delimiter ? key.indexOf(p.delimiter, p.prefix.length) : -1;
    if (cut < 0) {
      contents.push(key);
      last = key;
      i++;
      continue;
    }
    const cp = key.slice(0, cut + p.delimiter.length);
    prefixes.push(cp);
    last = cp;
    i = lowerBound(keys, cp + '\uffff'); // every key under this common prefix is skipped
  }
  return { contents, prefixes, next: null };
}

function lowerBound(keys: readonly string[], x: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: readonly string[], x: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** ListBucketResult XML for one page. Continuation tokens are the base64url of the last key or prefix returned. */
export function listXml(
  bucket: string,
  p: ListParams,
  page: ReturnType<typeof listPage>,
  objects: Map<string, MemObject>,
): string {
  const enc = (s: string): string => xmlEscape(p.encodeUrl ? strictEncode(s).replace(/%2F/g, '/') : s);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
  ];
  out.push(`<Name>${xmlEscape(bucket)}</Name><Prefix>${enc(p.prefix)}</Prefix><MaxKeys>${p.maxKeys}</MaxKeys>`);
  if (p.delimiter) out.push(`<Delimiter>${enc(p.delimiter)}</Delimiter>`);
  if (p.encodeUrl) out.push('<EncodingType>url</EncodingType>');
  out.push(
    `<KeyCount>${page.contents.length + page.prefixes.length}</KeyCount>` +
      `<IsTruncated>${page.next !== null}</IsTruncated>`,
  );
  if (p.token !== null)
    out.push(`<ContinuationToken>${xmlEscape(Buffer.from(p.token).toString('base64url'))}</ContinuationToken>`);
  if (page.next !== null)
    out.push(`<NextContinuationToken>${Buffer.from(page.next).toString('base64url')}</NextContinuationToken>`);
  if (p.startAfter) out.push(`<StartAfter>${enc(p.startAfter)}</StartAfter>`);
  for (const key of page.contents) {
    const o = objects.get(key)!;
    out.push(
      `<Contents><Key>${enc(key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
        `<ETag>&quot;${o.etag}&quot;</ETag><Size>${o.body.length}</Size>` +
        '<StorageClass>STANDARD</StorageClass></Contents>',
    );
  }
  for (const cp of page.prefixes) out.push(`<CommonPrefixes><Prefix>${enc(cp)}</Prefix></CommonPrefixes>`);
  out.push('</ListBucketResult>');
  return out.join('');
}

/** Parses ListObjectsV2's query; a bad continuation token or max-keys is an error message. */
export function listParams(q: URLSearchParams): ListParams | string {
  const maxKeys = q.has('max-keys') ? Number(q.get('max-keys')) : 1000;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) return 'max-keys must be a non-negative integer';
  const raw = q.get('continuation-token');
  let token: string | null = null;
  if (raw !== null) {
    token = Buffer.from(raw, 'base64url').toString('utf8');
    if (!token || Buffer.from(token).toString('base64url') !== raw)
      return 'The continuation token provided is incorrect';
  }
  return {
    prefix: q.get('prefix') ?? '',
    delimiter: q.get('delimiter') ?? '',
    maxKeys: Math.min(maxKeys, 1000),
    token,
    startAfter: q.get('start-after') ?? '',
    encodeUrl: q.get('encoding-type') === 'url',
  };
}
