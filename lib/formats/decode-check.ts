// Full decode with sharp (only for scan_for_errors or a suspicious tail): classifies why an image fails.
import sharp from 'sharp';
import type { SkipReason } from './skip-reason.js';
import { BmpError, decodeBmp, isBmp } from './bmp-decode.js';

sharp.cache(false);

/** Default pixel limit: sharp's own (0x3FFF²), refusing decompression bombs before any decode. */
export const DEFAULT_PIXEL_LIMIT = 0x3fff * 0x3fff;

/** Maps a sharp/libvips failure message to a skip reason. */
export function classifyDecodeError(message: string): SkipReason {
  const m = message.toLowerCase();
  if (m.includes('pixel limit')) return 'pixel_limit';
  if (m.includes('unsupported image format') || m.includes('no decoder') || m.includes('not a known file format'))
    return 'unsupported';
  if (m.includes('truncat') || m.includes('premature end') || m.includes('unexpected end') || m.includes('end of file'))
    return 'truncated';
  return 'corrupt';
}

/** Decodes every pixel (shrunk on load where the codec allows); null when fine, else the classified failure. */
export async function decodeCheck(
  buf: Buffer,
  pixelLimit: number,
): Promise<{ reason: SkipReason; message: string } | null> {
  try {
    // libvips has no BMP loader; the stream's own reader is the one that must succeed.
    if (isBmp(buf)) return decodeBmp(buf, pixelLimit) && null;
    await sharp(buf, { failOn: 'truncated', limitInputPixels: pixelLimit, animated: false })
      .resize(64, 64, { fit: 'inside' })
      .raw()
      .toBuffer();
    return null;
  } catch (err) {
    const message = (err as Error).message;
    return { reason: err instanceof BmpError ? err.reason : classifyDecodeError(message), message };
  }
}
