// Reference §3.8: which keys of a dataset config are compared with the config saved in its bucket cache file.

/** Keys SimpleTuner leaves out when it compares the cached config with the live one. */
export const VERSIONING_IGNORED_KEYS: ReadonlySet<string> = new Set([
  'probability',
  'ignore_epochs',
  'caption_filter_list',
  'vae_cache_clear_each_epoch',
  'caption_strategy',
  'maximum_image_size',
  'target_downsample_size',
  'parquet',
  'video',
  'conditioning_data',
  'conditioning',
  'hash_filenames',
  '_s2v_audio_autoinjected',
]);

/** Keys that may change between runs: the live value always wins over the cached one (SimpleTuner #3100). */
export const RUNTIME_MUTABLE_KEYS: ReadonlySet<string> = new Set([
  'train_batch_size',
  'repeats',
  'start_epoch',
  'start_step',
  'end_epoch',
  'end_step',
]);

/** The bucket-file config version SimpleTuner writes today. */
export const CONFIG_VERSION = 2;

/** One key whose cached value differs from the live one. */
export interface ConfigDifference {
  key: string;
  cached: unknown;
  live: unknown;
}

/**
 * Keys that make a cached bucket file stale: every key present in the cached config (other than the ignored and
 * runtime-mutable ones, and `config_version`) whose live value differs. Unlike SimpleTuner, tunefeed reports
 * these differences instead of silently restoring the cached value.
 */
export function configDifferences(
  cached: Readonly<Record<string, unknown>>,
  live: Readonly<Record<string, unknown>>,
): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  for (const [key, value] of Object.entries(cached)) {
    if (key === 'config_version' || VERSIONING_IGNORED_KEYS.has(key) || RUNTIME_MUTABLE_KEYS.has(key)) continue;
    if (!(key in live)) continue;
    if (JSON.stringify(value) !== JSON.stringify(live[key])) out.push({ key, cached: value, live: live[key] });
  }
  return out;
}
