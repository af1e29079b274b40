// Which samples read cached VAE latents instead of decoding: per bucket, from the cache on any storage.
import { existsSync } from 'node:fs';
import { isVaeCacheComplete } from '../embeds/latents.js';
import { logger } from '../log.js';
import type { MetricsBus } from '../metrics/events.js';
import { LocalStorage } from '../storage/local.js';
import type { StorageBackend } from '../storage/types.js';
import type { RuntimeDataset } from './runtime-dataset.js';

const log = logger('pipeline/vae-cache');
/** Fallback sample keys written to the log line (the metric event carries all of them). */
const LOGGED_KEYS = 50;

/** What attachLatents decided for one dataset. */
export interface VaeCachePlan {
  dataset: string;
  /** Buckets whose every sample has a latent file: their samples read latents. */
  bucketsCached: string[];
  /** Buckets with at least one sample missing: all their samples are decoded (a batch never mixes the two). */
  bucketsDecoded: string[];
  /** Every sample that falls back to decoding, and the ones of those without a cache file. */
  fallback: string[];
  missing: string[];
}

/**
 * The cache to read: the linked image_embeds backend or an S3 cache prefix (`vaeCache`, built by the caller), else
 * `cache_dir_vae` on local disk (local, CSV and Hugging Face datasets keep their caches there, as SimpleTuner does).
 */
function cacheOf(d: RuntimeDataset): StorageBackend | null {
  const c = d.config;
  if (c.vae_cache_disable) return null;
  if (d.vaeCache) return d.vaeCache;
  if (d.description.kind === 'aws' || !c.cache_dir_vae || !existsSync(c.cache_dir_vae)) return null;
  return new LocalStorage({ id: `${d.id}:vae`, root: c.cache_dir_vae });
}

/**
 * Which samples have a latent file, by SimpleTuner's names. For an S3 dataset SimpleTuner names them from the full
 * object key with `aws_data_prefix` removed by str.replace: a prefix ending in "/" leaves the top folder's name for
 * images directly under it (`photos/a.jpg` → `<cache>/photos/<sha256>.pt`). Local datasets name them from the key
 * relative to the root. Returns the found cache keys and the missing samples by the dataset's own sample keys.
 */
async function lookUp(d: RuntimeDataset, cache: StorageBackend, all: string[]): Promise<LookUp> {
  const aws = d.description.kind === 'aws';
  const byPath = new Map(all.map((k) => [aws ? d.storage.externalPath(k) : k, k]));
  const root = aws ? (d.config.aws?.aws_data_prefix ?? '') : '';
  const status = await isVaeCacheComplete(cache, root, byPath.keys(), { reportMissing: Infinity });
  const sampleOf = (p: string): string => byPath.get(p) ?? p;
  return {
    present: status.present,
    cacheKeys: new Map([...status.cacheKeys].map(([p, key]) => [sampleOf(p), key])),
    missing: status.missing.map(sampleOf),
  };
}

interface LookUp {
  present: number;
  cacheKeys: Map<string, string>;
  missing: string[];
}

/** Per bucket: complete buckets read latents, the rest decode; logs and emits exactly which samples fall back. */
export async function attachLatents(d: RuntimeDataset, metrics?: MetricsBus): Promise<VaeCachePlan | null> {
  const cache = cacheOf(d);
  if (!cache) return null;
  const all = [...d.bucketKeys.values()].flat();
  const status = await lookUp(d, cache, all);
  const plan: VaeCachePlan = { dataset: d.id, bucketsCached: [], bucketsDecoded: [], fallback: [], missing: [] };
  const keys = new Map<string, string>();
  for (const [bucket, samples] of d.bucketKeys) {
    if (samples.every((k) => status.cacheKeys.has(k))) {
      plan.bucketsCached.push(bucket);
      for (const k of samples) keys.set(k, status.cacheKeys.get(k)!);
    } else {
      plan.bucketsDecoded.push(bucket);
      plan.fallback.push(...samples);
    }
  }
  plan.missing = status.missing;
  if (keys.size) d.latents = { description: cache.describe(), keys };
  report(plan, status.present, all.length, metrics);
  return plan;
}

function report(plan: VaeCachePlan, present: number, expected: number, metrics?: MetricsBus): void {
  metrics?.emit('loader.vae_cache', {
    dataset: plan.dataset,
    buckets_cached: plan.bucketsCached,
    buckets_decoded: plan.bucketsDecoded,
    fallback: plan.fallback,
    missing: plan.missing,
  });
  if (!plan.fallback.length) return log.info({ dataset: plan.dataset, samples: expected }, 'VAE cache complete');
  const fields = {
    dataset: plan.dataset,
    present,
    expected,
    buckets_decoded: plan.bucketsDecoded,
    fallback_count: plan.fallback.length,
    fallback: plan.fallback.slice(0, LOGGED_KEYS),
    missing: plan.missing.slice(0, LOGGED_KEYS),
  };
  // A cache that holds nothing for this dataset is the ordinary "not cached" case, not worth a warning.
  if (present === 0) log.info(fields, 'no VAE cache files; decoding images');
  else log.warn(fields, 'VAE cache incomplete: these samples fall back to decoding (their whole bucket)');
}
