// The STREAM path (decode workers) over every kind of bad and odd image, as if the files changed after the scan:
// each bad file is skipped with its reason, counted once in loader.skips() (the 60000×60000 PNG by the pixel limit,
// fast, not decoded), every
// odd-but-valid file is decoded to RGB, and delivered + skipped = planted.
import t from 'tap';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch } from '../../lib/pipeline/types.js';
import { scanDataset } from '../../lib/metadata/scan.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { corruptFile, makeImage, makePngBomb, truncateFile, type MakeImageOptions } from '../helpers/make-images.js';
import { imageConfig, oneBucketIndex } from '../helpers/runtime-dataset.js';
import { report } from '../helpers/fault-count.js';
import { datasetConfig } from '../helpers/scan-config.js';
import { bgrRows, indexRows, rle8, seededBytes, writeBmp } from '../helpers/bmp-encoder.js';

/** Plants the files; returns the usable keys and the expected skip reason of every bad key. */
async function plant(dir: string): Promise<{ usable: string[]; bad: Record<string, string> }> {
  const usable: string[] = [];
  const add = async (name: string, o: MakeImageOptions) => {
    await makeImage(join(dir, name), o);
    usable.push(name);
  };
  for (let o = 1; o <= 8; o++) await add(`exif-o${o}.jpg`, { w: 60, h: 40, format: 'jpeg', orientation: o });
  await add('cmyk.jpg', { w: 60, h: 40, format: 'jpeg', pixels: 'cmyk' });
  await add('rgb16.png', { w: 60, h: 40, format: 'png', pixels: 'rgb16' });
  await add('grey.png', { w: 60, h: 40, format: 'png', pixels: 'grey' });
  await add('alpha.webp', { w: 60, h: 40, format: 'webp', pixels: 'alpha' });
  await add('alpha.png', { w: 60, h: 40, format: 'png', pixels: 'alpha' });
  await add('anim.gif', { w: 40, h: 30, format: 'gif', frames: 3 });
  await add('anim.webp', { w: 40, h: 30, format: 'webp', frames: 3 });
  await add('png-named.jpg', { w: 50, h: 50, format: 'png' });
  await add('photo.tiff', { w: 50, h: 40, format: 'tiff' });
  await add('photo.avif', { w: 50, h: 40, format: 'avif' });
  await add('photo.bmp', { w: 50, h: 40, format: 'bmp' });
  const bad: Record<string, string> = {};
  await writeFile(join(dir, 'zero.jpg'), '');
  bad['zero.jpg'] = 'corrupt';
  for (const f of ['jpeg', 'png', 'webp'] as const) {
    const name = `trunc-${f}.${f === 'jpeg' ? 'jpg' : f}`;
    await makeImage(join(dir, name), { w: 300, h: 200, format: f, quality: 95 });
    await truncateFile(join(dir, name), 0.5);
    bad[name] = 'truncated';
  }
  await makeImage(join(dir, 'head.png'), { w: 50, h: 50, format: 'png' });
  await corruptFile(join(dir, 'head.png'), 12, 4);
  bad['head.png'] = 'corrupt';
  await writeFile(join(dir, 'text.png'), 'definitely not an image\n'.repeat(4));
  bad['text.png'] = 'unsupported';
  await writeFile(join(dir, 'html.jpg'), '<html><body>404 Not Found</body></html>');
  bad['html.jpg'] = 'unsupported';
  await makePngBomb(join(dir, 'bomb.png'));
  bad['bomb.png'] = 'pixel_limit';
  // BMPs the stream's own reader refuses, with the words the scan uses for them.
  const idx = new Uint8Array(20 * 10);
  await writeFile(
    join(dir, 'rle8.bmp'),
    writeBmp({ width: 20, height: 10, bpp: 8, rows: [], palette: [[0, 0, 0]], rle: rle8(idx, 20, 10) }),
  );
  bad['rle8.bmp'] = 'unsupported';
  await writeFile(join(dir, 'cut.bmp'), writeBmp({ width: 20, height: 10, bpp: 24, rows: [] }).subarray(0, 300));
  bad['cut.bmp'] = 'truncated';
  return { usable, bad };
}

