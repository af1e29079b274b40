// The in-memory S3 server's request handler: buckets of objects, SigV4 checks, GET/HEAD/PUT/DELETE/list, counters.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import {
  decodeAwsChunked,
  errorXml,
  listPage,
  listParams,
  listXml,
  parseRange,
  verifySigV4,
  type MemObject,
} from './mem-s3-protocol.js';

/** The one key pair the server knows (tests that need a wrong secret vary it). */
export const CREDS = { accessKeyId: 'MEMS3ACCESSKEY', secretAccessKey: 'mem-s3-secret/known-to-tests' };

interface Bucket {
  objects: Map<string, MemObject>;
  sorted: string[] | null;
}

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

function send(res: Res, status: number, body: string | Buffer, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The request handler and its state (no sockets): buckets, counters, options. */
export class MemS3 {
  readonly #store: Map<string, Bucket>;
  readonly #counts: Record<string, number> = {};
  readonly #secrets = new Map([[CREDS.accessKeyId, CREDS.secretAccessKey]]);
  readonly #fileCache = new Map<string, MemObject>();
  #open = 0;
  /** High-water of open requests since the last `peak` admin call. */
  #peak = 0;
  #since = performance.now();

  constructor(
    buckets: string[],
    private readonly verify: boolean,
    private readonly latencyMs: number,
  ) {
    this.#store = new Map(buckets.map((b) => [b, { objects: new Map(), sorted: null }]));
  }

  /** The node:http request listener. */
  readonly handle = (req: Req, res: Res): void => {
    if (!req.url?.startsWith('/__mem_s3/')) {
      this.#gauge(1);
      res.once('close', () => this.#gauge(-1));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.#route(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) this.#fail(res, 500, 'InternalError', (err as Error).message, req.url ?? '/');
        else res.destroy();
      });
    });
  };

  #count(op: string): void {
    this.#counts[op] = (this.#counts[op] ?? 0) + 1;
  }

  /** In-flight gauge: the most requests open at once, and their time integral (ms × requests). */
  #gauge(delta: number): void {
    const now = performance.now();
    this.#counts.inflight_area_ms = (this.#counts.inflight_area_ms ?? 0) + this.#open * (now - this.#since);
    this.#since = now;
    this.#open += delta;
    this.#counts.inflight_max = Math.max(this.#counts.inflight_max ?? 0, this.#open);
    this.#peak = Math.max(this.#peak, this.#open);
  }

  #fail(res: Res, status: number, code: string, message: string, resource: string, head = false): void {
    this.#count(`error_${code}`);
    send(res, status, head ? '' : errorXml(code, message, resource), { 'content-type': 'application/xml' });
  }

  #noBucket(req: Req, res: Res, name: string): void {
    this.#fail(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', `/${name}`, req.method === 'HEAD');
  }

  async #admin(req: Req, res: Res, op: string, body: Buffer): Promise<void> {
    if (op === 'stats') return send(res, 200, JSON.stringify(this.#counts), { 'content-type': 'application/json' });
    if (op === 'peak') {
      const peak = this.#peak;
      this.#peak = this.#open;
      return send(res, 200, JSON.stringify({ peak }), { 'content-type': 'application/json' });
    }
    if (op !== 'load' || req.method !== 'POST') return this.#fail(res, 400, 'InvalidRequest', 'unknown admin call', op);
    const { bucket, entries } = JSON.parse(body.toString('utf8')) as { bucket: string; entries: [string, string][] };
    const b = this.#store.get(bucket);
    if (!b) return this.#fail(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', bucket);
    for (const [key, file] of entries) {
      let o = this.#fileCache.get(file);
      if (!o) this.#fileCache.set(file, (o = objectOf(await readFile(file), 'application/octet-stream')));
      b.objects.set(key, o);
    }
    b.sorted = null;
    send(res, 200, JSON.stringify({ loaded: entries.length }), { 'content-type': 'application/json' });
  }

  #object(req: Req, res: Res, b: Bucket, key: string, resource: string): void {
    const head = req.method === 'HEAD';
    this.#count(head ? 'head' : 'get');
    const o = b.objects.get(key);
    if (!o) return this.#fail(res, 404, 'NoSuchKey', 'The specified key does not exist.', resource, head);
    const base = {
      etag: `"${o.etag}"`,
      'last-modified': o.lastModified.toUTCString(),
      'content-type': o.contentType,
      'accept-ranges': 'bytes',
    };
    const range = parseRange(req.headers.range, o.body.length);
    if (range === 'unsatisfiable') {
      this.#count('range_416');
      return send(res, 416, head ? '' : errorXml('InvalidRange', 'The requested range is not satisfiable', resource), {
        'content-type': 'application/xml',
        'content-range': `bytes */${o.body.length}`,
      });
    }
    if (!range) {
      res.writeHead(200, { ...base, 'content-length': o.body.length });
      return void res.end(head ? undefined : o.body);
    }
    res.writeHead(206, {
      ...base,
      'content-length': range.end - range.start + 1,
      'content-range': `bytes ${range.start}-${range.end}/${o.body.length}`,
    });
    res.end(head ? undefined : o.body.subarray(range.start, range.end + 1));
  }

  #put(req: Req, res: Res, b: Bucket, key: string, raw: Buffer, resource: string): void {
    this.#count('put');
    if (req.headers['x-amz-copy-source'])
      return this.#fail(res, 501, 'NotImplemented', 'CopyObject is not implemented', resource);
    const sha = String(req.headers['x-amz-content-sha256'] ?? '');
    const chunked = sha.startsWith('STREAMING-') || /aws-chunked/.test(String(req.headers['content-encoding'] ?? ''));
    if (/^[0-9a-f]{64}$/.test(sha) && createHash('sha256').update(raw).digest('hex') !== sha) {
      return this.#fail(
        res,
        400,
        'XAmzContentSHA256Mismatch',
        'The provided x-amz-content-sha256 header does not match what was computed.',
        resource,
      );
    }
    const body = chunked ? decodeAwsChunked(raw) : raw;
    const declared = req.headers['x-amz-decoded-content-length'];
    if (!body || (declared !== undefined && Number(declared) !== body.length))
      return this.#fail(res, 400, 'IncompleteBody', 'aws-chunked body is malformed', resource);
    const o = objectOf(body, String(req.headers['content-type'] ?? 'application/octet-stream'));
    if (!b.objects.has(key)) b.sorted = null;
    b.objects.set(key, o);
    send(res, 200, '', { etag: `"${o.etag}"` });
  }

  #bucketCall(req: Req, res: Res, name: string, url: URL): void {
    const b = this.#store.get(name);
    if (req.method === 'PUT') {
      if (!b) this.#store.set(name, { objects: new Map(), sorted: null });
      return send(res, 200, '', { location: `/${name}` });
    }
    if (!b) return this.#noBucket(req, res, name);
    if (req.method === 'HEAD') return send(res, 200, '');
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      this.#count('list');
      const p = listParams(url.searchParams);
      if (typeof p === 'string') return this.#fail(res, 400, 'InvalidArgument', p, `/${name}`);
      const keys = (b.sorted ??= [...b.objects.keys()].sort());
      return send(res, 200, listXml(name, p, listPage(keys, p), b.objects), { 'content-type': 'application/xml' });
    }
    this.#fail(
      res,
      501,
      'NotImplemented',
      `${req.method} ${url.search || '(no query)'} on a bucket is not implemented`,
      `/${name}`,
    );
  }

  async #route(req: Req, res: Res, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const segs = url.pathname.split('/');
    if (segs[1] === '__mem_s3') return this.#admin(req, res, segs[2] ?? '', raw);
    const bad = this.verify ? verifySigV4(req.method ?? 'GET', req.url ?? '/', req.headers, this.#secrets) : null;
    if (bad) {
      this.#count('denied');
      return this.#fail(res, 403, bad.code, bad.message, url.pathname, req.method === 'HEAD');
    }
    const name = decodeURIComponent(segs[1] ?? '');
    const key = segs.slice(2).map(decodeURIComponent).join('/');
    if (!name) return this.#fail(res, 501, 'NotImplemented', 'ListBuckets is not implemented', '/');
    if (!key) return this.#bucketCall(req, res, name, url);
    const b = this.#store.get(name);
    if (!b) return this.#noBucket(req, res, name);
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (read) return this.#object(req, res, b, key, url.pathname);
    if (req.method === 'PUT') return this.#put(req, res, b, key, raw, url.pathname);
    if (req.method !== 'DELETE')
      return this.#fail(res, 405, 'MethodNotAllowed', `${req.method} is not allowed on an object`, url.pathname);
    this.#count('delete');
    b.objects.delete(key);
    b.sorted = null;
    send(res, 204, '');
  }
}

function objectOf(body: Buffer, contentType: string): MemObject {
  return {
    body,
    etag: createHash('md5').update(body).digest('hex'),
    lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
    contentType,
  };
}
