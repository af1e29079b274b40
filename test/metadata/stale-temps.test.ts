// Stale temp files of a dataset's cache files are removed at a scan's start; live writers' temps and everything else
// stay.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalStorage } from '../../lib/storage/local.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { removeStaleTemps, tempOwner } from '../../lib/metadata/stale-temps.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { makeImage } from '../helpers/make-images.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';

/** A pid that has just exited (its process is gone). */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;
const temp = (base: string, pid: number, hex = 'a1b2c3d4e5f6') => `.${base}.${pid}.${hex}.tmp`;

t.test('the temp-name pattern', async (t) => {
  const is = (b: string) => b === 'aspect_ratio_bucket_indices_ds.json';
  t.equal(tempOwner(temp('aspect_ratio_bucket_indices_ds.json', 123), is), 123);
  t.equal(tempOwner(temp('aspect_ratio_bucket_indices_other.json', 123), is), null, 'another dataset');
  t.equal(tempOwner('.aspect_ratio_bucket_indices_ds.json.123.a1b2c3.tmp', is), null, 'short hex');
  t.equal(tempOwner('aspect_ratio_bucket_indices_ds.json.123.a1b2c3d4e5f6.tmp', is), null, 'no leading dot');
});

t.test("local: only stale temps of this dataset's cache files are removed, at the start of a scan", async (t) => {
  const dir = t.testdir({});
  await makeImage(join(dir, 'a.png'), { w: 64, h: 48, format: 'png' });
  await mkdir(join(dir, 'tunefeed_scan/ds'), { recursive: true });
  const dead = deadPid();
  const stale = [
    temp('aspect_ratio_bucket_indices_ds.json', dead),
    temp('aspect_ratio_bucket_metadata_ds.json', dead, '0123456789ab'),
    `tunefeed_scan/ds/${temp('manifest.json', dead)}`,
    `tunefeed_scan/ds/${temp('part-0-of-2.json', dead)}`,
  ];
  const kept = [
    temp('aspect_ratio_bucket_indices_ds.json', process.ppid), // a live writer (another process) may still rename it
    temp('aspect_ratio_bucket_indices_other.json', dead), // another dataset's
    temp('a.png', dead), // looks like a temp, but not of a cache file
    'aspect_ratio_bucket_indices_ds.json.tmp',
    '.aspect_ratio_bucket_indices_ds.json.tmp',
    'notes.tmp',
    `tunefeed_scan/ds/${temp('other.json', dead)}`,
  ];
  for (const f of [...stale, ...kept]) await writeFile(join(dir, f), 'x');
  const { config, args } = await datasetConfig({
    id: 'ds',
    instance_data_dir: dir,
    resolution: 32,
    resolution_type: 'pixel',
  });
  await scanDataset({ id: 'ds', config, storage: new LocalStorage({ id: 'ds', root: dir }), args });
  for (const f of stale) t.notOk(existsSync(join(dir, f)), `removed: ${f}`);
  for (const f of kept) t.ok(existsSync(join(dir, f)), `kept: ${f}`);
  const left = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
  t.equal(left.length, 6, 'six .tmp names at the root stay');
});

t.test('S3: the scan-state folder through the storage interface, with an age threshold', async (t) => {
  const srv = await startS3Server(t, { bucket: 'tf-stale' });
  const s3 = new S3Storage(awsDescription(srv, { prefix: 'data/' }));
  t.teardown(() => s3.close());
  const { config } = await datasetConfig({
    id: 'ds',
    instance_data_dir: 'x',
    resolution: 32,
    resolution_type: 'pixel',
  });
  const staleKey = `tunefeed_scan/ds/${temp('manifest.json', 4242)}`;
  const otherKey = `tunefeed_scan/ds/${temp('notes.txt', 4242)}`;
  await s3.write(staleKey, 'x');
  await s3.write(otherKey, 'x');
  await s3.write('tunefeed_scan/ds/manifest.json', '{}');
  t.equal(await removeStaleTemps(s3, config), 0, 'a fresh temp object is kept (its writer may be on another host)');
  t.ok(await s3.exists(staleKey));
  t.equal(await removeStaleTemps(s3, config, { remoteMinAgeMs: 0 }), 1, 'once old enough, removed');
  t.notOk(await s3.exists(staleKey));
  t.ok(await s3.exists(otherKey), 'a temp-like name of another file stays');
  t.ok(await s3.exists('tunefeed_scan/ds/manifest.json'), 'the real manifest stays');
});