/** BMP variants: five the stream decodes, an RLE8 one and a cut one that both the scan and the stream refuse. */
async function plantBmps(dir: string): Promise<void> {
  const [w, h] = [60, 40];
  const rgb = seededBytes(w * h * 3, 7);
  const pal: [number, number, number][] = Array.from({ length: 64 }, (_, i) => [i * 4, 255 - i * 4, (i * 37) & 255]);
  const idx = Uint8Array.from(seededBytes(w * h, 8), (b) => b % 64);
  const files: Record<string, Buffer> = {
    'bgr24.bmp': writeBmp({ width: w, height: h, bpp: 24, rows: bgrRows(rgb, w, h) }),
    'top-down.bmp': writeBmp({ width: w, height: h, bpp: 24, rows: bgrRows(rgb, w, h), topDown: true }),
    'bgrx32.bmp': writeBmp({ width: w, height: h, bpp: 32, rows: bgrRows(rgb, w, h, 4) }),
    'pal8.bmp': writeBmp({ width: w, height: h, bpp: 8, rows: indexRows(idx, w, h, 8), palette: pal }),
    'rle8.bmp': writeBmp({ width: w, height: h, bpp: 8, rows: [], palette: pal, rle: rle8(idx, w, h) }),
  };
  files['cut.bmp'] = files['bgr24.bmp'].subarray(0, 3000);
  for (const [name, buf] of Object.entries(files)) await writeFile(join(dir, name), buf);
  await makeImage(join(dir, 'helper.bmp'), { w, h, format: 'bmp' });
}

t.test('BMP: the files the scan counts usable are exactly the files the stream delivers', async (t) => {
  const dir = t.testdir({});
  await plantBmps(dir);
  const { config, args } = await datasetConfig({
    id: 'bmp',
    instance_data_dir: dir,
    resolution: 48,
    resolution_type: 'pixel',
    crop: true,
    train_batch_size: 1,
  });
  const storage = new LocalStorage({ id: 'bmp', root: dir });
  const scan = await scanDataset({ id: 'bmp', config, storage, args });
  const usable = Object.values(scan.index.buckets).flat().sort();
  t.same(usable, ['bgr24.bmp', 'bgrx32.bmp', 'helper.bmp', 'pal8.bmp', 'top-down.bmp'], 'scan: five usable');
  t.same(scan.report.skipped, { unsupported: 1, truncated: 1 }, 'scan: RLE8 unsupported, the cut file truncated');
  const batches: Batch[] = [];
  for await (const b of await createLoader('x', {
    thread: false,
    datasets: [{ config, storage, index: scan.index }],
    epochs: 1,
    seed: 2,
    threads: 1,
  }))
    batches.push(b);
  const delivered = [...new Set(batches.flatMap((b) => b.samples.map((s) => s.key)))].sort();
  t.same(delivered, usable, 'stream delivered = scan usable');
  t.same(
    batches.flatMap((b) => b.skipped),
    [],
    'the stream skipped nothing',
  );
  t.ok(
    batches.every((b) => b.samples.every((s) => s.pixels?.length === 48 * 48 * 3)),
    'every BMP decoded to 48×48 RGB',
  );
  report(t, 'stream-bmp', {
    planted: 7,
    scan_usable: usable.length,
    delivered: delivered.length,
    skipped: scan.report.skipped,
  });
});

t.test('bad images in the stream: classified, counted, the stream carries on', async (t) => {
  const dir = t.testdir({});
  const { usable, bad } = await plant(dir);
  const all = [...usable, ...Object.keys(bad)].sort();
  const index = oneBucketIndex('zoo', all, {
    original_size: [48, 48],
    intermediary_size: [48, 48],
    target_size: [48, 48],
    crop_coordinates: [0, 0],
    aspect_ratio: 1,
  });
  const ds = {
    config: imageConfig('zoo', dir, { train_batch_size: 1 }),
    storage: new LocalStorage({ id: 'zoo', root: dir }),
    index,
  };
  const started = Date.now();
  const loader = await createLoader('x', { thread: false, datasets: [ds], epochs: 1, seed: 2, threads: 1 });
  const batches: Batch[] = [];
  for await (const b of loader) batches.push(b);
  const ms = Date.now() - started;
  const skipped = new Map<string, string>();
  for (const s of batches.flatMap((b) => b.skipped)) skipped.set(s.key, s.reason);
  t.same(
    Object.fromEntries([...skipped].sort()),
    Object.fromEntries(Object.entries(bad).sort()),
    'every bad file skipped with its reason',
  );
  const delivered = new Set(batches.flatMap((b) => b.samples.map((s) => s.key)));
  t.same([...delivered].sort(), [...usable].sort(), 'every odd-but-valid file delivered');
  t.ok(
    batches.every((b) => b.samples.every((s) => s.pixels?.length === 48 * 48 * 3)),
    'all delivered pixels are 48×48 RGB',
  );
  t.equal(delivered.size + skipped.size, all.length, 'delivered + skipped = planted');
  t.equal(batches.length, all.length, 'one batch per planted key (bad ones refilled)');
  const byReason: Record<string, number> = {};
  for (const r of skipped.values()) byReason[r] = (byReason[r] ?? 0) + 1;
  const events = batches.flatMap((b) => b.skipped).length;
  t.same(
    loader.skips(),
    byReason,
    `loader.skips() counts files per reason (${skipped.size} files, ${events} skip events: ` +
      'a bad file met as a refill candidate and again as a primary is one file)',
  );
  report(t, 'stream-bad-images', { planted: all.length, delivered: delivered.size, skipped: byReason, ms });
});
