// A whole scan whose cache directory fills up (tiny tmpfs) or is read-only: a coded error naming the file, no temp
// or half-written file left; once space is freed the next run completes with caches identical to a clean scan.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalStorage } from '../../lib/storage/local.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { isTunefeedError } from '../../lib/errors.js';
import { plantCorpus } from '../helpers/make-images.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { report } from '../helpers/fault-count.js';
import { tmpfs, tmpfsSkip } from '../helpers/tmpfs.js';

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

const CACHES = ['aspect_ratio_bucket_indices_full.json', 'aspect_ratio_bucket_metadata_full.json'];

async function setup(t: Test) {
  const data = path.join(t.testdir({}), 'data');
  const refDir = path.join(path.dirname(data), 'ref');
  await plantCorpus(data, 400);
  const { config, args } = await datasetConfig({
    id: 'full',
    instance_data_dir: data,
    resolution: 256,
    resolution_type: 'pixel',
  });
  const scan = (cacheDir: string) =>
    scanDataset({
      id: 'full',
      config,
      storage: new LocalStorage({ id: 'full', root: data }),
      args,
      cacheStorage: new LocalStorage({ id: 'full', root: cacheDir }),
      flushIntervalMs: 1,
      ignoreCache: true,
    });
  return { scan, refDir };
}

t.test(
  'disk full during a scan: coded error, nothing half-written; after freeing space the rerun matches a clean scan',
  { skip: tmpfsSkip },
  async (t) => {
    const dir = tmpfs(t, 'size=24k');
    const { scan, refDir } = await setup(t);
    const ref = await scan(refDir);
    t.equal(ref.files, 400);
    const reference = await Promise.all(CACHES.map((f) => readFile(path.join(refDir, f), 'utf8')));
    const err = await scan(dir).catch((e: unknown) => e);
    t.ok(isTunefeedError(err), `coded error: ${(err as { code?: string }).code}`);
    t.match((err as Error).message, /ENOSPC/, 'the cause is named');
    t.match((err as Error).message, /dataset=full/, 'the dataset is named');
    t.match((err as Error).message, new RegExp(dir.replaceAll('/', '\\/')), 'the file is named');
    const left = await allFiles(dir);
    const temps = left.filter((f) => f.endsWith('.tmp'));
    t.same(temps, [], 'no temp file left');
    let parsed = 0;
    for (const f of left) {
      JSON.parse(await readFile(f, 'utf8'));
      parsed++;
    }
    t.equal(parsed, left.length, `every file left (${left.length}) is complete JSON`);
    execFileSync('mount', ['-o', 'remount,size=8m', dir], { stdio: 'pipe' });
    const rerun = await scan(dir);
    t.equal(rerun.files, 400, 'the rerun completes');
    const identical =
      JSON.stringify(await Promise.all(CACHES.map((f) => readFile(path.join(dir, f), 'utf8')))) ===
      JSON.stringify(reference);
    t.ok(identical, 'caches identical to the clean scan');
    report(t, 'scan-disk-full', {
      files: 400,
      error: (err as { code?: string }).code,
      files_left_after_failure: left.length,
      temp_files_left: temps.length,
      complete_json_files: parsed,
      rerun_identical: identical,
    });
  },
);

t.test('read-only cache directory: coded error naming EROFS, nothing written', { skip: tmpfsSkip }, async (t) => {
  const dir = tmpfs(t, 'size=64k,ro');
  const { scan } = await setup(t);
  const err = await scan(dir).catch((e: unknown) => e);
  t.ok(isTunefeedError(err), `coded error: ${(err as { code?: string }).code}`);
  t.match((err as Error).message, /EROFS|read-only/i, (err as Error).message.slice(0, 200));
  t.same(await allFiles(dir), [], 'nothing written');
});
