// Header probes for PNG (+APNG frames), WebP (VP8/VP8L/VP8X), GIF, BMP: fixed-offset fields near the start.
import { fail, needOrTruncated, ok, type ImageFormat, type ProbeOutcome } from './probe-types.js';
import { tiffOrientation } from './probe-exif.js';
import { bmpHeaderBytes, readBmpHeader } from './bmp-decode.js';

/** Chunk walkers share this: where chunks start, how to read one, and what to do with the ones that matter. */
interface ChunkWalk {
  format: ImageFormat;
  /** Chunk header size and how to read (type, payload length, total length incl. padding/CRC). */
  header: number;
  read(buf: Buffer, i: number): { type: string; len: number; total: number };
  /** Returns a final outcome, or undefined to keep walking. `payload` is complete. */
  visit(type: string, payload: Buffer): ProbeOutcome | 'stop' | undefined;
  done(): ProbeOutcome;
}

/**
 * Walks chunks from absolute `pos` (buffer starts at `base`), asking for follow-up ranges to jump or to read a chunk.
 */
function walkChunks(w: ChunkWalk, buf: Buffer, base: number, pos: number, eof: boolean): ProbeOutcome {
  for (;;) {
    const i = pos - base;
    if (i + w.header > buf.length) {
      if (eof) return w.done();
      return needOrTruncated(w.format, eof, pos, w.header, (b, e) => walkChunks(w, b, pos, pos, e));
    }
    const { type, len, total } = w.read(buf, i);
    if (['eXIf', 'EXIF', 'acTL'].includes(type) && i + w.header + len > buf.length) {
      if (eof) return w.done();
      return needOrTruncated(w.format, eof, pos, total, (b, e) => walkChunks(w, b, pos, pos, e));
    }
    const r = w.visit(type, buf.subarray(i + w.header, Math.min(buf.length, i + w.header + len)));
    if (r === 'stop') return w.done();
    if (r) return r;
    pos += total;
  }
}

function exifPayloadOrientation(p: Buffer): number | undefined {
  return tiffOrientation(p.toString('latin1', 0, 6) === 'Exif\0\0' ? p.subarray(6) : p);
}

/** PNG: IHDR must be the first chunk; acTL gives the APNG frame count, eXIf the orientation (both precede IDAT). */
export function probePng(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 24) return needOrTruncated('png', eof, 0, 24, probePng);
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return fail('corrupt', 'png: first chunk is not IHDR');
  const w = buf.readUInt32BE(16);
  const h = buf.readUInt32BE(20);
  let orientation = 1;
  let frames: number | undefined;
  return walkChunks(
    {
      format: 'png',
      header: 8,
      read: (b, i) => ({
        type: b.toString('latin1', i + 4, i + 8),
        len: b.readUInt32BE(i),
        total: 12 + b.readUInt32BE(i),
      }),
      visit(type, payload) {
        if (type === 'IDAT' || type === 'IEND') return 'stop';
        if (type === 'acTL' && payload.length >= 4) frames = payload.readUInt32BE(0);
        if (type === 'eXIf') orientation = exifPayloadOrientation(payload) ?? 1;
        return undefined;
      },
      done: () => ok('png', w, h, orientation, frames === undefined ? {} : { frames, animated: frames > 1 }),
    },
    buf,
    0,
    8,
    eof,
  );
}

/** VP8X with the EXIF flag: walk the RIFF chunks to the EXIF chunk (usually after the image data). */
function webpExif(buf: Buffer, eof: boolean, w: number, h: number, animated: boolean): ProbeOutcome {
  const extra = animated ? { animated } : {};
  return walkChunks(
    {
      format: 'webp',
      header: 8,
      read: (b, i) => ({
        type: b.toString('latin1', i, i + 4),
        len: b.readUInt32LE(i + 4),
        total: 8 + b.readUInt32LE(i + 4) + (b.readUInt32LE(i + 4) & 1),
      }),
      visit: (type, payload) =>
        type === 'EXIF' ? ok('webp', w, h, exifPayloadOrientation(payload) ?? 1, extra) : undefined,
      done: () => ok('webp', w, h, 1, extra),
    },
    buf,
    0,
    12,
    eof,
  );
}

/** WebP: the first chunk after "WEBP" decides the layout (lossy VP8, lossless VP8L, extended VP8X). */
export function probeWebp(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 30) return needOrTruncated('webp', eof, 0, 30, probeWebp);
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) return fail('corrupt', 'webp: bad VP8 start code');
    return ok('webp', buf.readUInt16LE(26) & 0x3fff, buf.readUInt16LE(28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    if (buf[20] !== 0x2f) return fail('corrupt', 'webp: bad VP8L signature');
    const bits = buf.readUInt32LE(21);
    return ok('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    const animated = (buf[20] & 0x02) !== 0;
    const [w, h] = [buf.readUIntLE(24, 3) + 1, buf.readUIntLE(27, 3) + 1];
    if (buf[20] & 0x08) return webpExif(buf, eof, w, h, animated);
    return ok('webp', w, h, 1, animated ? { animated } : {});
  }
  return fail('corrupt', `webp: unknown first chunk ${JSON.stringify(chunk)}`);
}

/** GIF: logical screen size. */
export function probeGif(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 10) return needOrTruncated('gif', eof, 0, 10, probeGif);
  return ok('gif', buf.readUInt16LE(6), buf.readUInt16LE(8));
}

/**
 * BMP: the shared header reader decides, so the scan refuses exactly what the stream's decoder cannot read (RLE, JPEG,
 * odd depths).
 */
export function probeBmp(buf: Buffer, eof: boolean): ProbeOutcome {
  const need = bmpHeaderBytes(buf);
  if (buf.length < need) return needOrTruncated('bmp', eof, 0, need, probeBmp);
  // Without the whole file only the headers are judged; the scan's tail check looks at the length.
  const r = readBmpHeader(buf, eof ? buf.length : Infinity);
  if (!r.ok) return fail(r.reason === 'pixel_limit' ? 'corrupt' : r.reason, r.message);
  return ok('bmp', r.header.width, r.header.height);
}
