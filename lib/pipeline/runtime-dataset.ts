// A dataset ready for the runtime: config, storage, sorted bucket keys, captions and (optionally) its VAE cache.
import type { PlanDataset } from '../sampling/plan.js';
import type { BackendDescription } from '../storage/types.js';
import { createCaptionResolver } from '../captions/resolve-caption.js';
import type { LoaderDatasetInput } from './types.js';

/** Everything the pipeline needs per dataset. */
export interface RuntimeDataset extends LoaderDatasetInput {
  id: string;
  description: BackendDescription;
  /** Bucket key → sample keys, sorted (the order the sampler's indices refer to). */
  bucketKeys: Map<string, string[]>;
  captionOf: (key: string, sampleSeed: number) => Promise<string | null>;
  /** Linked conditioning datasets (`conditioning_data`, or their `source_dataset_id`), sorted by id. */
  conditioning: { id: string; storage: LoaderDatasetInput['storage']; description: BackendDescription }[];
  /** Samples of fully cached buckets → their latent file (vae-cache.ts); those samples are not decoded. */
  latents: { description: BackendDescription; keys: Map<string, string> } | null;
}

/** Join an input with its derived tables; captions default to lib/captions' resolver for the dataset's strategy. */
export function toRuntime(input: LoaderDatasetInput, seed: number): RuntimeDataset {
  const bucketKeys = new Map<string, string[]>();
  for (const [b, keys] of Object.entries(input.index.buckets)) if (keys.length) bucketKeys.set(b, [...keys].sort());
  return {
    ...input,
    id: input.config.id,
    description: input.storage.describe(),
    bucketKeys,
    captionOf: input.captions ?? createCaptionResolver(input.config, input.storage, input.index, seed),
    latents: null,
    conditioning: [],
  };
}

/** Link each dataset to its conditioning datasets: its `conditioning_data` ids plus those naming it as source. */
export function linkConditioning(datasets: RuntimeDataset[], inputs: readonly LoaderDatasetInput[]): void {
  const cond = inputs.filter((d) => d.config.dataset_type === 'conditioning');
  for (const d of datasets) {
    const linked = cond.filter(
      (c) => d.config.conditioning_data.includes(c.config.id) || c.config.source_dataset_id === d.id,
    );
    d.conditioning = linked
      .sort((a, b) => (a.config.id < b.config.id ? -1 : 1))
      .map((c) => ({ id: c.config.id, storage: c.storage, description: c.storage.describe() }));
  }
}

/** The sampler's view of a dataset. */
export function planOf(d: RuntimeDataset, isEval: boolean): PlanDataset {
  const c = d.config;
  const bucketSizes: Record<string, number> = {};
  for (const [b, keys] of d.bucketKeys) bucketSizes[b] = keys.length;
  return {
    id: d.id,
    bucketSizes,
    batchSize: c.train_batch_size,
    repeats: c.repeats,
    probability: c.probability,
    start_epoch: c.start_epoch,
    start_step: c.start_step,
    end_epoch: c.end_epoch,
    end_step: c.end_step,
    disableAfterEpochStep: c.disable_after_epoch_step,
    isEval,
  };
}
