// Builds real image datasets for runtime tests: encoded files on disk, a literal DatasetIndex and ImageDatasetConfig.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { ImageDatasetConfig } from '../../lib/config/types.js';
import type { DatasetIndex, SampleMetadata } from '../../lib/metadata/types.js';
import type { LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { LocalStorage } from '../../lib/storage/local.js';

/** Every field of ImageDatasetConfig with SimpleTuner-like defaults. */
export function imageConfig(id: string, root: string, over: Partial<ImageDatasetConfig> = {}): ImageDatasetConfig {
  return {
    id,
    type: 'local',
    dataset_type: 'image',
    instance_data_dir: root,
    resolution: 48,
    resolution_type: 'pixel',
    minimum_image_size: null,
    maximum_image_size: null,
    target_downsample_size: null,
    minimum_aspect_ratio: null,
    maximum_aspect_ratio: null,
    max_upscale_threshold: null,
    crop: true,
    crop_aspect: 'preserve',
    crop_aspect_buckets: null,
    crop_style: 'center',
    caption_strategy: 'filename',
    instance_prompt: null,
    prepend_instance_prompt: false,
    only_instance_prompt: false,
    caption_shuffle: null,
    metadata_backend: 'discovery',
    train_batch_size: 2,
    repeats: 0,
    probability: 1,
    start_epoch: 1,
    start_step: 0,
    end_epoch: null,
    end_step: null,
    disable_after_epoch_step: null,
    max_num_samples: null,
    scan_for_errors: false,
    cache_dir_vae: path.join(root, '.vae-none'),
    cache_file_suffix: '',
    text_embeds: null,
    image_embeds: null,
    conditioning_data: [],
    source_dataset_id: null,
    conditioning_type: null,
    skip_file_discovery: '',
    preserve_data_backend_cache: false,
    compress_cache: false,
    vae_cache_ondemand: false,
    vae_cache_disable: false,
    video: null,
    aws: null,
    csv: null,
    parquet: null,
    huggingface: null,
    aspect_bucket_alignment: 8,
    aspect_bucket_rounding: 2,
    ...over,
  };
}

/** Every key in bucket '1.0' with its own copy of `meta`: for tests whose images all share one shape. */
export function oneBucketIndex(id: string, keys: string[], meta: SampleMetadata): DatasetIndex {
  const metadata = Object.fromEntries(keys.map((k): [string, SampleMetadata] => [k, structuredClone(meta)]));
  return { id, buckets: { '1.0': [...keys] }, metadata, stats: { total_processed: keys.length, skipped: {} } };
}

/** Bucket shapes used by the fixtures: [bucket, original w, h, target w, h, crop top, left]. */
const SHAPES: [string, number, number, number, number, number, number][] = [
  ['1.0', 64, 64, 48, 48, 8, 8],
  ['1.5', 96, 64, 72, 48, 8, 12],
];

export interface MadeDataset extends LoaderDatasetInput {
  root: string;
}

/**
 * `counts[i]` images in bucket SHAPES[i], named `<bucket>_<n>.jpg` (filename captions "1.0 3" etc.), each a solid
 * colour that encodes its index, written as JPEG. `broken` keys are written truncated; `missing` keys exist only in the
 * index.
 */
export async function makeDataset(
  id: string,
  counts: number[],
  opts: { broken?: string[]; missing?: string[]; config?: Partial<ImageDatasetConfig>; root?: string } = {},
): Promise<MadeDataset> {
  const root = opts.root ?? (await mkdtemp(path.join(os.tmpdir(), `tf-${id}-`)));
  await mkdir(root, { recursive: true });
  const index: DatasetIndex = { id, buckets: {}, metadata: {}, stats: { total_processed: 0, skipped: {} } };
  let n = 0;
  for (let b = 0; b < counts.length; b++) {
    const [bucket, w, h, tw, th, top, left] = SHAPES[b];
    const keys: string[] = [];
    for (let i = 0; i < counts[b]; i++, n++) {
      const key = `${bucket.replace('.', '_')}_${i}.jpg`;
      keys.push(key);
      const meta: SampleMetadata = {
        original_size: [w, h],
        intermediary_size: [w, h],
        target_size: [tw, th],
        crop_coordinates: [top, left],
        aspect_ratio: Number(bucket),
      };
      index.metadata[key] = meta;
      if (opts.missing?.includes(key)) continue;
      const img = await sharp({
        create: { width: w, height: h, channels: 3, background: { r: (n * 37) % 256, g: (n * 11) % 256, b: 100 } },
      })
        .jpeg()
        .toBuffer();
      await writeFile(path.join(root, key), opts.broken?.includes(key) ? img.subarray(0, 120) : img);
    }
    index.buckets[bucket] = keys;
  }
  index.stats.total_processed = n;
  return { root, config: imageConfig(id, root, opts.config), storage: new LocalStorage({ id, root }), index };
}
