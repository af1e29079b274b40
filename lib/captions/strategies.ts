// Caption strategies: where a sample's raw caption(s) come from (file name, .txt file, parquet/CSV/HF metadata).
import type { ImageDatasetConfig } from '../config/types.js';
import { CaptionNotFoundError, NotFoundError, RegistryLookupError } from '../errors.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { StorageBackend } from '../storage/types.js';
import { pySplitext, pyStem } from '../embeds/py-path.js';
import { pyStrip } from './caption-shuffle.js';

/** What a strategy may read. */
export interface StrategyContext {
  readonly config: ImageDatasetConfig;
  readonly storage: StorageBackend;
  readonly index: DatasetIndex;
}

/**
 * A strategy returns the caption candidates of one sample, before prepend/shuffle. A single-element array
 * stands for a plain caption; several for a multi-caption sample (one is picked per sample at batch time).
 */
export type CaptionStrategyFn = (ctx: StrategyContext, key: string) => Promise<string[]>;

/** Optional storage capability: CSV-of-URLs backends know the caption column of each URL. */
interface CaptionedStorage {
  captionFor?(key: string): string | null | undefined | Promise<string | null | undefined>;
  getCaption?(key: string): string | null | undefined | Promise<string | null | undefined>;
}

type CaptionValue = string | string[] | readonly string[] | null | undefined;

/** SimpleTuner's _normalize_caption_payload: strings stripped, lists flattened, empty entries dropped. */
export function normalizeCaptionPayload(value: CaptionValue): string[] | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return [pyStrip(value)];
  return value.map((v) => pyStrip(String(v))).filter((v) => v.length > 0);
}

function lookup(index: DatasetIndex, ...keys: string[]): CaptionValue {
  const captions = index.captions;
  if (!captions) return undefined;
  for (const k of keys) {
    if (Object.prototype.hasOwnProperty.call(captions, k)) return captions[k];
  }
  return undefined;
}

const filename: CaptionStrategyFn = async (_ctx, key) => [pyStem(key).replaceAll('_', ' ')];

const textfile: CaptionStrategyFn = async ({ config, storage }, key) => {
  const captionKey = `${pySplitext(key)[0]}.txt`;
  let text: string;
  try {
    text = (await storage.read(captionKey)).toString('utf8');
  } catch (cause) {
    if (cause instanceof NotFoundError) {
      throw new CaptionNotFoundError(`Caption file ${captionKey} not found.`, {
        dataset: config.id,
        file: captionKey,
        cause,
      });
    }
    throw cause;
  }
  // SimpleTuner neither strips nor splits on \r: lines are kept byte-for-byte so text-embed cache names match.
  if (config.disable_multiline_split || !text.includes('\n')) return [text];
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (!lines.length)
    throw new CaptionNotFoundError(`Caption file ${captionKey} has no non-empty lines.`, {
      dataset: config.id,
      file: captionKey,
    });
  return lines;
};

const parquet: CaptionStrategyFn = async ({ config, index }, key) => {
  const id = config.parquet?.identifier_includes_extension ? key : pySplitext(key)[0];
  const value = lookup(index, key, id);
  const values = value ? normalizeCaptionPayload(value) : null;
  if (!values?.length) {
    const p = config.parquet;
    throw new CaptionNotFoundError(
      `Could not locate caption for image ${key} in sampler_backend ${config.id} ` +
        `with filename column ${p?.filename_column ?? 'id'}, ` +
        `caption column ${JSON.stringify(p?.caption_column ?? 'description')}, ` +
        `and a parquet database with ${Object.keys(index.captions ?? {}).length} entries.`,
      { dataset: config.id, file: key, field: 'parquet.caption_column' },
    );
  }
  return values;
};

const csv: CaptionStrategyFn = async ({ config, storage, index }, key) => {
  const s = storage as StorageBackend & CaptionedStorage;
  let value: CaptionValue = lookup(index, key);
  if (value === undefined && typeof s.captionFor === 'function') value = await s.captionFor(key);
  if (value === undefined && typeof s.getCaption === 'function') value = await s.getCaption(key);
  const values = normalizeCaptionPayload(value);
  if (!values?.length) {
    throw new CaptionNotFoundError(
      `No caption for ${key} in CSV column '${config.csv?.csv_caption_column ?? 'caption'}'.`,
      { dataset: config.id, file: key, field: 'csv_caption_column' },
    );
  }
  // SimpleTuner returns the cell as-is (no strip): keep the raw cell text for text-embed cache parity.
  return typeof value === 'string' ? [value] : values;
};

const huggingface: CaptionStrategyFn = async ({ config, index }, key) => {
  const values = normalizeCaptionPayload(lookup(index, key));
  if (values === null) {
    throw new CaptionNotFoundError(`Could not find caption for ${key} in HuggingFace dataset`, {
      dataset: config.id,
      file: key,
      field: 'huggingface.caption_column',
    });
  }
  if (!values.length)
    throw new CaptionNotFoundError(`Every caption for ${key} is empty`, { dataset: config.id, file: key });
  return values;
};

const STRATEGIES = new Map<string, CaptionStrategyFn>([
  ['filename', filename],
  ['textfile', textfile],
  ['parquet', parquet],
  ['csv', csv],
  ['huggingface', huggingface],
]);

/** The raw-caption function of a strategy (instanceprompt is handled by the resolver, it reads nothing). */
export function captionStrategy(name: string, dataset: string): CaptionStrategyFn {
  const fn = STRATEGIES.get(name);
  if (fn) return fn;
  throw new RegistryLookupError(
    `Unsupported caption strategy: ${name}. ` +
      "Supported: 'filename', 'textfile', 'parquet', 'instanceprompt', 'csv', 'huggingface'",
    { dataset, field: 'caption_strategy' },
  );
}
