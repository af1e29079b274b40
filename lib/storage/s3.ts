// S3 backend (@aws-sdk/client-s3): prefix-scoped parallel listing, ranged GETs, bounded logged retries, timeouts.
import type { Readable } from 'node:stream';
import type { GetObjectCommandOutput, ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { NotFoundError, PathEscapeError, StorageError, TunefeedError } from '../errors.js';
import { logger, type Logger } from '../log.js';
import { registerSecret } from '../redact.js';
import { metrics } from '../metrics/events.js';
import { createAgents, createS3Client, S3_DEFAULTS, type AwsDescription, type OwnedClient } from './s3-client.js';
import { leanGet, leanGetWithHeaders } from './s3-lean.js';
import { listS3 } from './s3-list.js';
import { networkReason, withRetries, type RetryPolicy } from './retry.js';
import { safeKey } from './safe-key.js';
import type { BackendDescription, ListOptions, ObjectInfo, ReadWithInfo, StorageBackend } from './types.js';

const RETRY_NAMES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'Throttling',
  'ThrottlingException',
  'RequestTimeTooSkewed',
]);
const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

/** An object body shorter than its Content-Length (connection cut mid-body). */
class TruncatedBody extends Error {
  override readonly name = 'TruncatedBody';
}

/** Why an S3 failure is worth retrying (throttling, 5xx, timeouts, resets, cut bodies), or null. */
export function s3RetryReason(err: unknown): string | null {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (e.name && RETRY_NAMES.has(e.name)) return e.name === 'SlowDown' ? 'slow_down' : e.name;
  if (status !== undefined && (status >= 500 || status === 429)) return `http_${status}`;
  return networkReason(err);
}

/** A bucket (and prefix) on S3 or an S3-compatible server. */
export class S3Storage implements StorageBackend {
  readonly kind = 'aws' as const;
  readonly writable = true;
  readonly id: string;
  readonly #desc: AwsDescription;
  readonly #root: string;
  readonly #policy: RetryPolicy;
  readonly #log: Logger;
  readonly #agents: ReturnType<typeof createAgents>;
  /** Signed node:http GETs instead of the SDK (static credentials only): for full reads, and for ranged reads. */
  readonly #lean: { full: boolean; ranges: boolean };
  #owned: Promise<OwnedClient> | undefined;

