// Header probes for PNG (+APNG frames), WebP (VP8/VP8L/VP8X), GIF, BMP: fixed-offset fields near the start.
import { fail, needOrTruncated, ok, type ProbeOutcome } from './probe-types.js';

const again = (probe: (b: Buffer, e: boolean) => ProbeOutcome) => (b: Buffer, e: boolean) => probe(b, e);

/** PNG: IHDR must be the first chunk; an acTL before IDAT gives the APNG frame count. */
export function probePng(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 24) return needOrTruncated('png', eof, 0, 24, again(probePng));
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return fail('corrupt', 'png: first chunk is not IHDR');
  const w = buf.readUInt32BE(16);
  const h = buf.readUInt32BE(20);
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'acTL' && pos + 12 <= buf.length) {
      const frames = buf.readUInt32BE(pos + 8);
      return ok('png', w, h, 1, { frames, animated: frames > 1 });
    }
    pos += 12 + len;
  }
  return ok('png', w, h);
}

/** WebP: the first chunk after "WEBP" decides the layout (lossy VP8, lossless VP8L, extended VP8X). */
export function probeWebp(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 30) return needOrTruncated('webp', eof, 0, 30, again(probeWebp));
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
    const animated = (buf[20]! & 0x02) !== 0;
    return ok('webp', buf.readUIntLE(24, 3) + 1, buf.readUIntLE(27, 3) + 1, 1, animated ? { animated } : {});
  }
  return fail('corrupt', `webp: unknown first chunk ${JSON.stringify(chunk)}`);
}

/** GIF: logical screen size. */
export function probeGif(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 10) return needOrTruncated('gif', eof, 0, 10, again(probeGif));
  return ok('gif', buf.readUInt16LE(6), buf.readUInt16LE(8));
}

const DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/** BMP: BITMAPCOREHEADER (16-bit sizes) or BITMAPINFOHEADER and later (signed 32-bit; negative height = top-down). */
export function probeBmp(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 26) return needOrTruncated('bmp', eof, 0, 26, again(probeBmp));
  const dib = buf.readUInt32LE(14);
  if (!DIB_SIZES.has(dib)) return fail('corrupt', `bmp: unknown DIB header size ${dib}`);
  if (dib === 12) return ok('bmp', buf.readUInt16LE(18), buf.readUInt16LE(20));
  return ok('bmp', Math.abs(buf.readInt32LE(18)), Math.abs(buf.readInt32LE(22)));
}
