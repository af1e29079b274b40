// Text-embed cache lookups: SimpleTuner's md5 file names, read through the text_embeds dataset's storage.
import { EmbedFormatError, isTunefeedError } from '../errors.js';
import type { StorageBackend } from '../storage/types.js';
import { textEmbedCacheKey, type TextEmbedKeyOptions } from './cache-keys.js';
import { readEmbedFile } from './latents.js';
import { isTensor, type Tensor } from './tensor.js';
import type { TorchReadOptions } from './torch-file.js';

/** Options for text-embed lookups. */
export interface TextEmbedReadOptions extends TextEmbedKeyOptions, TorchReadOptions {
  /** Sub-prefix of the storage that is the text cache_dir. @default '' */
  prefix?: string;
  signal?: AbortSignal;
}

function withPrefix(prefix: string | undefined, key: string): string {
  return prefix ? `${prefix.replace(/\/+$/, '')}/${key}` : key;
}

/**
 * The named tensors of a text-embed file. Dicts (prompt_embeds, pooled_prompt_embeds, attention masks...) keep
 * their tensor entries; older tuple files become `{"0": ..., "1": ...}`; a bare tensor becomes `{prompt_embeds}`.
 */
export function textEmbedTensors(value: unknown): Record<string, Tensor> {
  const out = Object.create(null) as Record<string, Tensor>;
  if (isTensor(value)) {
    out.prompt_embeds = value;
    return out;
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : typeof value === 'object' && value !== null && !(value instanceof Uint8Array)
      ? Object.entries(value)
      : [];
  for (const [k, v] of entries) if (isTensor(v)) out[k] = v;
  if (!Object.keys(out).length) throw new EmbedFormatError('Text-embed file holds no tensors');
  return out;
}

/** Read the cached embeds of one caption (`caption` is the prompt, or the path key for path-keyed models). */
export async function readTextEmbed(
  storage: StorageBackend,
  caption: string | null,
  modelFamily: string,
  options: TextEmbedReadOptions = {},
): Promise<Record<string, Tensor>> {
  const key = withPrefix(options.prefix, textEmbedCacheKey(caption, modelFamily, options));
  const buf = await storage.read(key, options.signal);
  try {
    return textEmbedTensors(readEmbedFile(buf, options));
  } catch (cause) {
    const message = isTunefeedError(cause) ? cause.message : String(cause);
    throw new EmbedFormatError(`Cannot read text embeds: ${message}`, { dataset: storage.id, file: key, cause });
  }
}

/** Which captions have no cached text embeds, found with one listing of the text cache. */
export async function missingTextEmbeds(
  storage: StorageBackend,
  captions: Iterable<string>,
  modelFamily: string,
  options: TextEmbedReadOptions = {},
): Promise<string[]> {
  const listed = new Set<string>();
  for await (const o of storage.list({
    extensions: ['pt'],
    prefix: options.prefix || undefined,
    signal: options.signal,
  }))
    listed.add(o.key);
  const missing: string[] = [];
  for (const c of new Set(captions)) {
    if (!listed.has(withPrefix(options.prefix, textEmbedCacheKey(c, modelFamily, options)))) missing.push(c);
  }
  return missing;
}
