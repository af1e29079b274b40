// Crop offsets (top, left) from an intermediary size to a target size, per crop_style, without pixels.
import type { GeometryOptions } from './geometry.js';
import type { Size } from './size-calculators.js';

function randint(max: number, rng: () => number): number {
  return max > 0 ? Math.floor(rng() * (max + 1)) : 0;
}

/**
 * `[top, left]` as SimpleTuner's croppers report them. Random crops report the real offsets drawn (SimpleTuner's
 * fast path reports an estimate). `face` needs pixels, so a metadata scan falls back to random with a warning.
 */
export function cropCoordinates(current: Size, target: Size, o: GeometryOptions, rng: () => number): [number, number] {
  const [iw, ih] = current;
  const [tw, th] = target;
  switch (o.cropStyle) {
    case 'corner':
      return [0, 0];
    case 'center':
    case 'centre':
      return [Math.max(0, Math.trunc((ih - th) / 2)), Math.max(0, Math.trunc((iw - tw) / 2))];
    case 'face':
      o.onWarning?.('crop_style=face needs pixels; a metadata scan falls back to random crop offsets.');
      return randomCrop(iw, ih, tw, th, rng);
    default:
      return randomCrop(iw, ih, tw, th, rng);
  }
}

function randomCrop(iw: number, ih: number, tw: number, th: number, rng: () => number): [number, number] {
  // Python draws left first, then top.
  const left = randint(Math.max(0, iw - tw), rng);
  const top = randint(Math.max(0, ih - th), rng);
  return [top, left];
}
