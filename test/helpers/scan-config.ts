// Test helper: a real ImageDatasetConfig + TrainingArgs through loadConfig (so tests use the config stage's defaults).
import { loadConfig } from '../../lib/config/load-config.js';
import type { ImageDatasetConfig, TrainingArgs } from '../../lib/config/types.js';

/**
 * Loads one image dataset entry (plus the required text_embeds entry). The scan tests use a few small images, so
 * the helper sets train_batch_size 1 (SimpleTuner's default of 4 would prune their buckets); pass it to override.
 */
export async function datasetConfig(
  entry: Record<string, unknown>,
  args: Partial<TrainingArgs> = {},
): Promise<{ config: ImageDatasetConfig; args: TrainingArgs }> {
  const loaded = await loadConfig(
    [
      { type: 'local', ...entry },
      {
        id: 'text-embeds',
        dataset_type: 'text_embeds',
        type: 'local',
        default: true,
        cache_dir: '/tmp/tunefeed-test-te',
      },
    ],
    { args: { output_dir: '', train_batch_size: 1, ...args }, checkPaths: false },
  );
  return {
    config: loaded.datasets.find((d) => d.id === entry.id) as ImageDatasetConfig,
    args: loaded.args,
  };
}