  constructor(desc: AwsDescription) {
    this.#desc = { ...desc };
    this.id = desc.id;
    // Registered at construction (not at first request) so no log line can carry them, even before any I/O.
    // The key id is scrubbed too when it is long enough to be a real one (a short id like "test" would mangle logs).
    for (const secret of [
      desc.secretAccessKey,
      desc.sessionToken,
      (desc.accessKeyId?.length ?? 0) >= 16 ? desc.accessKeyId : undefined,
    ])
      registerSecret(secret);
    const p = desc.prefix.replace(/^\/+/, '').replace(/\/+$/, '');
    this.#root = p ? `${safeKey(p, { dataset: desc.id, field: 'aws_data_prefix' })}/` : '';
    this.#policy = {
      attempts: Math.max(1, desc.maxAttempts),
      baseDelayMs: desc.retryBaseDelayMs ?? S3_DEFAULTS.retryBaseDelayMs,
      maxDelayMs: 20_000,
      attemptTimeoutMs: desc.attemptTimeoutMs ?? S3_DEFAULTS.attemptTimeoutMs,
    };
    this.#log = logger('storage/s3');
    this.#agents = createAgents(desc);
    const creds = Boolean(desc.accessKeyId && desc.secretAccessKey);
    const mode = desc.leanReads ?? 'ranges';
    this.#lean = { full: creds && mode === true, ranges: creds && mode !== false };
  }

  list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    return listS3(
      {
        dataset: this.id,
        where: `s3://${this.#desc.bucket}/${this.#root}`,
        root: this.#root,
        pageSize: Math.min(1000, Math.max(1, this.#desc.listPageSize ?? 1000)),
        concurrency: Math.max(1, this.#desc.listConcurrency ?? S3_DEFAULTS.listConcurrency),
        log: this.#log,
        listPage: (params, signal) =>
          this.#call('list', params.Prefix, signal, (c, s): Promise<ListObjectsV2CommandOutput> =>
            c.client.send(new c.sdk.ListObjectsV2Command({ Bucket: this.#desc.bucket, ...params }), {
              abortSignal: s,
            }),
          ),
      },
      options,
    );
  }

  async read(key: string, signal?: AbortSignal): Promise<Buffer> {
    return (await this.readWithInfo(key, signal)).body;
  }

  /** Whole object and the identity of the version read: ETag and Last-Modified of the GET itself, no HEAD. */
  async readWithInfo(key: string, signal?: AbortSignal): Promise<ReadWithInfo> {
    const full = this.#full(key);
    const rel = full.slice(this.#root.length);
    if (this.#lean.full)
      return this.#retried('read', full, signal, async (s) => {
        const r = await leanGetWithHeaders(this.#desc, this.#agents, full, undefined, s);
        return { body: r.body, info: identityOf(rel, r.body.length, r.headers.etag, r.headers['last-modified']) };
      });
    return this.#call('read', full, signal, async (c, s) => {
      const out = await c.client.send(new c.sdk.GetObjectCommand({ Bucket: this.#desc.bucket, Key: full }), {
        abortSignal: s,
      });
      const body = await readBody(out, s);
      return { body, info: identityOf(rel, body.length, out.ETag, out.LastModified) };
    });
  }

  async readRange(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
    const full = this.#full(key);
    if (end <= start) return Buffer.alloc(0);
    try {
      if (this.#lean.ranges)
        return await this.#retried('readRange', full, signal, (s) =>
          leanGet(this.#desc, this.#agents, full, `bytes=${start}-${end - 1}`, s),
        );
      return await this.#call('readRange', full, signal, async (c, s) => {
        const out = await c.client.send(
          new c.sdk.GetObjectCommand({ Bucket: this.#desc.bucket, Key: full, Range: `bytes=${start}-${end - 1}` }),
          { abortSignal: s },
        );
        return readBody(out, s);
      });
    } catch (err) {
      // Past the end (416 InvalidRange on S3; a broken 206 on some test servers for empty objects): empty, as on disk.
      if (err instanceof NotFoundError) throw err;
      const size = await this.stat(key).then(
        (i) => i.size,
        () => undefined,
      );
      if (size !== undefined && start >= size) return Buffer.alloc(0);
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const full = this.#full(key);
    const out = await this.#call('stat', full, undefined, (c, s) =>
      c.client.send(new c.sdk.HeadObjectCommand({ Bucket: this.#desc.bucket, Key: full }), { abortSignal: s }),
    );
    return identityOf(full.slice(this.#root.length), out.ContentLength ?? 0, out.ETag, out.LastModified);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  async write(key: string, data: Buffer | string): Promise<void> {
    const full = this.#full(key);
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    await this.#call('write', full, undefined, (c, s) =>
      c.client.send(new c.sdk.PutObjectCommand({ Bucket: this.#desc.bucket, Key: full, Body: body }), {
        abortSignal: s,
      }),
    );
  }

  async delete(key: string): Promise<void> {
    const full = this.#full(key);
    await this.#call('delete', full, undefined, (c, s) =>
      c.client.send(new c.sdk.DeleteObjectCommand({ Bucket: this.#desc.bucket, Key: full }), { abortSignal: s }),
    );
  }

  /** The full S3 key, as SimpleTuner records it in its cache files. */
  externalPath(key: string): string {
    return this.#full(key);
  }

  keyFromExternal(path: string): string {
    if (!path.startsWith(this.#root))
      throw new PathEscapeError(`S3 key ${JSON.stringify(path)} is outside the prefix "${this.#root}"`, {
        dataset: this.id,
        file: path,
      });
    return safeKey(path.slice(this.#root.length), { dataset: this.id, file: path });
  }

  describe(): BackendDescription {
    return { ...this.#desc };
  }

  async close(): Promise<void> {
    const owned = this.#owned;
    this.#owned = undefined;
    (await owned?.catch(() => undefined))?.client.destroy();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #full(key: string): string {
    return this.#root + safeKey(key, { dataset: this.id });
  }

  #client(): Promise<OwnedClient> {
    this.#owned ??= createS3Client(this.#desc, this.#agents);
    return this.#owned;
  }

  /** One SDK operation with bounded retries. */
  async #call<T>(
    op: string,
    key: string,
    signal: AbortSignal | undefined,
    fn: (c: OwnedClient, s: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const c = await this.#client();
    return this.#retried(op, key, signal, (s) => fn(c, s));
  }

  /** Bounded retries around one attempt function; failures become coded errors naming the bucket and key. */
  async #retried<T>(
    op: string,
    key: string,
    signal: AbortSignal | undefined,
    attempt: (s: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const ctx = {
      log: this.#log,
      op,
      dataset: this.id,
      key: `s3://${this.#desc.bucket}/${key}`,
      ...(signal ? { signal } : {}),
      onRetry: (reason: string, attempt: number) =>
        metrics.emit('storage.retry', { dataset: this.id, backend: 'aws', op, reason, attempt }),
    };
    try {
      return await withRetries(this.#policy, ctx, s3RetryReason, attempt);
    } catch (err) {
      throw this.#wrap(op, key, err);
    }
  }

  #wrap(op: string, key: string, err: unknown): Error {
    if (err instanceof TunefeedError || (err as Error).name === 'AbortError') return err as Error;
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const file = `s3://${this.#desc.bucket}/${key}`;
    if ((e.name && NOT_FOUND.has(e.name)) || status === 404)
      return new NotFoundError(`No such S3 object: ${file}`, { dataset: this.id, file, cause: err });
    const reason = s3RetryReason(err);
    const why = reason
      ? `${reason}, gave up after ${this.#policy.attempts} attempts`
      : `${e.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}`;
    return new StorageError(`S3 ${op} of ${file} failed: ${why}: ${e.message ?? String(err)}`, {
      dataset: this.id,
      file,
      cause: err,
    });
  }
}

/** What a HEAD or a GET says about the object: size, ETag without quotes, Last-Modified in ms. */
function identityOf(key: string, size: number, etag?: string, modified?: Date | string): ObjectInfo {
  const ms = modified === undefined ? NaN : new Date(modified).getTime();
  return {
    key,
    size,
    ...(Number.isFinite(ms) ? { mtimeMs: ms } : {}),
    ...(etag ? { etag: etag.replace(/"/g, '') } : {}),
  };
}

/** Whole body as a Buffer; a body shorter than Content-Length is an error (retried), never a silently short read. */
async function readBody(out: GetObjectCommandOutput, signal: AbortSignal): Promise<Buffer> {
  const body = out.Body as (Readable & { transformToByteArray(): Promise<Uint8Array> }) | undefined;
  if (!body) return Buffer.alloc(0);
  const onAbort = (): void => {
    body.destroy(new Error('aborted'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const bytes = await body.transformToByteArray();
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (out.ContentLength !== undefined && buf.length !== out.ContentLength)
      throw new TruncatedBody(`body has ${buf.length} of ${out.ContentLength} bytes`);
    return buf;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
