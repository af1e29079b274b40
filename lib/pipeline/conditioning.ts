// Conditioning pairs: the sample at the same relative path in each linked conditioning dataset, with the same geometry.
import type { SampleMetadata } from '../metadata/types.js';
import type { DecodePool } from '../pool/decode-pool.js';
import { rngFor } from '../sampling/rng.js';
import type { RuntimeDataset } from './runtime-dataset.js';
import type { SampleJob } from './step-plan.js';
import type { ConditioningSample } from './types.js';

/** The pairs, or why the training sample must be skipped (the message names both paths). */
export type PairResult = { ok: true; pairs: ConditioningSample[] } | { ok: false; reason: string; message: string };

/** `combined`: every linked dataset; `random`: one, keyed ['conditioning', seed, epoch, dataset, key]. */
function chosen(
  d: RuntimeDataset,
  mode: 'combined' | 'random',
  seed: number,
  job: SampleJob,
): RuntimeDataset['conditioning'] {
  if (mode === 'combined' || d.conditioning.length < 2) return d.conditioning;
  return [d.conditioning[rngFor('conditioning', seed, job.plan.epoch, d.id, job.key).below(d.conditioning.length)]];
}

/** Decode (or, without a pool, check) each chosen conditioning sample with the training sample's geometry. */
export async function pairConditioning(
  d: RuntimeDataset,
  job: SampleJob,
  meta: SampleMetadata,
  pool: DecodePool | null,
  mode: 'combined' | 'random',
  seed: number,
): Promise<PairResult> {
  const pairs: ConditioningSample[] = [];
  for (const c of chosen(d, mode, seed, job)) {
    const path = c.storage.externalPath(job.key);
    const fail = (reason: string, why: string): PairResult => ({
      ok: false,
      reason,
      message:
        `Conditioning pair ${why} for ${d.storage.externalPath(job.key)} (dataset ${d.id}): ` +
        `${path} (dataset ${c.id})`,
    });
    if (!pool) {
      if (!(await c.storage.exists(job.key))) return fail('conditioning_missing', 'missing');
      pairs.push({ dataset: c.id, path });
      continue;
    }
    const r = await pool.run({ storage: c.description, key: job.key, geometry: meta });
    if (!r.ok)
      return r.reason === 'not_found'
        ? fail('conditioning_missing', 'missing')
        : fail(`conditioning_${r.reason}`, `unusable (${r.message})`);
    if (r.kind === 'pixels') pairs.push({ dataset: c.id, path, pixels: r.pixels });
  }
  return { ok: true, pairs };
}
