// BMP reader (sharp's prebuilt libvips has none): header checks shared with the scan's probe, pixels as raw RGB(A).

/** Why a BMP cannot be used; the same words in the scan's probe and the stream's decode. */
export type BmpFailureReason = 'unsupported' | 'corrupt' | 'truncated' | 'pixel_limit';

/** Everything needed to read the pixel array (sizes in bytes, offsets from the start of the file). */
export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  /** 0 BI_RGB, 3 BI_BITFIELDS, 6 BI_ALPHABITFIELDS (the only ones read). */
  compression: number;
  dataOffset: number;
  stride: number;
  /** Where the pixel array ends: a shorter file is truncated. */
  dataEnd: number;
  /** R, G, B, A masks for 16/32-bit pixels (A 0 = no alpha). */
  masks: [number, number, number, number];
  paletteOffset: number;
  paletteEntries: number;
  /** 3 for the OS/2 core header (RGBTRIPLE), else 4 (RGBQUAD). */
  paletteEntrySize: number;
}

export type BmpHeaderResult =
  { ok: true; header: BmpHeader } | { ok: false; reason: BmpFailureReason; message: string };

/** Raw pixels ready for sharp's `{ raw: { width, height, channels } }` input. */
export interface BmpPixels {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Buffer;
}

/** Thrown by decodeBmp; `reason` is the skip reason. */
export class BmpError extends Error {
  constructor(
    message: string,
    readonly reason: BmpFailureReason,
  ) {
    super(message);
    this.name = 'BmpError';
  }
}

const DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
const COMPRESSION_NAMES: Record<number, string> = {
  1: 'RLE8',
  2: 'RLE4',
  4: 'JPEG',
  5: 'PNG',
  11: 'CMYK',
  12: 'CMYK-RLE8',
  13: 'CMYK-RLE4',
};
/** Default masks when BI_RGB: 16-bit is X1R5G5B5, 32-bit is BGRX (the fourth byte is not alpha, as in PIL). */
const RGB_MASKS: Record<number, [number, number, number, number]> = {
  16: [0x7c00, 0x3e0, 0x1f, 0],
  24: [0xff0000, 0xff00, 0xff, 0],
  32: [0xff0000, 0xff00, 0xff, 0],
};

export function isBmp(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

/** How many leading bytes readBmpHeader needs, judged from what `buf` already holds (grows as more is known). */
export function bmpHeaderBytes(buf: Buffer): number {
  if (buf.length < 18) return 18;
  const dib = buf.readUInt32LE(14);
  if (!DIB_SIZES.has(dib)) return 18;
  if (dib !== 40) return 14 + dib;
  if (buf.length < 54) return 54;
  const c = buf.readUInt32LE(30);
  return 54 + (c === 3 ? 12 : c === 6 ? 16 : 0);
}

const bad = (reason: BmpFailureReason, message: string): BmpHeaderResult => ({ ok: false, reason, message });

/** Parses and checks the headers (the file's length decides truncation). Never throws. */
export function readBmpHeader(buf: Buffer, fileSize = buf.length): BmpHeaderResult {
  if (!isBmp(buf)) return bad('corrupt', 'bmp: no BM signature');
  if (buf.length < bmpHeaderBytes(buf)) return bad('truncated', 'bmp: file ends inside its headers');
  const dib = buf.readUInt32LE(14);
  if (!DIB_SIZES.has(dib)) return bad('corrupt', `bmp: unknown DIB header size ${dib}`);
  const core = dib === 12;
  const width = core ? buf.readUInt16LE(18) : buf.readInt32LE(18);
  const rawHeight = core ? buf.readUInt16LE(20) : buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(core ? 24 : 28);
  const compression = core ? 0 : buf.readUInt32LE(30);
  if (!(width > 0) || rawHeight === 0 || rawHeight === -0x80000000)
    return bad('corrupt', `bmp: header states ${width}x${rawHeight}`);
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    return bad(
      'unsupported',
      `bmp: ${COMPRESSION_NAMES[compression] ?? `compression ${compression}`} is not supported`,
    );
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) return bad('unsupported', `bmp: ${bpp} bits per pixel is not supported`);
  if (compression !== 0 && bpp !== 16 && bpp !== 32)
    return bad('unsupported', `bmp: bit fields with ${bpp} bits per pixel`);
  const masks = compression === 0 ? (RGB_MASKS[bpp] ?? [0, 0, 0, 0]) : readMasks(buf, dib, compression);
  if (compression !== 0 && (masks[0] === 0 || masks[1] === 0 || masks[2] === 0))
    return bad('corrupt', 'bmp: a colour mask is zero');
  const height = Math.abs(rawHeight);
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const dataOffset = buf.readUInt32LE(10);
  const paletteOffset = 14 + dib + (dib === 40 && compression === 3 ? 12 : dib === 40 && compression === 6 ? 16 : 0);
  const used = core ? 0 : buf.readUInt32LE(46);
  const paletteEntries = bpp <= 8 ? Math.min(used || 1 << bpp, 1 << bpp) : 0;
  const paletteEntrySize = core ? 3 : 4;
  const dataEnd = dataOffset + stride * height;
  if (bpp <= 8 && paletteOffset + paletteEntries * paletteEntrySize > fileSize)
    return bad('truncated', 'bmp: file ends inside its palette');
  if (dataEnd > fileSize) return bad('truncated', `bmp: file ends before its pixels (${fileSize} of ${dataEnd} bytes)`);
  return {
    ok: true,
    header: {
      width,
      height,
      topDown: rawHeight < 0,
      bpp,
      compression,
      dataOffset,
      stride,
      dataEnd,
      masks,
      paletteOffset,
      paletteEntries,
      paletteEntrySize,
    },
  };
}

