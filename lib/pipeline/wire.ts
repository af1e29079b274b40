// Turns createLoader's `source` into scanned datasets: pre-built inputs, or config → factory → scan.
import type { TrainingArgs } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { LoadedConfig } from '../config/types.js';
import type { LoaderDatasetInput, LoaderOptions } from './types.js';

/** The runtime's view of the training arguments it uses. */
export interface RuntimeArgs {
  seed: number;
  gradient_accumulation_steps: number;
  allow_dataset_oversubscription: boolean;
  data_backend_sampling: string;
  dataloader_prefetch_qlen: number;
}

/** Datasets plus the function that releases what was built for them. */
export interface ResolvedInputs {
  datasets: LoaderDatasetInput[];
  args: RuntimeArgs;
  close: () => Promise<void>;
}

const DEFAULTS: RuntimeArgs = {
  seed: 0, gradient_accumulation_steps: 1, allow_dataset_oversubscription: false,
  data_backend_sampling: 'auto-weighting', dataloader_prefetch_qlen: 10,
};

/** SimpleTuner's defaults, overridden by the config's args, overridden by `options.args`. */
export function runtimeArgs(base: Partial<TrainingArgs> | undefined, over: Partial<TrainingArgs> | undefined): RuntimeArgs {
  const merged = { ...DEFAULTS } as Record<string, unknown>;
  for (const src of [base, over]) {
    for (const k of Object.keys(DEFAULTS)) if (src?.[k] !== undefined && src[k] !== null) merged[k] = src[k];
  }
  return merged as unknown as RuntimeArgs;
}

/** Resolve `source` into datasets. */
export async function resolveInputs(source: string | LoadedConfig, options: LoaderOptions): Promise<ResolvedInputs> {
  const loaded = typeof source === 'string' ? options.loaded : source;
  if (options.datasets) {
    return { datasets: options.datasets, args: runtimeArgs(loaded?.args, options.args), close: async () => {} };
  }
  throw new UsageError(
    'createLoader needs `options.datasets` (config, storage, scanned index per dataset): the config → factory → scan '
    + 'wiring is not available in this build',
  );
}
