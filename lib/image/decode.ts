// Decode one encoded image to the training geometry with sharp, as PIL would: EXIF rotate, RGB, Lanczos, crop.
import sharp, { type Sharp } from 'sharp';
import { ImageDecodeError } from '../errors.js';
import { BmpError } from '../formats/bmp-decode.js';
import { classifyDecodeFailure } from './classify.js';
import { openRgb } from './rgb-source.js';

/**
 * The geometry the scan recorded for a sample (SimpleTuner field names; sizes are [width, height], crop is [top,
 * left]).
 */
export interface SampleGeometry {
  intermediary_size: [number, number];
  target_size: [number, number];
  crop_coordinates: [number, number];
}

/** Options for decoding. */
export interface DecodeOptions {
  /**
   * Refuse inputs with more pixels than this (decompression bombs).
   * @default 178956970 (PIL's MAX_IMAGE_PIXELS × 2, the point where PIL raises)
   */
  limitInputPixels?: number;
  /**
   * Let libvips decode a JPEG or WebP at 1/2, 1/4 or 1/8 scale when the resize shrinks that much (faster, leaves less
   * to Lanczos). `false` decodes at full size as PIL does. Its pixel difference from PIL and its speed, for both
   * settings, are in bench/RESULTS.md (bench/pil.ts); docs/runtime.md#pixels explains the default.
   * @default true
   */
  shrinkOnLoad?: boolean;
}

/** Raw RGB pixels, row-major H×W×3 uint8. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * Decided once per thread: libvips' operation cache only helps repeated inputs, which a data loader never has.
 * Loading sharp in a thread resets the process-wide libvips concurrency to 1 on glibc, so a chosen value
 * (`TUNEFEED_SHARP_CONCURRENCY`) is applied here, after the load, not on the main thread.
 */
let configured = false;
function configureOnce(): void {
  if (configured) return;
  configured = true;
  sharp.cache(false);
  const c = Number(process.env.TUNEFEED_SHARP_CONCURRENCY);
  if (Number.isInteger(c) && c > 0) sharp.concurrency(c);
}

/**
 * Decode `bytes` and produce the target crop. Rejects with ImageDecodeError (reason: corrupt, truncated, unsupported,
 * pixel_limit, geometry).
 */
export async function decodeToTarget(
  bytes: Buffer,
  g: SampleGeometry,
  opts: DecodeOptions = {},
  file?: string,
): Promise<DecodedImage> {
  configureOnce();
  checkCrop(g, file);
  const limit = opts.limitInputPixels ?? 178956970;
  try {
    const src = await openRgb(bytes, limit, opts.shrinkOnLoad === false);
    const img = toGeometry(src.img, g);
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data };
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const reason = err instanceof BmpError ? err.reason : classifyDecodeFailure(msg, bytes);
    throw new ImageDecodeError(`Could not decode image: ${msg}`, reason, { ...(file ? { file } : {}), cause: err });
  }
}

/** Rejects (reason `geometry`) a crop that does not fit inside the intermediary size. */
export function checkCrop(g: SampleGeometry, file?: string): void {
  const [iw, ih] = g.intermediary_size;
  const [tw, th] = g.target_size;
  const [top, left] = g.crop_coordinates;
  if (left < 0 || top < 0 || left + tw > iw || top + th > ih) {
    throw new ImageDecodeError(
      `Crop ${tw}×${th} at (top ${top}, left ${left}) does not fit the intermediary size ${iw}×${ih}`,
      'geometry',
      file ? { file } : {},
    );
  }
}

/**
 * The sample geometry on an RGB image: Lanczos resize to intermediary_size, then the crop (images and video frames).
 */
export function toGeometry(img: Sharp, g: SampleGeometry): Sharp {
  configureOnce();
  const [iw, ih] = g.intermediary_size;
  const [tw, th] = g.target_size;
  const [top, left] = g.crop_coordinates;
  // Not the "fast" variant: it rounds the shrink down and moved WebP pixels off PIL's by up to 17 levels.
  const out = img.resize(iw, ih, { fit: 'fill', kernel: 'lanczos3', fastShrinkOnLoad: false });
  return tw !== iw || th !== ih ? out.extract({ left, top, width: tw, height: th }) : out;
}