/** Masks live in the V2+ header, or right after a 40-byte header when the compression says bit fields. */
function readMasks(buf: Buffer, dib: number, compression: number): [number, number, number, number] {
  const alpha = dib >= 56 || (dib === 40 && compression === 6);
  return [buf.readUInt32LE(54), buf.readUInt32LE(58), buf.readUInt32LE(62), alpha ? buf.readUInt32LE(66) : 0];
}

/** Decodes a BMP to RGB (RGBA when an alpha mask is present). Throws BmpError with a skip reason. */
export function decodeBmp(buf: Buffer, pixelLimit = Infinity): BmpPixels {
  const r = readBmpHeader(buf);
  if (!r.ok) throw new BmpError(r.message, r.reason);
  const h = r.header;
  if (h.width * h.height > pixelLimit)
    throw new BmpError(`bmp: ${h.width}x${h.height} exceeds the pixel limit ${pixelLimit}`, 'pixel_limit');
  const channels = h.bpp > 8 && h.masks[3] !== 0 ? 4 : 3;
  const out = Buffer.alloc(h.width * h.height * channels);
  const readRow = h.bpp <= 8 ? paletteRow(buf, h) : h.bpp === 24 ? bgrRow(buf) : maskedRow(buf, h, channels);
  for (let y = 0; y < h.height; y++) {
    const src = h.dataOffset + (h.topDown ? y : h.height - 1 - y) * h.stride;
    readRow(src, out, y * h.width * channels, h.width);
  }
  return { width: h.width, height: h.height, channels, data: out };
}

type RowReader = (src: number, out: Buffer, dst: number, width: number) => void;

/** 1/4/8-bit indices, most significant bits first; an index past the palette reads as black. */
function paletteRow(buf: Buffer, h: BmpHeader): RowReader {
  const palette = Buffer.alloc(256 * 3);
  for (let i = 0; i < h.paletteEntries; i++) {
    const p = h.paletteOffset + i * h.paletteEntrySize;
    palette[i * 3] = buf[p + 2]!;
    palette[i * 3 + 1] = buf[p + 1]!;
    palette[i * 3 + 2] = buf[p]!;
  }
  const perByte = 8 / h.bpp;
  const mask = (1 << h.bpp) - 1;
  return (src, out, dst, width) => {
    for (let x = 0; x < width; x++) {
      const byte = buf[src + Math.floor(x / perByte)];
      const idx = (byte >> (8 - h.bpp * ((x % perByte) + 1))) & mask;
      palette.copy(out, dst + x * 3, idx * 3, idx * 3 + 3);
    }
  };
}

function bgrRow(buf: Buffer): RowReader {
  return (src, out, dst, width) => {
    for (let x = 0; x < width; x++) {
      out[dst + x * 3] = buf[src + x * 3 + 2]!;
      out[dst + x * 3 + 1] = buf[src + x * 3 + 1]!;
      out[dst + x * 3 + 2] = buf[src + x * 3]!;
    }
  };
}

/** One channel's mask as shift + maximum; values are scaled to 0–255 with integer division, as PIL's unpackers do. */
function channelOf(mask: number): (px: number) => number {
  if (mask === 0) return () => 255;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return max === 255 ? (px) => (px & mask) >>> shift : (px) => Math.floor((((px & mask) >>> shift) * 255) / max);
}

function maskedRow(buf: Buffer, h: BmpHeader, channels: number): RowReader {
  const ch = h.masks.map(channelOf);
  const bytes = h.bpp / 8;
  return (src, out, dst, width) => {
    for (let x = 0; x < width; x++) {
      const px = bytes === 2 ? buf.readUInt16LE(src + x * 2) : buf.readUInt32LE(src + x * 4);
      for (let c = 0; c < channels; c++) out[dst + x * channels + c] = ch[c](px);
    }
  };
}
