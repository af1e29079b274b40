// Per-sample caption resolution with SimpleTuner's PromptHandler.magic_prompt semantics, decided once per dataset.
import { compileCaptionFilter } from './caption-filter.js';
import { createHash } from 'node:crypto';
import type { ImageDatasetConfig } from '../config/types.js';
import { CaptionNotFoundError, ConfigValidationError } from '../errors.js';
import { logger } from '../log.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { StorageBackend } from '../storage/types.js';
import { expandWithShuffles, pyStrip, type CaptionShuffleOptions } from './caption-shuffle.js';
import {
  captionStrategy,
  normalizeCaptionPayload,
  type CaptionStrategyFn,
  type StrategyContext,
} from './strategies.js';

const log = logger('captions/resolve');

/** Resolves one caption for a sample; `sampleSeed` varies per (epoch, position) so multi-captions rotate. */
export type CaptionResolver = (key: string, sampleSeed: number) => Promise<string | null>;

/** Both views of a dataset's captions. */
export interface CaptionSource {
  /** Every caption a sample may get (what SimpleTuner embeds into the text cache), prepend/shuffle applied. */
  candidates(key: string): Promise<string[]>;
  /** One of `candidates(key)`, chosen deterministically from (seed, sampleSeed, key). */
  resolve(key: string, sampleSeed: number): Promise<string>;
}

function invalid(config: ImageDatasetConfig, field: string, message: string): ConfigValidationError {
  return new ConfigValidationError([{ id: config.id, field, message }], { dataset: config.id, field });
}

/** instance_prompt(s) for caption_strategy=instanceprompt, stripped, empties removed (SimpleTuner's checks). */
function instancePrompts(config: ImageDatasetConfig): string[] {
  const raw = config.instance_prompts ?? config.instance_prompt;
  if (raw === null || raw === undefined) {
    throw invalid(config, 'instance_prompt', "caption_strategy='instanceprompt' requires an instance_prompt value.");
  }
  if (typeof raw === 'string') {
    const p = pyStrip(raw);
    if (!p) throw invalid(config, 'instance_prompt', "caption_strategy='instanceprompt' requires a non-empty prompt.");
    return [p];
  }
  const list = raw.map((p) => pyStrip(String(p))).filter((p) => p.length > 0);
  if (!list.length)
    throw invalid(
      config,
      'instance_prompt',
      "caption_strategy='instanceprompt' requires at least one non-empty prompt.",
    );
  return list;
}

function shuffleOptions(config: ImageDatasetConfig, seed: number): CaptionShuffleOptions | null {
  const cs = config.caption_shuffle;
  if (!cs?.enabled) return null;
  return {
    count: cs.count,
    seed: cs.seed ?? seed,
    split_on: cs.split_on ?? 'comma',
    position_start: cs.position_start,
    include_original: cs.include_original,
  };
}

/** Deterministic index in [0, n): sha256 of (seed, sampleSeed, key), so it is independent of call order. */
function pick(n: number, seed: number, sampleSeed: number, key: string): number {
  if (n <= 1) return 0;
  const h = createHash('sha256').update(`${seed}\0${sampleSeed}\0${key}`).digest().readUInt32LE(0);
  return Math.floor((h / 2 ** 32) * n);
}

/** Captions of a strategy that reads something, with prepend and shuffle applied in SimpleTuner's order. */
function fromStrategy(
  config: ImageDatasetConfig,
  fn: CaptionStrategyFn,
  ctx: StrategyContext,
  seed: number,
): (key: string) => Promise<string[]> {
  // csv: SimpleTuner returns the cell before prepend/shuffle are considered; kept for text-embed cache parity.
  const rawOnly = config.caption_strategy === 'csv';
  if (rawOnly && (config.prepend_instance_prompt || config.caption_shuffle?.enabled)) {
    log.warn(
      { dataset: config.id },
      'caption_strategy=csv ignores prepend_instance_prompt and caption_shuffle, as SimpleTuner does',
    );
  }
  const prefix = !rawOnly && config.prepend_instance_prompt ? `${config.instance_prompt} ` : '';
  const shuffle = rawOnly ? null : shuffleOptions(config, seed);
  if (shuffle) {
    return async (key) => {
      const raw = await fn(ctx, key);
      // A single caption stays even when empty (as without shuffle); lists drop their empty entries.
      const values = raw.length === 1 ? [pyStrip(raw[0])] : (normalizeCaptionPayload(raw) ?? []);
      return values.flatMap((v) => expandWithShuffles(v, shuffle)).map((v) => prefix + v);
    };
  }
  return async (key) => (await fn(ctx, key)).map((v) => prefix + v);
}

function validate(config: ImageDatasetConfig): void {
  const noPrompt =
    config.instance_prompt === null || config.instance_prompt === undefined || config.instance_prompt === '';
  if (config.only_instance_prompt && noPrompt && config.caption_strategy !== 'instanceprompt') {
    throw invalid(config, 'instance_prompt', 'Instance prompt is required when instance_prompt_only is enabled.');
  }
  if (config.prepend_instance_prompt && noPrompt && config.caption_strategy !== 'instanceprompt') {
    throw invalid(
      config,
      'prepend_instance_prompt',
      `Backend ${config.id} has prepend_instance_prompt=True, but no instance_prompt was provided. ` +
        'You must provide an instance_prompt, or disable this option.',
    );
  }
}

/**
 * Build a dataset's caption source. Config problems (missing instance_prompt, unknown strategy) throw here,
 * once; per-sample problems reject the returned promises with CaptionNotFoundError (dataset + file named).
 */
export function createCaptionSource(
  config: ImageDatasetConfig,
  storage: StorageBackend,
  index: DatasetIndex,
  seed: number,
): CaptionSource {
  validate(config);
  let candidates: (key: string) => Promise<string[]>;
  if (config.caption_strategy === 'instanceprompt') {
    const prompts = instancePrompts(config);
    candidates = async () => prompts;
  } else if (config.only_instance_prompt) {
    // SimpleTuner would also shuffle and prepend the instance prompt to itself here; a fixed prompt is what users mean.
    const prompt = [config.instance_prompt as string];
    candidates = async () => prompt;
  } else {
    candidates = fromStrategy(
      config,
      captionStrategy(config.caption_strategy, config.id),
      { config, storage, index },
      seed,
    );
  }
  // SimpleTuner filters the caption it embeds; filtering every candidate picks the same one (the pick uses the count).
  const filter = config.caption_filter?.length ? compileCaptionFilter(config.caption_filter) : null;
  const checked = async (key: string): Promise<string[]> => {
    const list = await candidates(key);
    if (!list.length)
      throw new CaptionNotFoundError(`Every caption for ${key} is empty`, { dataset: config.id, file: key });
    return filter ? list.map(filter) : list;
  };
  return {
    candidates: checked,
    async resolve(key, sampleSeed) {
      const list = await checked(key);
      return list[pick(list.length, seed, sampleSeed, key)];
    },
  };
}

/** The cross-team contract: `(key, sampleSeed) → caption`. See createCaptionSource for the semantics. */
export function createCaptionResolver(
  config: ImageDatasetConfig,
  storage: StorageBackend,
  index: DatasetIndex,
  seed: number,
): CaptionResolver {
  const source = createCaptionSource(config, storage, index, seed);
  return (key, sampleSeed) => source.resolve(key, sampleSeed);
}
