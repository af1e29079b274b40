// Path existence checks for local datasets (SimpleTuner's _validate_dataset_paths), as an async stage.
import { stat } from 'node:fs/promises';
import type { IssueLog } from './issues.js';
import type { DatasetConfig } from './types.js';
import { isImageDataset } from './types.js';

async function kind(path: string): Promise<'dir' | 'file' | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/** Report a local instance_data_dir, csv_file or local parquet path that does not exist. */
export async function checkDatasetPaths(d: DatasetConfig, log: IssueLog): Promise<DatasetConfig> {
  if (!isImageDataset(d)) return d;
  if (d.type === 'local' && d.instance_data_dir && (await kind(d.instance_data_dir)) !== 'dir') {
    log.error(
      d.id,
      'instance_data_dir',
      `(id=${d.id}) instance_data_dir: ${d.instance_data_dir} does not exist or is not a directory. Please ` +
        `ensure all dataset paths exist before starting training.`,
    );
  }
  const csvFile = d.csv?.csv_file;
  if (csvFile && !/^https?:\/\//.test(csvFile) && (await kind(csvFile)) !== 'file') {
    log.error(d.id, 'csv_file', `(id=${d.id}) CSV file ${csvFile} not found.`);
  }
  const parquet = d.parquet?.path;
  if (d.type === 'local' && parquet && (await kind(parquet)) !== 'file') {
    log.error(d.id, 'parquet.path', `(id=${d.id}) Parquet file ${parquet} not found.`);
  }
  return d;
}
