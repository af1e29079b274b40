// The decoded image as PIL's convert("RGB") gives it, before any resize: alpha dropped, CMYK by PIL's formula.
import sharp, { type Sharp } from 'sharp';
import { decodeBmp, isBmp } from '../formats/bmp-decode.js';
import { fillTransparent, gifTransparentColour } from '../formats/gif-transparency.js';

/** A sharp pipeline that yields RGB with the EXIF orientation applied; resize and crop are added by the caller. */
export interface RgbSource {
  img: Sharp;
  /** How it was made (tests and benchmarks report it). */
  path: 'direct' | 'full-size' | 'cmyk' | 'gif-transparent';
}

/** PIL's cmyk2rgb (Convert.c): nk = 255 − K; channel = nk − round(C·nk / 255), rounded as MULDIV255 rounds. */
export function cmykToRgb(cmyk: Uint8Array, pixels: number): Buffer {
  const out = Buffer.allocUnsafe(pixels * 3);
  for (let i = 0, o = 0; i < pixels * 4; i += 4, o += 3) {
    const nk = 255 - cmyk[i + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[i + c] * nk + 128;
      out[o + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return out;
}

function rawRgb(data: Buffer, width: number, height: number): Sharp {
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/**
 * Open `bytes` so that a following resize sees PIL's RGB. Images with alpha (RGBA, LA, palette with tRNS, BMP with
 * alpha) are flattened to their stored colour channels at full size first: resizing them directly would premultiply
 * by alpha and darken translucent pixels. CMYK is read raw and converted with PIL's formula, not an ICC profile.
 * A GIF's transparent pixels take their palette colour, which libvips drops. 16-bit images are cut to 8 bits first
 * (PIL keeps the high byte) so Lanczos rounds as PIL's does. Opaque 8-bit RGB and grayscale go straight through,
 * keeping libvips' JPEG shrink-on-load unless `fullSize` asks for PIL's decode.
 */
export async function openRgb(bytes: Buffer, limitInputPixels: number, fullSize = false): Promise<RgbSource> {
  if (isBmp(bytes)) {
    const { width, height, channels, data } = decodeBmp(bytes, limitInputPixels);
    const img = sharp(data, { raw: { width, height, channels } });
    if (channels !== 4) return { img, path: 'direct' };
    return { img: rawRgb(await img.removeAlpha().raw().toBuffer(), width, height), path: 'full-size' };
  }
  const open = (): Sharp => sharp(bytes, { limitInputPixels, failOn: 'error' });
  const meta = await open().metadata();
  if (meta.space === 'cmyk') {
    const { data, info } = await open()
      .pipelineColourspace('cmyk')
      .rotate()
      .toColourspace('cmyk')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { img: rawRgb(cmykToRgb(data, info.width * info.height), info.width, info.height), path: 'cmyk' };
  }
  const clearColour = meta.format === 'gif' && meta.hasAlpha ? gifTransparentColour(bytes) : null;
  if (clearColour) {
    const { data, info } = await open().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const rgb = fillTransparent(data, info.width * info.height, clearColour);
    return { img: rawRgb(rgb, info.width, info.height), path: 'gif-transparent' };
  }
  if (!meta.hasAlpha && meta.depth !== 'ushort' && !fullSize)
    return { img: open().rotate().toColourspace('srgb'), path: 'direct' };
  const { data, info } = await open()
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { img: rawRgb(data, info.width, info.height), path: 'full-size' };
}
