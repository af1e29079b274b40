// Starts a real s3rver 3.7.1 child process on 127.0.0.1 (legacy OpenSSL provider so paginated listings work).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { BackendDescription } from '../../lib/storage/types.js';
import { listeningPort, stopChild } from './child-server.js';

/** Enough of a tap Test for the helper: teardown hook only. */
export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

/** A running S3 server and a client for seeding it. */
export interface S3Server {
  endpoint: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** SDK client configured for the server (path style, WHEN_REQUIRED checksums). */
  client: S3Client;
  /** Upload one object. */
  put(key: string, body: Buffer | string): Promise<void>;
  /** Upload many objects, `concurrency` in flight. */
  putMany(objects: Iterable<[string, Buffer | string]>, concurrency?: number): Promise<void>;
  /** Directory where s3rver stores objects. */
  dir: string;
}

const require = createRequire(import.meta.url);

/** Spawn s3rver for one test; it is killed and its directory removed at teardown. */
export async function startS3Server(
  t: TeardownHost,
  opts: { bucket?: string; buckets?: string[] } = {},
): Promise<S3Server> {
  const bucket = opts.bucket ?? 'test-bucket';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tunefeed-s3rver-'));
  const buckets = [bucket, ...(opts.buckets ?? [])].flatMap((b) => ['--configure-bucket', b]);
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      require.resolve('s3rver/bin/s3rver.js'),
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      '0',
      '--silent',
      ...buckets,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const port = await listeningPort(child, 's3rver', () => `: ${stderr}`);
  const endpoint = `http://127.0.0.1:${port}`;
  const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = testS3Client(endpoint, creds);
  t.teardown(async () => {
    client.destroy();
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  });
  return { endpoint, port, bucket, region: 'us-east-1', ...creds, client, ...uploaders(client, bucket), dir };
}

/** An SDK client for a loopback test server: path style, us-east-1, checksums only when required. */
export function testS3Client(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** `put` and `putMany` (`concurrency` lanes, default 16) through an SDK client, for any S3 test server. */
export function uploaders(client: S3Client, bucket: string): Pick<S3Server, 'put' | 'putMany'> {
  const put = async (key: string, body: Buffer | string): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  const putMany = async (objects: Iterable<[string, Buffer | string]>, concurrency = 16): Promise<void> => {
    const it = objects[Symbol.iterator]();
    const lane = async (): Promise<void> => {
      for (let n = it.next(); !n.done; n = it.next()) await put(n.value[0], n.value[1]);
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  };
  return { put, putMany };
}

/** What a BackendDescription needs of a test S3 server (s3rver or the in-memory one). */
export type S3Endpoint = Pick<S3Server, 'bucket' | 'region' | 'endpoint' | 'accessKeyId' | 'secretAccessKey'>;

/** A BackendDescription for an S3Storage on this server (optionally through a proxy URL), fast retries for tests. */
export function awsDescription(
  server: S3Endpoint,
  overrides: Partial<Extract<BackendDescription, { kind: 'aws' }>> = {},
): Extract<BackendDescription, { kind: 'aws' }> {
  return {
    kind: 'aws',
    id: 's3-test',
    bucket: server.bucket,
    prefix: '',
    region: server.region,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    maxPoolConnections: 16,
    checksumMode: 'WHEN_REQUIRED',
    forcePathStyle: true,
    requestTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    maxAttempts: 5,
    retryBaseDelayMs: 5,
    attemptTimeoutMs: 5000,
    ...overrides,
  };
}
