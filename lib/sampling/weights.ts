// Dataset weighting strategies: a Map registry (`uniform`, `auto-weighting`) that users extend with their own.
import { RegistryDuplicateError, RegistryLookupError } from '../errors.js';

/** What a strategy knows about one candidate (a training dataset not yet exhausted this epoch). */
export interface WeightCandidate {
  id: string;
  /** Config `probability` (0 = never chosen directly). */
  probability: number;
  /** Batches this dataset serves per epoch (its sampler length). */
  batchesPerEpoch: number;
  /** Config `disable_after_epoch_step`, or null. */
  disableAfterEpochStep: number | null;
}

/** Context for one step's choice. Inactive datasets are already removed by the caller. */
export interface WeightContext {
  candidates: readonly WeightCandidate[];
  /** Global batch index (0-based). */
  step: number;
  /** Optimizer step (step ÷ gradient accumulation, floored). */
  optimizerStep: number;
  epoch: number;
}

/** Returns one weight ≥ 0 per candidate, in order. Weights need not sum to 1. */
export type WeightingStrategy = (ctx: WeightContext) => number[];

const uniform: WeightingStrategy = (ctx) => ctx.candidates.map((c) => c.probability);

/** probability × share of batches, decayed linearly to 0 at disable_after_epoch_step. */
const autoWeighting: WeightingStrategy = (ctx) => {
  const total = ctx.candidates.reduce((s, c) => s + c.batchesPerEpoch, 0);
  return ctx.candidates.map((c) => {
    let w = total > 0 ? (c.probability * c.batchesPerEpoch) / total : 0;
    if (c.disableAfterEpochStep !== null && c.disableAfterEpochStep > 0) {
      w *= Math.max(0, 1 - ctx.optimizerStep / c.disableAfterEpochStep);
    }
    return w;
  });
};

const registry = new Map<string, WeightingStrategy>([
  ['uniform', uniform],
  ['auto-weighting', autoWeighting],
]);

/** Add a strategy under a new name (`data_backend_sampling` selects it). Registering a name twice throws. */
export function registerWeighting(name: string, strategy: WeightingStrategy): void {
  if (registry.has(name)) {
    throw new RegistryDuplicateError(`Weighting strategy "${name}" is already registered`, {
      field: 'data_backend_sampling',
    });
  }
  registry.set(name, strategy);
}

/** Look up a strategy; an unknown name lists the known ones. */
export function getWeighting(name: string): WeightingStrategy {
  const s = registry.get(name);
  if (!s) {
    throw new RegistryLookupError(
      `Unknown sampling weighting method: ${name}; known: ${[...registry.keys()].join(', ')}`,
      { field: 'data_backend_sampling' },
    );
  }
  return s;
}

/** Names currently registered. */
export function weightingNames(): string[] {
  return [...registry.keys()];
}
