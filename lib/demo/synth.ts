// Photo-like synthetic pixels (smooth colour fields, stripes, grain) encoded with sharp, plus a BMP writer sharp lacks.
import sharp from 'sharp';
import { createRng } from './rng.js';

/** Encodings the demo writes. `jpeg-exif6` etc. carry an EXIF orientation tag, so the true shape is rotated. */
export type DemoFormat =
  | 'jpeg'
  | 'jpeg-progressive'
  | 'jpeg-exif3'
  | 'jpeg-exif6'
  | 'jpeg-exif8'
  | 'png'
  | 'png-alpha'
  | 'webp'
  | 'gif'
  | 'tiff'
  | 'bmp';

/** File extension for a format. */
export function extensionOf(format: DemoFormat): string {
  if (format.startsWith('jpeg')) return 'jpg';
  if (format.startsWith('png')) return 'png';
  return format === 'tiff' ? 'tif' : format;
}

/** EXIF orientation written for a format (1 = none). */
export function orientationOf(format: DemoFormat): number {
  const m = /^jpeg-exif(\d)$/.exec(format);
  return m ? Number(m[1]) : 1;
}

/**
 * Raw RGB pixels at width×height. Work happens at quarter resolution in JS and sharp scales up, so a 1 MP image
 * costs ~0.2 M samples of JS arithmetic; the seed fully determines the pixels.
 */
export async function synthRaw(seed: number, width: number, height: number): Promise<Buffer> {
  const rng = createRng(seed);
  const w = Math.max(2, Math.ceil(width / 4));
  const h = Math.max(2, Math.ceil(height / 4));
  const palette = Array.from({ length: 4 }, () => [rng.int(20, 235), rng.int(20, 235), rng.int(20, 235)] as const);
  const freq = 0.05 + rng.next() * 0.3;
  const angle = rng.next() * Math.PI;
  const cx = Math.cos(angle);
  const cy = Math.sin(angle);
  const small = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    const fy = y / (h - 1);
    for (let x = 0; x < w; x++) {
      const fx = x / (w - 1);
      const stripe = 18 * Math.sin((x * cx + y * cy) * freq);
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        // bilinear blend of four corner colours + stripes + grain
        const top = palette[0][c] * (1 - fx) + palette[1][c] * fx;
        const bottom = palette[2][c] * (1 - fx) + palette[3][c] * fx;
        const v = top * (1 - fy) + bottom * fy + stripe + (rng.next() - 0.5) * 24;
        small[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return sharp(small, { raw: { width: w, height: h, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
}

/**
 * Encode raw RGB into `format`. EXIF-rotated formats store the pixels pre-rotated so the displayed image is upright.
 */
export async function encodeImage(raw: Buffer, width: number, height: number, format: DemoFormat): Promise<Buffer> {
  if (format === 'bmp') return encodeBmp(raw, width, height);
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  switch (format) {
    case 'jpeg':
      return img.jpeg({ quality: 88 }).toBuffer();
    case 'jpeg-progressive':
      return img.jpeg({ quality: 88, progressive: true }).toBuffer();
    case 'png':
      return img.png({ compressionLevel: 6 }).toBuffer();
    case 'png-alpha':
      return img.ensureAlpha(0.85).png({ compressionLevel: 6 }).toBuffer();
    case 'webp':
      return img.webp({ quality: 82 }).toBuffer();
    case 'gif':
      return img.gif({ effort: 1 }).toBuffer();
    case 'tiff':
      return img.tiff({ compression: 'lzw' }).toBuffer();
    default:
      return encodeRotated(raw, width, height, orientationOf(format));
  }
}

/** Store the pixels so that applying the EXIF orientation yields the upright width×height image. */
async function encodeRotated(raw: Buffer, width: number, height: number, orientation: number): Promise<Buffer> {
  // Orientation 6 means "rotate 90° clockwise to display", so store it rotated 90° counter-clockwise (and so on).
  const undo = orientation === 6 ? 270 : orientation === 8 ? 90 : 180;
  const stored = await sharp(raw, { raw: { width, height, channels: 3 } })
    .rotate(undo)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
    .jpeg({ quality: 88 })
    .withMetadata({ orientation })
    .toBuffer();
}

/** Minimal 24-bit uncompressed BMP (bottom-up rows, 4-byte row padding). */
export function encodeBmp(raw: Buffer, width: number, height: number): Buffer {
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const dataSize = rowSize * height;
  const out = Buffer.alloc(54 + dataSize);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(54 + dataSize, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(dataSize, 34);
  out.writeInt32LE(2835, 38);
  out.writeInt32LE(2835, 42);
  for (let y = 0; y < height; y++) {
    const dst = 54 + (height - 1 - y) * rowSize;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      out[dst + x * 3] = raw[s + 2]!;
      out[dst + x * 3 + 1] = raw[s + 1]!;
      out[dst + x * 3 + 2] = raw[s]!;
    }
  }
  return out;
}
