// Test helper: real encoded images of every format (sharp), EXIF-rotated, odd pixel layouts, plus broken variants.
import { mkdir, writeFile, readFile, truncate as fsTruncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';

export type MakeFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'bmp';

/** What to encode. Pixels are a deterministic gradient so files are small and reproducible. */
export interface MakeImageOptions {
  w: number;
  h: number;
  format: MakeFormat;
  /** EXIF orientation 1–8 (JPEG, WebP, TIFF; pixels stay w×h as stored). */
  orientation?: number;
  /** 'grey' (1 channel), 'alpha' (RGBA), 'cmyk' (JPEG/TIFF), 'rgb16' (16-bit PNG/TIFF). @default 'rgb' */
  pixels?: 'rgb' | 'grey' | 'alpha' | 'cmyk' | 'rgb16';
  /** Frames for an animated GIF/WebP/PNG-less formats. */
  frames?: number;
  /** JPEG progressive scan. */
  progressive?: boolean;
  quality?: number;
}

function gradient(w: number, h: number, channels: number): Buffer {
  const buf = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * channels;
      buf[i] = (x * 255) / Math.max(1, w - 1);
      if (channels > 1) buf[i + 1] = (y * 255) / Math.max(1, h - 1);
      if (channels > 2) buf[i + 2] = ((x + y) * 7) & 255;
      if (channels > 3) buf[i + 3] = 200;
    }
  }
  return buf;
}

/** A 24-bit bottom-up BMP (sharp cannot write BMP). */
export function encodeBmp(w: number, h: number): Buffer {
  const row = Math.ceil((w * 3) / 4) * 4;
  const out = Buffer.alloc(54 + row * h);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(w, 18);
  out.writeInt32LE(h, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(row * h, 34);
  const px = gradient(w, h, 3);
  for (let y = 0; y < h; y++) px.copy(out, 54 + (h - 1 - y) * row, y * w * 3, (y + 1) * w * 3);
  return out;
}

/** Encoded bytes for `o`. */
export async function encodeImage(o: MakeImageOptions): Promise<Buffer> {
  if (o.format === 'bmp') return encodeBmp(o.w, o.h);
  const frames = o.frames ?? 1;
  const channels = o.pixels === 'alpha' ? 4 : 3;
  let img = sharp(gradient(o.w, o.h * frames, channels), {
    raw: { width: o.w, height: o.h * frames, channels, ...(frames > 1 ? { pageHeight: o.h } : {}) },
  });
  if (o.pixels === 'grey') img = img.greyscale();
  if (o.pixels === 'cmyk') img = img.toColourspace('cmyk');
  if (o.pixels === 'rgb16') img = img.toColourspace('rgb16');
  if (o.orientation) img = img.withMetadata({ orientation: o.orientation });
  const q = o.quality ?? 80;
  switch (o.format) {
    case 'jpeg':
      return img.jpeg({ quality: q, progressive: o.progressive ?? false }).toBuffer();
    case 'png':
      return img.png().toBuffer();
    case 'webp':
      return img.webp({ quality: q, ...(frames > 1 ? { loop: 0 } : {}) }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'tiff':
      return img.tiff().toBuffer();
    case 'avif':
      return img.avif({ quality: 50, effort: 0 }).toBuffer();
  }
}

/** Writes an encoded image to `path` (creating folders) and returns its bytes. */
export async function makeImage(path: string, o: MakeImageOptions): Promise<Buffer> {
  const buf = await encodeImage(o);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buf);
  return buf;
}

/** Cuts a file to `fraction` of its length (a truncated download). */
export async function truncateFile(path: string, fraction = 0.5): Promise<void> {
  const { length } = await readFile(path);
  await fsTruncate(path, Math.max(1, Math.floor(length * fraction)));
}

/** Overwrites `count` bytes at `offset` with 0xAA (a corrupt header). */
export async function corruptFile(path: string, offset: number, count = 16): Promise<void> {
  const buf = await readFile(path);
  buf.fill(0xaa, offset, Math.min(buf.length, offset + count));
  await writeFile(path, buf);
}

/** A PNG whose IHDR claims w×h (a decompression bomb header; the body is one tiny IDAT). */
export async function makePngBomb(path: string, w = 60000, h = 60000): Promise<void> {
  const buf = await encodeImage({ w: 8, h: 8, format: 'png' });
  buf.writeUInt32BE(w, 16);
  buf.writeUInt32BE(h, 20);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buf);
}

/**
 * A JPEG whose SOF sits after a `padBytes` APP11 chain (like a C2PA manifest, which pushes SOF near 900 KB).
 * APP segments are at most 65535 bytes, so the padding is split into several.
 */
