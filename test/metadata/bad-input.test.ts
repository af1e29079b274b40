// Every kind of bad or odd image in one dataset, scanned locally and from the S3 test server: each file is
// classified with a reason, counted, and the scan carries on; final counts match the files planted.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { LocalStorage } from '../../lib/storage/local.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { corruptFile, makeImage, makePngBomb, truncateFile } from '../helpers/make-images.js';
import { startS3Server } from '../helpers/s3-server.js';

/** Plants the zoo; returns expected usable keys with their displayed sizes, and expected skip counts. */
async function plantZoo(dir: string) {
  const usable: Record<string, [number, number]> = {};
  const add = async (name: string, o: Parameters<typeof makeImage>[1], shown: [number, number] = [o.w, o.h]) => {
    await makeImage(join(dir, name), o);
    usable[name] = shown;
  };
  for (let o = 1; o <= 8; o++)
    await add(`exif/o${o}.jpg`, { w: 120, h: 80, format: 'jpeg', orientation: o }, o >= 5 ? [80, 120] : [120, 80]);
  await add('odd/cmyk.jpg', { w: 90, h: 60, format: 'jpeg', pixels: 'cmyk' });
  await add('odd/rgb16.png', { w: 90, h: 60, format: 'png', pixels: 'rgb16' });
  await add('odd/grey.png', { w: 90, h: 60, format: 'png', pixels: 'grey' });
  await add('odd/grey.jpg', { w: 90, h: 60, format: 'jpeg', pixels: 'grey' });
  await add('odd/alpha.png', { w: 90, h: 60, format: 'png', pixels: 'alpha' });
  await add('odd/alpha.webp', { w: 90, h: 60, format: 'webp', pixels: 'alpha' });
  await add('odd/anim.gif', { w: 40, h: 30, format: 'gif', frames: 3 });
  await add('odd/anim.webp', { w: 40, h: 30, format: 'webp', frames: 3 });
  await add('odd/png-named.jpg', { w: 70, h: 70, format: 'png' });
  await add('odd/jpeg-named.webp', { w: 70, h: 50, format: 'jpeg' });
  await add('odd/photo.tiff', { w: 64, h: 48, format: 'tiff' });
  await add('odd/photo.avif', { w: 64, h: 48, format: 'avif' });
  await add('odd/photo.bmp', { w: 64, h: 48, format: 'bmp' });
  await writeFile(join(dir, 'bad/zero.jpg'), '').catch(async () => {
    await makeImage(join(dir, 'bad/x.png'), { w: 1, h: 1, format: 'png' });
  });
  for (const f of ['jpeg', 'png', 'webp'] as const) {
    const name = `bad/trunc-${f}.${f === 'jpeg' ? 'jpg' : f}`;
    await makeImage(join(dir, name), { w: 400, h: 300, format: f, quality: 95 });
    await truncateFile(join(dir, name), 0.5);
  }
  await makeImage(join(dir, 'bad/head.jpg'), { w: 50, h: 50, format: 'jpeg' });
  await corruptFile(join(dir, 'bad/head.jpg'), 2, 30);
  await makeImage(join(dir, 'bad/head.png'), { w: 50, h: 50, format: 'png' });
  await corruptFile(join(dir, 'bad/head.png'), 12, 4);
  await writeFile(join(dir, 'bad/text.png'), 'definitely not an image\n'.repeat(4));
  await writeFile(join(dir, 'bad/html.jpg'), '<html><body>404 Not Found</body></html>');
  await makePngBomb(join(dir, 'bad/bomb.png'));
  const skipped = { corrupt: 3, truncated: 3, unsupported: 2, pixel_limit: 1 };
  return { usable, skipped };
}

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

async function check(
  t: Test,
  r: Awaited<ReturnType<typeof scanDataset>>,
  want: Awaited<ReturnType<typeof plantZoo>>,
  planted: number,
) {
  t.equal(r.files, planted, 'every planted file was listed');
  t.same(r.report.skipped, want.skipped, 'skips by reason');
  const got = Object.fromEntries(Object.entries(r.index.metadata).map(([k, m]) => [k, m.original_size]));
  t.same(got, want.usable, 'every usable file with its displayed size (EXIF 5–8 swapped)');
  t.equal(
    Object.keys(got).length + Object.values(r.report.skipped).reduce((a, b) => a + b, 0),
    planted,
    'usable + skipped = planted',
  );
}

t.test('bad and odd images on local disk', async (t) => {
  const dir = t.testdir({ bad: {} });
  const want = await plantZoo(dir);
  const planted = (await listFiles(dir)).length;
  const { config, args } = await datasetConfig({
    id: 'zoo',
    instance_data_dir: dir,
    resolution: 256,
    resolution_type: 'pixel',
  });
  await check(
    t,
    await scanDataset({ id: 'zoo', config, storage: new LocalStorage({ id: 'zoo', root: dir }), args }),
    want,
    planted,
  );
});

t.test('the same files on the S3 test server (tail check on)', async (t) => {
  const s3 = await startS3Server(t);
  const dir = t.testdir({ bad: {} });
  const want = await plantZoo(dir);
  const files = await listFiles(dir);
  await s3.putMany(
    await Promise.all(files.map(async (f) => [`zoo/${f}`, await readFile(join(dir, f))] as [string, Buffer])),
  );
  const storage = new S3Storage({
    kind: 'aws',
    id: 'zoo',
    bucket: s3.bucket,
    prefix: 'zoo/',
    region: s3.region,
    endpoint: s3.endpoint,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    maxPoolConnections: 16,
    checksumMode: 'WHEN_REQUIRED',
    forcePathStyle: true,
    requestTimeoutMs: 10000,
    connectTimeoutMs: 2000,
    maxAttempts: 2,
  });
  t.teardown(() => storage.close());
  const { config, args } = await datasetConfig({
    id: 'zoo',
    type: 'aws',
    aws_bucket_name: s3.bucket,
    aws_data_prefix: 'zoo/',
    aws_region_name: s3.region,
    aws_endpoint_url: s3.endpoint,
    aws_access_key_id: s3.accessKeyId,
    aws_secret_access_key: s3.secretAccessKey,
    resolution: 256,
    resolution_type: 'pixel',
  });
  await check(
    t,
    await scanDataset({ id: 'zoo', config, storage, args, probe: { verifyTail: true } }),
    want,
    files.length,
  );
});
