// TIFF: IFD0 width, height and orientation; the IFD may sit anywhere (often after the pixel data).
import { fail, needOrTruncated, ok, type ProbeOutcome } from './probe-types.js';

interface Endian {
  le: boolean;
}

function ifdValue(buf: Buffer, e: number, en: Endian): number {
  const type = en.le ? buf.readUInt16LE(e + 2) : buf.readUInt16BE(e + 2);
  if (type === 3) return en.le ? buf.readUInt16LE(e + 8) : buf.readUInt16BE(e + 8);
  return en.le ? buf.readUInt32LE(e + 8) : buf.readUInt32BE(e + 8);
}

/** `buf` starts at the IFD (absolute offset `at`). */
function readIfd(buf: Buffer, at: number, eof: boolean, en: Endian): ProbeOutcome {
  const retry = (min: number) => needOrTruncated('tiff', eof, at, min, (b, e) => readIfd(b, at, e, en));
  if (buf.length < 2) return retry(2);
  const n = en.le ? buf.readUInt16LE(0) : buf.readUInt16BE(0);
  if (buf.length < 2 + n * 12) return retry(2 + n * 12);
  let w = 0;
  let h = 0;
  let orientation = 1;
  for (let k = 0; k < n; k++) {
    const e = 2 + k * 12;
    const tag = en.le ? buf.readUInt16LE(e) : buf.readUInt16BE(e);
    if (tag === 256) w = ifdValue(buf, e, en);
    else if (tag === 257) h = ifdValue(buf, e, en);
    else if (tag === 274) orientation = ifdValue(buf, e, en);
  }
  if (orientation < 1 || orientation > 8) orientation = 1;
  return ok('tiff', w, h, orientation);
}

/** Classic TIFF ("II*\0" / "MM\0*"); BigTIFF is reported unsupported. */
export function probeTiff(buf: Buffer, eof: boolean): ProbeOutcome {
  if (buf.length < 8) return needOrTruncated('tiff', eof, 0, 8, probeTiff);
  const en = { le: buf[0] === 0x49 };
  const version = en.le ? buf.readUInt16LE(2) : buf.readUInt16BE(2);
  if (version === 43) return fail('unsupported', 'tiff: BigTIFF is not supported');
  if (version !== 42) return fail('corrupt', `tiff: bad version ${version}`);
  const ifd = en.le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  if (ifd < 8) return fail('corrupt', `tiff: IFD offset ${ifd}`);
  if (ifd + 2 <= buf.length) {
    const n = en.le ? buf.readUInt16LE(ifd) : buf.readUInt16BE(ifd);
    if (ifd + 2 + n * 12 <= buf.length) return readIfd(buf.subarray(ifd), ifd, eof, en);
  }
  return needOrTruncated('tiff', eof, ifd, 2, (b, e) => readIfd(b, ifd, e, en));
}
