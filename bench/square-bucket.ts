// What the decode-path benches share: square-crop geometry options and an index that puts every image in one bucket.
import path from 'node:path';
import sharp from 'sharp';
import { computeGeometry, type GeometryOptions } from '../lib/metadata/geometry.js';
import type { DatasetIndex, SampleMetadata } from '../lib/metadata/types.js';

/** Pixel-resolution geometry with a centre crop and no size limits, as the decode benches measure it. */
export function benchGeometry(
  resolution: number,
  cropAspect: GeometryOptions['cropAspect'] = 'square',
): GeometryOptions {
  return {
    resolution,
    resolutionType: 'pixel',
    alignment: 64,
    rounding: 2,
    crop: true,
    cropAspect,
    cropAspectBuckets: null,
    cropStyle: 'center',
    maxUpscaleThreshold: null,
    maximumImageSize: null,
    targetDownsampleSize: null,
  };
}

/** All `files` (below `root`) in one '1.0' bucket, keys sorted, with real geometry from lib/metadata. */
export async function squareBucketIndex(
  id: string,
  root: string,
  files: string[],
  geometry: GeometryOptions,
): Promise<DatasetIndex> {
  const metadata: Record<string, SampleMetadata> = {};
  for (const f of files) {
    const m = await sharp(f).metadata();
    // The upright size: an EXIF-rotated file's stored width and height are swapped.
    const upright: [number, number] = [m.autoOrient?.width ?? m.width, m.autoOrient?.height ?? m.height];
    metadata[path.relative(root, f)] = computeGeometry(upright, geometry, () => 0.5);
  }
  const keys = Object.keys(metadata).sort();
  return { id, buckets: { '1.0': keys }, metadata, stats: { total_processed: keys.length, skipped: {} } };
}
