// Test helper: a tiny BMP writer (sharp cannot write BMP) for 1/4/8-bit paletted, 16/24/32-bit, bit fields, top-down
// and RLE8.

/** What to write. Pixel rows are given top row first, as stored bytes without padding. */
export interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 16 | 24 | 32;
  rows: Buffer[];
  /** Negative height in the header. @default false */
  topDown?: boolean;
  /** RGB palette entries (written as BGRX). */
  palette?: [number, number, number][];
  /** R, G, B, A masks: writes BI_BITFIELDS (in a V4 header when A is set, else after a 40-byte header). */
  masks?: [number, number, number, number];
  /** RLE8: `rows` is ignored and `rle` is written as the pixel data. */
  rle?: Buffer;
}

/** Encodes `spec` as a complete BMP file (rows padded to 4 bytes). */
export function writeBmp(spec: BmpSpec): Buffer {
  const { width, height, bpp } = spec;
  const dib = spec.masks && spec.masks[3] !== 0 ? 108 : 40;
  const extraMasks = spec.masks && dib === 40 ? 12 : 0;
  const palette = spec.palette ?? [];
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const dataOffset = 14 + dib + extraMasks + palette.length * 4;
  const data = spec.rle ?? Buffer.alloc(stride * height);
  if (!spec.rle) {
    spec.rows.forEach((row, y) => row.copy(data, (spec.topDown ? y : height - 1 - y) * stride));
  }
  const out = Buffer.alloc(dataOffset + data.length);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(dataOffset, 10);
  out.writeUInt32LE(dib, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(spec.topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(spec.rle ? 1 : spec.masks ? 3 : 0, 30);
  out.writeUInt32LE(data.length, 34);
  out.writeUInt32LE(palette.length, 46);
  if (spec.masks) spec.masks.slice(0, dib === 40 ? 3 : 4).forEach((m, i) => out.writeUInt32LE(m, 54 + i * 4));
  palette.forEach(([r, g, b], i) => out.set([b, g, r, 0], 14 + dib + extraMasks + i * 4));
  data.copy(out, dataOffset);
  return out;
}

/** Rows of 24-bit BGR (or 32-bit BGRX with `x` as the fourth byte) from RGB pixels. */
export function bgrRows(rgb: Buffer, width: number, height: number, bytesPerPixel: 3 | 4 = 3, x = 0): Buffer[] {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width * bytesPerPixel);
    for (let i = 0; i < width; i++) {
      const s = (y * width + i) * 3;
      row.set([rgb[s + 2], rgb[s + 1], rgb[s]], i * bytesPerPixel);
      if (bytesPerPixel === 4) row[i * 4 + 3] = x;
    }
    rows.push(row);
  }
  return rows;
}

/** Rows of packed 1/4/8-bit palette indices, most significant bits first. */
export function indexRows(indices: Uint8Array, width: number, height: number, bpp: 1 | 4 | 8): Buffer[] {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(Math.ceil((width * bpp) / 8));
    for (let i = 0; i < width; i++) {
      const bit = i * bpp;
      row[bit >> 3] |= indices[y * width + i] << (8 - bpp - (bit & 7));
    }
    rows.push(row);
  }
  return rows;
}

/** Rows of little-endian 16- or 32-bit words. */
export function wordRows(words: number[], width: number, height: number, bpp: 16 | 32): Buffer[] {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc((width * bpp) / 8);
    for (let i = 0; i < width; i++) {
      if (bpp === 16) row.writeUInt16LE(words[y * width + i], i * 2);
      else row.writeUInt32LE(words[y * width + i] >>> 0, i * 4);
    }
    rows.push(row);
  }
  return rows;
}

/** RLE8 pixel data (bottom-up, as RLE requires): one run per pixel, end-of-line after each row, end-of-bitmap. */
export function rle8(indices: Uint8Array, width: number, height: number): Buffer {
  const bytes: number[] = [];
  for (let y = height - 1; y >= 0; y--) {
    for (let i = 0; i < width; i++) bytes.push(1, indices[y * width + i]);
    bytes.push(0, 0);
  }
  bytes.push(0, 1);
  return Buffer.from(bytes);
}

/** Deterministic pseudo-random bytes (a small LCG), so failures reproduce. */
export function seededBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}
