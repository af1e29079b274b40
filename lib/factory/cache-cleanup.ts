// SimpleTuner's per-launch deletion of file-list caches ({output_dir}/all_*_files_{id}.json) unless preserved.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetConfig, TrainingArgs } from '../config/types.js';
import { safeKey } from '../storage/safe-key.js';

/** Cache kinds and their file stems, as SimpleTuner names them. */
const KINDS: readonly [string, string][] = [
  ['image', 'all_image_files'],
  ['vae', 'all_vae_cache_files'],
  ['text', 'all_text_cache_files'],
  ['conditioning_image_embeds', 'all_conditioning_image_embed_files'],
  ['distillation_cache', 'all_distillation_cache_files'],
  ['caption', 'all_caption_files'],
];

/** Which kinds `preserve_data_backend_cache` keeps: true = all, false = none, a string keeps kinds named inside it. */
export function preservedKinds(preserve: boolean | string | undefined): Set<string> {
  if (preserve === true) return new Set(KINDS.map(([k]) => k));
  if (typeof preserve !== 'string' || preserve === '') return new Set();
  return new Set(KINDS.filter(([k]) => preserve.includes(k)).map(([k]) => k));
}

/** Delete the dataset's file-list caches that are not preserved; returns the paths removed or absent-but-due. */
export async function deleteFileListCaches(config: DatasetConfig, args: Readonly<TrainingArgs>): Promise<string[]> {
  if (!args.output_dir) return [];
  const keep = preservedKinds(
    (config as { preserve_data_backend_cache?: boolean | string }).preserve_data_backend_cache,
  );
  const id = safeKey(config.id, { dataset: config.id, field: 'id' }).replace(/\//g, '_');
  const removed: string[] = [];
  for (const [kind, stem] of KINDS) {
    if (keep.has(kind)) continue;
    const file = path.join(args.output_dir, `${stem}_${id}.json`);
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}
