// A small in-memory S3-compatible server on 127.0.0.1 (path style, SigV4 checked), in-process or as a child process.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { listenLoopback } from './loopback.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDS, MemS3 } from './mem-s3-handler.js';
import { listeningPort, stopChild } from './child-server.js';
import { testS3Client, uploaders, type S3Server, type TeardownHost } from './s3-server.js';

/** Options for the in-memory server. */
export interface MemS3Options {
  /** @default 'test-bucket' */
  bucket?: string;
  /** More buckets to create. */
  buckets?: string[];
  /** Check every request's SigV4 signature against the known secret (s3rver never does). @default true */
  verifySignatures?: boolean;
  /** Added before every GET/HEAD/list response, to imitate a remote store's time to first byte. @default 0 */
  latencyMs?: number;
  /** Run in a child process (its own event loop and CPU accounting; for benchmarks). @default false */
  child?: boolean;
}

/** A running in-memory server, shaped like the s3rver helper's result. */
export interface MemS3Server extends Omit<S3Server, 'dir'> {
  /**
   * Stores files server-side under many keys without HTTP uploads (each distinct file is held once): [key, file path].
   */
  load(entries: [string, string][]): Promise<void>;
  /** Requests served so far, by operation (get, head, list, put, delete, denied, ...), plus `inflight_max` and
   * `inflight_area_ms` (the integral of requests open at the server over time; its growth over a window / the window =
   * mean open requests, which with `latencyMs` is the number of GETs a client keeps in flight). */
  stats(): Promise<Record<string, number>>;
  /** The most requests open at once since the previous call (or the start); each call starts a new window. */
  peak(): Promise<number>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0. Long keep-alive so clients never reuse a socket the server is closing. */
async function listen(o: MemS3Options): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(
    { keepAliveTimeout: 65_000, headersTimeout: 70_000 },
    new MemS3([o.bucket ?? 'test-bucket', ...(o.buckets ?? [])], o.verifySignatures ?? true, o.latencyMs ?? 0).handle,
  );
  return listenLoopback(server);
}

/** Runs this file as a child process; resolves with its port and a stopper. */
async function listenInChild(o: MemS3Options): Promise<{ port: number; close: () => Promise<void> }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, JSON.stringify({ ...o, child: false })], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { port: await listeningPort(child, 'mem-s3 child'), close: () => stopChild(child) };
}

/** Start the in-memory server; it is stopped at `t`'s teardown (or by close()). */
export async function startMemS3Server(t: TeardownHost | null, o: MemS3Options = {}): Promise<MemS3Server> {
  const bucket = o.bucket ?? 'test-bucket';
  const { port, close: stop } = o.child ? await listenInChild(o) : await listen(o);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = testS3Client(endpoint, CREDS);
  const admin = async (op: string, body?: string): Promise<unknown> => {
    const r = await fetch(`${endpoint}/__mem_s3/${op}`, body === undefined ? {} : { method: 'POST', body });
    if (!r.ok) throw new Error(`mem-s3 ${op}: HTTP ${r.status} ${await r.text()}`);
    return r.json();
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client.destroy();
    await stop();
  };
  t?.teardown(close);
  const load = async (entries: [string, string][]) => {
    for (let i = 0; i < entries.length; i += 20_000)
      await admin('load', JSON.stringify({ bucket, entries: entries.slice(i, i + 20_000) }));
  };
  const stats = async () => (await admin('stats')) as Record<string, number>;
  const peak = async () => ((await admin('peak')) as { peak: number }).peak;
  return {
    endpoint,
    port,
    bucket,
    region: 'us-east-1',
    ...CREDS,
    client,
    ...uploaders(client, bucket),
    load,
    stats,
    peak,
    close,
  };
}

// As a child process: `node --import tsx test/helpers/mem-s3-server.ts '{"bucket":"b"}'`.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { port, close } = await listen(JSON.parse(process.argv[2] ?? '{}') as MemS3Options);
  process.stdout.write(`mem-s3 listening on 127.0.0.1:${port}\n`);
  process.on('SIGTERM', () => void close().then(() => process.exit(0)));
}
