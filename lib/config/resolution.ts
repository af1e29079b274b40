// Resolution inheritance and the pixel_area → area conversion, done one way only (px²/1e6, sizes when > 0).
import type { TrainingArgs } from './types.js';

const IMAGE_FAMILY = new Set(['image', 'video', 'conditioning', 'eval']);
const SIZE_FIELDS = ['minimum_image_size', 'maximum_image_size', 'target_downsample_size'] as const;

/** pixel and pixel_area values are edge lengths in px; area values are megapixels. */
function isMegapixels(type: unknown): boolean {
  return type === 'area';
}

/** Convert an inherited args value into the unit the dataset's own resolution_type reads. */
function toDatasetUnit(value: number, argsType: string, datasetType: unknown): number {
  const fromMp = isMegapixels(argsType);
  const toMp = isMegapixels(datasetType);
  if (fromMp === toMp) return value;
  return toMp ? (value * value) / 1e6 : Math.round(Math.sqrt(value * 1e6));
}

/** pixel_area: an edge of `px` pixels means an area of px² pixels, i.e. px²/1e6 megapixels (1024 → 1.048576). */
export function pixelAreaToMegapixels(px: number): number {
  return (px * px) / 1e6;
}

/**
 * Fill resolution, resolution_type and the size fields from args when the entry omits them, then turn
 * pixel_area into area. SimpleTuner has two conversions (px²/1e6 in the factory, px²/args.resolution with a
 * `> 10` threshold in the config class); tunefeed uses only the factory's: resolution = px²/1e6 and each size
 * field squared/1e6 when it is > 0. Non-numeric values are left for validation to report.
 */
export function convertResolution(raw: Record<string, unknown>, args: TrainingArgs): void {
  if (!IMAGE_FAMILY.has(raw.dataset_type as string)) return;
  if (raw.resolution_type === undefined || raw.resolution_type === null) raw.resolution_type = args.resolution_type;
  const type = raw.resolution_type;
  if (raw.resolution === undefined || raw.resolution === null) {
    raw.resolution = toDatasetUnit(args.resolution, args.resolution_type, type);
  }
  for (const f of SIZE_FIELDS) {
    const inherited = args[f];
    if ((raw[f] === undefined || raw[f] === null) && typeof inherited === 'number') {
      raw[f] = toDatasetUnit(inherited, args.resolution_type, type);
    }
  }
  if (type !== 'pixel_area') return;
  raw.resolution_type = 'area';
  if (typeof raw.resolution === 'number') raw.resolution = pixelAreaToMegapixels(raw.resolution);
  for (const f of SIZE_FIELDS) {
    const v = raw[f];
    if (typeof v === 'number' && v > 0) raw[f] = pixelAreaToMegapixels(v);
  }
}
