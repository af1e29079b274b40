// Probes one stored file: leading bytes by ranged reads, follow-up ranges on demand, tail and pixel-limit checks.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import type { StorageBackend } from '../storage/types.js';
import type { SkipReason } from './types.js';
import { probeImage, tailLooksComplete, type ImageFormat, type ProbeOutcome } from '../formats/probe.js';
import { DEFAULT_PIXEL_LIMIT, decodeCheck } from '../formats/decode-check.js';

/** Options for probing one file. */
export interface ProbeFileOptions {
  /** First read size. @default 65536 */
  headBytes?: number;
  /** Size of each follow-up read when a header walk jumps past the first read (C2PA chains). @default 4096 */
  followBytes?: number;
  /** Give up (corrupt) when a header walk needs more than this many bytes in total. @default 33554432 */
  maxProbeBytes?: number;
  /** Refuse images with more pixels than this without decoding. @default 268402689 */
  pixelLimit?: number;
  /** Decode every image fully (SimpleTuner's scan_for_errors). @default false */
  scanForErrors?: boolean;
  /**
   * Check the file's end marker (PNG IEND, JPEG EOI, GIF trailer, RIFF size) to catch truncation. Costs one small
   * extra read per file larger than `headBytes` (free for smaller ones). @default true
   */
  verifyTail?: boolean;
  signal?: AbortSignal;
}

export type FileProbe =
  | {
      ok: true;
      format: ImageFormat;
      width: number;
      height: number;
      orientation: number;
      frames?: number;
      bytesRead: number;
    }
  | { ok: false; reason: SkipReason; message: string; bytesRead: number };

const TAIL = 64;

/** Byte access for one probe: through the storage backend, or one open file descriptor for local files. */
interface Reader {
  range(start: number, end: number): Promise<Buffer>;
  all(): Promise<Buffer>;
  close(): Promise<void>;
}

function storageReader(storage: StorageBackend, key: string, signal?: AbortSignal): Reader {
  return {
    range: (s, e) => storage.readRange(key, s, e, signal),
    all: () => storage.read(key, signal),
    close: async () => {},
  };
}

/**
 * Local files get one descriptor for head, follow-ups and tail (one open instead of three). The key came from the
 * backend's own listing, and externalPath resolves it under the root.
 */
async function localReader(storage: StorageBackend, key: string): Promise<Reader> {
  if (!isMainThread) return syncLocalReader(storage.externalPath(key));
  const fh = await open(storage.externalPath(key), 'r');
  return {
    async range(start, end) {
      const buf = Buffer.allocUnsafe(Math.max(0, end - start));
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      return buf.subarray(0, bytesRead);
    },
    all: () => fh.readFile(),
    close: () => fh.close(),
  };
}

async function walkHeader(r: Reader, size: number, o: Required<Omit<ProbeFileOptions, 'signal'>>) {
  const head = await r.range(0, Math.min(size, o.headBytes));
  let bytesRead = head.length;
  let outcome: ProbeOutcome = probeImage(head, head.length >= size);
  while (outcome.kind === 'need') {
    const start = outcome.offset;
    const end = Math.min(size, start + Math.max(outcome.min, o.followBytes));
    if (bytesRead + (end - start) > o.maxProbeBytes || start >= size) {
      return {
        outcome: { kind: 'fail', reason: 'truncated', message: `header needs bytes at ${start} of ${size}` } as const,
        head,
        bytesRead,
      };
    }
    const more = await r.range(start, end);
    bytesRead += more.length;
    outcome = outcome.resume(more, start + more.length >= size);
  }
  return { outcome, head, bytesRead };
}

function withDefaults(o: ProbeFileOptions): Required<Omit<ProbeFileOptions, 'signal'>> {
  return {
    headBytes: o.headBytes ?? 65536,
    followBytes: o.followBytes ?? 4096,
    maxProbeBytes: o.maxProbeBytes ?? 32 * 1024 * 1024,
    pixelLimit: o.pixelLimit ?? DEFAULT_PIXEL_LIMIT,
    scanForErrors: o.scanForErrors ?? false,
    verifyTail: o.verifyTail ?? true,
  };
}

/** Some listings (Hugging Face rows) do not know sizes: a short first read means it is the whole object. */
async function sizeOf(storage: StorageBackend, key: string, head: number, signal?: AbortSignal): Promise<number> {
  const buf = await storage.readRange(key, 0, head, signal);
  return buf.length < head ? buf.length : (await storage.stat(key)).size;
}

/**
 * Inside a scan worker, blocking calls only block that worker, and they skip the libuv threadpool hop that every
 * async fs call pays (the pool is shared by all threads and was the scan's bottleneck on page-cached files).
 */
function syncLocalReader(file: string): Reader {
  const fd = openSync(file, 'r');
  return {
    async range(start, end) {
      const buf = Buffer.allocUnsafe(Math.max(0, end - start));
      return buf.subarray(0, readSync(fd, buf, 0, buf.length, start));
    },
    all: async () => readFileSync(fd),
    close: async () => closeSync(fd),
  };
}

/**
 * Probe `key` (of `size` bytes; negative = unknown) through any StorageBackend. Never throws for bad image data;
 * storage errors propagate.
 */
export async function probeFile(
  storage: StorageBackend,
  key: string,
  size: number,
  options: ProbeFileOptions = {},
): Promise<FileProbe> {
  const o = withDefaults(options);
  if (size < 0) size = await sizeOf(storage, key, o.headBytes, options.signal);
  if (size === 0) return { ok: false, reason: 'corrupt', message: 'empty file (0 bytes)', bytesRead: 0 };
  const r = storage.kind === 'local' ? await localReader(storage, key) : storageReader(storage, key, options.signal);
  try {
    return await probeWith(r, size, o);
  } finally {
    await r.close();
  }
}

async function probeWith(r: Reader, size: number, o: Required<Omit<ProbeFileOptions, 'signal'>>): Promise<FileProbe> {
  const { outcome, head, bytesRead } = await walkHeader(r, size, o);
  if (outcome.kind === 'fail') return { ok: false, reason: outcome.reason, message: outcome.message, bytesRead };
  if (outcome.kind !== 'ok') throw new Error('unreachable');
  if (outcome.width * outcome.height > o.pixelLimit) {
    const message = `${outcome.width}x${outcome.height} exceeds the pixel limit ${o.pixelLimit}; not decoded`;
    return { ok: false, reason: 'pixel_limit', message, bytesRead };
  }
  let read = bytesRead;
  let suspicious = false;
  if (o.verifyTail && !o.scanForErrors) {
    const tail = head.length >= size ? head.subarray(Math.max(0, size - TAIL)) : await r.range(size - TAIL, size);
    if (head.length < size) read += tail.length;
    suspicious = !tailLooksComplete(outcome.format, tail, head, size);
  }
  if (o.scanForErrors || suspicious) {
    const whole = head.length >= size ? head : await r.all();
    read += head.length >= size ? 0 : whole.length;
    const bad = await decodeCheck(whole, o.pixelLimit);
    // A missing end marker plus a failed decode is a truncation, whatever words the codec used.
    if (bad) return { ok: false, ...bad, ...(suspicious ? { reason: 'truncated' as const } : {}), bytesRead: read };
  }
  const { format, width, height, orientation, frames } = outcome;
  return { ok: true, format, width, height, orientation, ...(frames === undefined ? {} : { frames }), bytesRead: read };
}
