// Picks the header probe by magic bytes (never by extension, so misnamed files still work).
import { probeJpeg } from './probe-jpeg.js';
import { probeBmp, probeGif, probePng, probeWebp } from './probe-formats.js';
import { probeTiff } from './probe-tiff.js';
import { probeIsobmff } from './probe-isobmff.js';
import { fail, needOrTruncated, type ImageFormat, type ProbeOutcome } from './probe-types.js';
import { readBmpHeader } from './bmp-decode.js';

export type { ProbeOutcome, ProbeOk, ProbeFail, ProbeNeed, ImageFormat } from './probe-types.js';

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Probe an image prefix. `eof` says the buffer holds the whole file (so missing bytes mean truncation).
 * A `need` outcome asks the caller for a further byte range and to `resume`.
 */
export function probeImage(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length === 0) return fail(eof ? 'corrupt' : 'truncated', 'empty file');
  if (buf.length < 16 && !eof) return needOrTruncated('jpeg', eof, 0, 16, probeImage);
  if (buf[0] === 0xff && buf[1] === 0xd8) return probeJpeg(buf, eof);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIG)) return probePng(buf, eof);
  const head4 = buf.toString('latin1', 0, 4);
  if (head4 === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return probeWebp(buf, eof);
  if (head4 === 'GIF8') return probeGif(buf, eof);
  if (buf[0] === 0x42 && buf[1] === 0x4d) return probeBmp(buf, eof);
  if (head4 === 'II*\0' || head4 === 'MM\0*' || head4 === 'II+\0' || head4 === 'MM\0+') return probeTiff(buf, eof);
  if (buf.toString('latin1', 4, 8) === 'ftyp') return probeIsobmff(buf, eof);
  return fail('unsupported', 'not a recognised image format');
}

/**
 * True when the last bytes (or, for BMP, the headers) look like a complete file of this format (unknown formats pass).
 */
export function tailLooksComplete(format: ImageFormat, tail: Buffer, head: Buffer, size: number): boolean {
  switch (format) {
    case 'png':
      return tail.includes('IEND', 0, 'latin1');
    case 'jpeg':
      return tail.includes(Buffer.from([0xff, 0xd9]));
    case 'gif':
      return tail.includes(0x3b);
    case 'webp':
      return head.length >= 8 && head.readUInt32LE(4) + 8 <= size;
    // The headers say where the pixel array ends (the probe has already refused what cannot be read).
    case 'bmp': {
      const r = readBmpHeader(head, size);
      return r.ok || r.reason !== 'truncated';
    }
    default:
      return true;
  }
}
