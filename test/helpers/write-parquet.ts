// Test helper: writes a flat parquet file with hyparquet-writer in a plain `node` child process, because tap's
// ts-node ESM resolver rejects hyparquet-writer's `hyparquet/src/*.js` subpath import (ERR_PACKAGE_PATH_NOT_EXPORTED).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FlatColumn {
  name: string;
  data: unknown[];
  type: 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN';
}

/** Writes `columns` to `path` as parquet (snappy, one row group). */
export function writeParquet(path: string, columns: FlatColumn[]): void {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const script = `import { parquetWriteBuffer } from 'hyparquet-writer'; import { writeFileSync } from 'node:fs';
const { path, columns } = JSON.parse(process.argv[1]);
writeFileSync(path, Buffer.from(parquetWriteBuffer({ columnData: columns })));`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify({ path, columns })], {
    cwd,
    stdio: 'pipe',
  });
}
