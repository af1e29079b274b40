// Attaches a sample's cached text embeds (SimpleTuner's md5 file names in the dataset's text_embeds backend).
import { textEmbedCacheKey } from '../embeds/cache-keys.js';
import { readEmbedFile } from '../embeds/latents.js';
import { textEmbedTensors } from '../embeds/text-embeds.js';
import { isTunefeedError, TextEmbedMissingError } from '../errors.js';
import type { BatchSample, TextEmbedSource } from './types.js';

/** What happened to one lookup: attached, missing (counted), or the file is unreadable (the sample is skipped). */
export type EmbedLookup = 'attached' | 'missing' | { corrupt: string };

function isNotFound(err: unknown): boolean {
  return isTunefeedError(err) && err.code === 'TF_STORAGE_NOT_FOUND';
}

/**
 * Read the caption's text-embed file and put every tensor it holds on `sample.textEmbeds`. A missing file sets
 * `sample.textEmbedMissing` to its key, or throws TextEmbedMissingError when `required`. A malformed file is reported
 * (the runner skips the sample with reason `corrupt_text_embed` and refills the batch, as for a corrupt image).
 */
export async function attachTextEmbeds(
  dataset: string,
  source: TextEmbedSource,
  sample: BatchSample,
  required: boolean,
): Promise<EmbedLookup> {
  const file = textEmbedCacheKey(sample.caption, source.modelFamily);
  let bytes: Buffer;
  try {
    bytes = await source.storage.read(file);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (required)
      throw new TextEmbedMissingError(
        `No cached text embed for caption ${JSON.stringify(sample.caption ?? '')} of sample ${sample.key}`,
        { dataset, file: source.storage.externalPath(file), cause: err },
      );
    sample.textEmbedMissing = file;
    return 'missing';
  }
  try {
    sample.textEmbeds = textEmbedTensors(readEmbedFile(bytes));
  } catch (cause) {
    const message = isTunefeedError(cause) ? cause.message : String(cause);
    return { corrupt: `Cannot read text embeds ${source.storage.externalPath(file)}: ${message}` };
  }
  return 'attached';
}
