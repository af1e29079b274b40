// SimpleTuner's embed cache file names: VAE latents (VAECache.generate_vae_cache_filename) and text embeds
// (TextEmbeddingCache.create_hash), so tunefeed finds the files SimpleTuner wrote.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pyBasename, pyDirname, pySplitext } from './py-path.js';

/** Options for {@link vaeCacheKey}. */
export interface VaeCacheKeyOptions {
  /**
   * Hash the file stem with sha256. SimpleTuner forces this on for every dataset since 2024.
   * @default true
   */
  hashFilenames?: boolean;
}

/**
 * The VAE-cache file for a sample, relative to the dataset's `cache_dir_vae`:
 * `<subfolders>/<sha256(stem)>.pt`, where subfolders is the sample's directory with every occurrence of
 * `instanceRoot` removed and leading slashes stripped (Python's `str.replace` + `lstrip`, quirks included).
 * Pass either (`''`, storage key) or (`instance_data_dir`, `storage.externalPath(key)`); both give the same
 * answer for local datasets. Runs of slashes are collapsed, as the filesystem does with SimpleTuner's joins.
 * A sample key already ending in `.pt` is returned unchanged (SimpleTuner treats it as its own cache file).
 */
export function vaeCacheKey(instanceRoot: string, sampleKey: string, options: VaeCacheKeyOptions = {}): string {
  if (sampleKey.endsWith('.pt')) return sampleKey;
  const stem = pySplitext(pyBasename(sampleKey))[0];
  const base = `${options.hashFilenames === false ? stem : sha256Hex(stem)}.pt`;
  let subfolders = pyDirname(sampleKey);
  if (instanceRoot) subfolders = subfolders.replaceAll(instanceRoot, '');
  subfolders = subfolders.replace(/^\/+/, '');
  const key = subfolders ? `${subfolders}/${base}` : base;
  return key.replace(/\/{2,}/g, '/');
}

/** How a model keys its text-embed cache (SimpleTuner's TextEmbedCacheKey). */
export type TextEmbedKeyType = 'caption' | 'filename' | 'dataset_and_filename';

/** Options for {@link textEmbedCacheKey}. */
export interface TextEmbedKeyOptions {
  /**
   * What `key` is: the caption itself (nearly every model), an image path (edit models), or `datasetId:path`.
   * @default 'caption'
   */
  keyType?: TextEmbedKeyType;
  /** For path-based keys: the prompt, mixed into the hash so multi-caption alternatives differ. */
  prompt?: string | null;
  /**
   * Working directory used to make a relative `filename` key absolute, as os.path.abspath does. @default process.cwd()
   */
  cwd?: string;
}

function normaliseKey(key: string, options: TextEmbedKeyOptions): string {
  if (options.keyType === 'filename' && !key.includes('://')) {
    return path.posix.resolve(options.cwd ?? process.cwd(), key);
  }
  return key;
}

/**
 * The text-embed cache file name (relative to the text_embeds dataset's `cache_dir`):
 * `md5(key)-<modelFamily>.pt`; for path-based key types a non-empty prompt is hashed in after `\0prompt\0`.
 * `caption` may be empty (caption dropout embeds hash the empty string).
 */
export function textEmbedCacheKey(
  caption: string | null,
  modelFamily: string,
  options: TextEmbedKeyOptions = {},
): string {
  const md5 = createHash('md5').update(normaliseKey(caption ?? '', options), 'utf8');
  const pathBased = options.keyType === 'filename' || options.keyType === 'dataset_and_filename';
  if (pathBased && options.prompt) md5.update('\0prompt\0', 'utf8').update(options.prompt, 'utf8');
  return `${md5.digest('hex')}-${modelFamily}.pt`;
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}
