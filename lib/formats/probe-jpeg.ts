// JPEG: walk the marker segments to the SOF, reading the EXIF orientation on the way; jump over big segments.
import { fail, needOrTruncated, ok, type ProbeOutcome } from './probe-types.js';
import { exifOrientation } from './probe-exif.js';

const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** `buf` holds file bytes from offset `base`; the walk continues at absolute offset `pos`. */
function walk(buf: Buffer, base: number, pos: number, eof: boolean, orientation: number): ProbeOutcome {
  const resume = (o: number) => (b: Buffer, e: boolean) => walk(b, o, o, e, orientation);
  for (;;) {
    let i = pos - base;
    if (i + 4 > buf.length) return needOrTruncated('jpeg', eof, pos, 4, resume(pos));
    if (buf[i] !== 0xff) return fail('corrupt', `jpeg: expected a marker at byte ${pos}`);
    while (buf[i + 1] === 0xff && i + 4 < buf.length) i++; // fill bytes
    const m = buf[i + 1];
    pos = base + i;
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      pos += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda)
      return fail('corrupt', `jpeg: ${m === 0xd9 ? 'EOI' : 'scan data'} before any frame header`);
    const len = buf.readUInt16BE(i + 2);
    if (len < 2) return fail('corrupt', `jpeg: segment length ${len} at byte ${pos}`);
    if (isSof(m)) {
      if (i + 9 > buf.length) return needOrTruncated('jpeg', eof, pos, 10, resume(pos));
      return ok('jpeg', buf.readUInt16BE(i + 7), buf.readUInt16BE(i + 5), orientation);
    }
    if (m === 0xe1 && orientation === 1) {
      if (i + 2 + len > buf.length) {
        const o = pos;
        return needOrTruncated('jpeg', eof, o, len + 2, (b, e) => walkExif(b, o, e));
      }
      orientation = exifOrientation(buf.subarray(i + 4, i + 2 + len)) ?? orientation;
    }
    pos += 2 + len;
  }
}

/** Resumed at an APP1 segment that did not fit the first read. */
function walkExif(buf: Buffer, base: number, eof: boolean): ProbeOutcome {
  const len = buf.length >= 4 ? buf.readUInt16BE(2) : 0;
  if (buf.length < 2 + len || len < 2) return fail('truncated', 'jpeg: APP1 segment cut short');
  const orientation = exifOrientation(buf.subarray(4, 2 + len)) ?? 1;
  return walk(buf, base, base + 2 + len, eof, orientation);
}

/** Probe a JPEG prefix (must start with FF D8). */
export function probeJpeg(buf: Buffer, eof: boolean): ProbeOutcome {
  return walk(buf, 0, 2, eof, 1);
}
