// Inflating SimpleTuner's gzip-wrapped caches (compress_cache) into one buffer, on the calling thread or on libuv's.
// zlib's default 16 KiB output chunks cost a Buffer.concat copy per file (and, async, one main-thread callback per
// chunk); the gzip trailer states the inflated size, so one exactly sized output buffer does it in a single call.
import { gunzip as gunzipCallback, gunzipSync, type ZlibOptions } from 'node:zlib';
import { EmbedFormatError } from '../errors.js';

/**
 * Deflate cannot expand data more than about 1032:1: a trailer claiming more is a lie (zlib then refuses the file
 * for its length check), and must not make us allocate gigabytes first.
 */
const MAX_RATIO = 1032;

/** True when `buf` starts with the gzip magic. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * zlib options for one member: output chunk = the trailer's ISIZE + 1 (the spare byte lets zlib see the end of the
 * stream without allocating a second chunk), bounded by the limit and by deflate's largest ratio.
 */
function options(buf: Uint8Array, max: number): ZlibOptions {
  const isize = buf.length >= 18 ? new DataView(buf.buffer, buf.byteOffset + buf.length - 4, 4).getUint32(0, true) : 0;
  const chunk = Math.min(isize + 1, max + 1, buf.length * MAX_RATIO);
  return { chunkSize: Math.max(64, chunk), maxOutputLength: Math.max(1, max) };
}

function failure(cause: unknown): EmbedFormatError {
  return new EmbedFormatError('Gzip-compressed torch file does not decompress (truncated or over the size limit)', {
    cause,
  });
}

/** Inflate a gzip file of at most `max` inflated bytes on this thread; EmbedFormatError when it does not inflate. */
export function inflateGzip(buf: Uint8Array, max: number): Uint8Array {
  try {
    return gunzipSync(buf, options(buf, max));
  } catch (cause) {
    throw failure(cause);
  }
}

/**
 * As {@link inflateGzip}, on libuv's threadpool: the main thread stays free, and the files of a batch inflate in
 * parallel on as many cores as the pool has threads.
 */
export function inflateGzipAsync(buf: Uint8Array, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    gunzipCallback(buf, options(buf, max), (err, out) => (err ? reject(failure(err)) : resolve(out)));
  });
}
