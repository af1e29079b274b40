// A CSV-of-URLs loader input: the URL list written beside a download cache, a CsvStorage on it, one square bucket.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CsvStorage, type CsvDescription } from '../../lib/storage/csv.js';
import type { LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { imageConfig, oneBucketIndex } from './runtime-dataset.js';
import type { TeardownHost } from './s3-server.js';

/** A description of `csvFile` (columns `url` and `caption`), downloads in `cacheDir`, loopback hosts allowed. */
export function csvDescription(
  id: string,
  csvFile: string,
  cacheDir: string,
  over: Partial<CsvDescription> = {},
): CsvDescription {
  return {
    kind: 'csv',
    id,
    csvFile,
    cacheDir,
    urlColumn: 'url',
    captionColumn: 'caption',
    allowPrivateHosts: true,
    ...over,
  };
}

/** What differs between the CSV loader tests. */
export interface CsvDatasetOptions {
  /** Download limits and retries for the storage (private hosts are always allowed: the server is on loopback). */
  limits?: Partial<CsvDescription>;
  /** The loader's caption lookup. */
  captions: NonNullable<LoaderDatasetInput['captions']>;
}

/**
 * Dataset `web` over `urls` (each a 64×64 image, cropped to 32×32), batches of 2: `dir/list.csv` lists them with
 * captions `caption <i>`, downloads go to `dir/cache`; the storage is closed at teardown.
 */
export async function csvUrlDataset(
  t: TeardownHost,
  dir: string,
  urls: string[],
  o: CsvDatasetOptions,
): Promise<LoaderDatasetInput> {
  const csvFile = path.join(dir, 'list.csv');
  await writeFile(csvFile, `url,caption\n${urls.map((u, i) => `${u},caption ${i}`).join('\n')}\n`);
  const storage = new CsvStorage(csvDescription('web', csvFile, path.join(dir, 'cache'), o.limits));
  t.teardown(() => storage.close());
  const index = oneBucketIndex('web', urls, {
    original_size: [64, 64],
    intermediary_size: [64, 64],
    target_size: [32, 32],
    crop_coordinates: [16, 16],
    aspect_ratio: 1,
  });
  return {
    config: imageConfig('web', dir, { type: 'csv', train_batch_size: 2 }),
    storage,
    index,
    captions: o.captions,
  };
}
