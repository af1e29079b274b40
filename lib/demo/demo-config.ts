// The demo's multidatabackend.json: two weighted image datasets with different crop settings, plus a text-embed
// backend.
import path from 'node:path';

/** Paths inside a demo folder. */
export interface DemoLayout {
  root: string;
  configPath: string;
  datasetDir(name: 'photos' | 'art'): string;
  outputDir: string;
  cacheDir: string;
  markerPath: string;
}

/** Resolve the demo folder's layout (absolute paths, so the config works from any working directory). */
export function demoLayout(dir: string): DemoLayout {
  const root = path.resolve(dir);
  return {
    root,
    configPath: path.join(root, 'multidatabackend.json'),
    datasetDir: (name) => path.join(root, 'datasets', name),
    outputDir: path.join(root, 'output'),
    cacheDir: path.join(root, 'cache'),
    markerPath: path.join(root, '.tunefeed-demo.json'),
  };
}

/** Training args the demo passes next to the config (SimpleTuner globals the config depends on). */
export function demoTrainingArgs(layout: DemoLayout, batchSize: number, seed: number): Record<string, unknown> {
  return {
    model_family: 'sdxl',
    output_dir: layout.outputDir,
    cache_dir: layout.cacheDir,
    resolution: 256,
    resolution_type: 'pixel',
    train_batch_size: batchSize,
    seed,
    caption_strategy: 'textfile',
    aspect_bucket_alignment: 64,
  };
}

/**
 * The config as SimpleTuner would read it. `photos` keeps each image's aspect (crop off, weight 1, seen once per
 * epoch); `art` centre-crops to the closest of three aspects at weight 0.5 but repeats twice.
 */
export function demoConfig(layout: DemoLayout): unknown[] {
  return [
    {
      id: 'demo-photos',
      type: 'local',
      dataset_type: 'image',
      instance_data_dir: layout.datasetDir('photos'),
      caption_strategy: 'textfile',
      resolution: 256,
      resolution_type: 'pixel',
      minimum_image_size: 128,
      crop: false,
      probability: 1.0,
      repeats: 0,
      cache_dir_vae: path.join(layout.cacheDir, 'vae', 'demo-photos'),
      text_embeds: 'demo-text',
    },
    {
      id: 'demo-art',
      type: 'local',
      dataset_type: 'image',
      instance_data_dir: layout.datasetDir('art'),
      caption_strategy: 'textfile',
      resolution: 256,
      resolution_type: 'pixel',
      crop: true,
      crop_aspect: 'closest',
      crop_aspect_buckets: [0.75, 1.0, 1.5],
      crop_style: 'center',
      probability: 0.5,
      repeats: 2,
      cache_dir_vae: path.join(layout.cacheDir, 'vae', 'demo-art'),
      text_embeds: 'demo-text',
    },
    {
      id: 'demo-text',
      type: 'local',
      dataset_type: 'text_embeds',
      default: true,
      cache_dir: path.join(layout.cacheDir, 'text'),
    },
  ];
}