export async function makeJpegWithBigApp(path: string, w: number, h: number, padBytes: number): Promise<Buffer> {
  const jpeg = await encodeImage({ w, h, format: 'jpeg' });
  const segs: Buffer[] = [];
  for (let left = padBytes; left > 0; left -= 65000) {
    const n = Math.min(65000, left);
    const seg = Buffer.alloc(4 + n, 0x41);
    seg[0] = 0xff;
    seg[1] = 0xeb;
    seg.writeUInt16BE(n + 2, 2);
    segs.push(seg);
  }
  const out = Buffer.concat([jpeg.subarray(0, 2), ...segs, jpeg.subarray(2)]);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, out);
  return out;
}

/**
 * A real Motion-JPEG AVI (playable by ffmpeg, readable by ffprobe) of `frames` frames at `fps`: tunefeed's test
 * videos without an ffmpeg encoder on the machine.
 */
export async function makeMjpegAvi(
  path: string,
  o: { w: number; h: number; frames: number; fps: number },
): Promise<Buffer> {
  const jpegs: Buffer[] = [];
  for (let i = 0; i < o.frames; i++)
    jpegs.push(await encodeImage({ w: o.w, h: o.h, format: 'jpeg', quality: 60 + (i % 30) }));
  const chunk = (id: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(data.length, 4);
    return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
  };
  const list = (type: string, ...parts: Buffer[]) =>
    chunk('LIST', Buffer.concat([Buffer.from(type, 'latin1'), ...parts]));
  const maxFrame = Math.max(...jpegs.map((j) => j.length));
  const avih = Buffer.alloc(56);
  [Math.round(1e6 / o.fps), maxFrame * o.fps, 0, 0x10, o.frames, 0, 1, maxFrame, o.w, o.h].forEach((v, i) =>
    avih.writeUInt32LE(v, i * 4),
  );
  const strh = Buffer.alloc(56);
  strh.write('vidsMJPG', 0, 'latin1');
  [
    [20, 1],
    [24, o.fps],
    [32, o.frames],
    [36, maxFrame],
  ].forEach(([off, v]) => strh.writeUInt32LE(v, off));
  strh.writeInt32LE(-1, 40);
  strh.writeUInt16LE(o.w, 52);
  strh.writeUInt16LE(o.h, 54);
  const strf = Buffer.alloc(40);
  strf.writeUInt32LE(40, 0);
  strf.writeInt32LE(o.w, 4);
  strf.writeInt32LE(o.h, 8);
  strf.writeUInt16LE(1, 12);
  strf.writeUInt16LE(24, 14);
  strf.write('MJPG', 16, 'latin1');
  strf.writeUInt32LE(o.w * o.h * 3, 20);
  const hdrl = list('hdrl', chunk('avih', avih), list('strl', chunk('strh', strh), chunk('strf', strf)));
  const frames = jpegs.map((j) => chunk('00dc', j));
  const idx = Buffer.alloc(16 * frames.length);
  let off = 4;
  frames.forEach((f, i) => {
    idx.write('00dc', i * 16, 'latin1');
    idx.writeUInt32LE(0x10, i * 16 + 4);
    idx.writeUInt32LE(off, i * 16 + 8);
    idx.writeUInt32LE(jpegs[i].length, i * 16 + 12);
    off += f.length;
  });
  const body = Buffer.concat([Buffer.from('AVI ', 'latin1'), hdrl, list('movi', ...frames), chunk('idx1', idx)]);
  const out = chunk('RIFF', body);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, out);
  return out;
}

/**
 * Plants `n` image files cheaply: a few encoded templates (varied sizes and formats) copied under distinct names
 * `d<dir>/img<i>.<ext>` in 10 folders. Returns the keys in planting order.
 */
export async function plantCorpus(
  root: string,
  n: number,
  sizes: [number, number][] = [
    [640, 480],
    [480, 640],
    [512, 512],
    [800, 450],
    [300, 600],
  ],
): Promise<string[]> {
  const formats: MakeFormat[] = ['jpeg', 'png', 'webp'];
  const templates = await Promise.all(
    sizes.flatMap(([w, h]) => formats.map(async (format) => ({ format, buf: await encodeImage({ w, h, format }) }))),
  );
  const keys: string[] = [];
  for (let d = 0; d < 10; d++) await mkdir(`${root}/d${d}`, { recursive: true });
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length];
    const key = `d${i % 10}/img${i}.${t.format === 'jpeg' ? 'jpg' : t.format}`;
    await writeFile(`${root}/${key}`, t.buf);
    keys.push(key);
  }
  return keys;
}
