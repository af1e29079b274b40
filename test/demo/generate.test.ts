// The demo generator writes real, decodable images matching its plan, plants the broken files, and reuses a current
// folder.
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { generateDemo } from '../../lib/demo/generate.js';
import { planDemo } from '../../lib/demo/plan.js';
import { encodeBmp } from '../../lib/demo/synth.js';

const sizes = { photos: 14, art: 6 };

t.test('plan is deterministic and mixes formats, aspects and multi-line captions', async (t) => {
  const a = planDemo(7, { photos: 200, art: 100 });
  const b = planDemo(7, { photos: 200, art: 100 });
  t.same(a, b, 'same seed, same plan');
  t.notSame(planDemo(8, { photos: 200, art: 100 }).images, a.images, 'another seed, another plan');
  const formats = new Set(a.images.map((i) => i.format));
  for (const f of ['jpeg', 'jpeg-progressive', 'jpeg-exif6', 'png', 'webp', 'gif', 'tiff'])
    t.ok(formats.has(f as never), `has ${f}`);
  const aspects = new Set(a.images.map((i) => (i.width / i.height).toFixed(2)));
  t.ok(aspects.size >= 6, `at least 6 aspect ratios (${aspects.size})`);
  t.ok(
    a.images.some((i) => i.caption.includes('\n')),
    'some captions are multi-line',
  );
  t.equal(new Set(a.images.map((i) => `${i.dataset}/${i.key}`)).size, a.images.length, 'keys are unique');
});

t.test('generates decodable images matching the plan, then reuses the folder', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-demo-gen-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await generateDemo({ dir, sizes, seed: 99 });
  t.equal(first.created, true);
  t.ok(first.bytes > 0);
  for (const img of first.plan.images) {
    const file = path.join(first.layout.datasetDir(img.dataset), img.key);
    const meta = await sharp(file).metadata();
    const w = meta.autoOrient?.width ?? meta.width;
    const h = meta.autoOrient?.height ?? meta.height;
    t.same([w, h], [img.width, img.height], `${img.key} (${img.format}) upright size`);
    await sharp(file).raw().toBuffer(); // decodes fully
    t.equal(await readFile(file.replace(/\.[^.]+$/, '.txt'), 'utf8'), img.caption);
  }
  const broken = path.join(first.layout.datasetDir('photos'), 'broken');
  const names = (await readdir(broken)).filter((n) => !n.endsWith('.txt')).sort();
  t.same(names, first.plan.broken.map((b) => path.basename(b.key)).sort(), 'every broken file planted');
  t.equal((await stat(path.join(broken, 'empty.jpg'))).size, 0);
  await t.rejects(sharp(path.join(broken, 'cut-short.jpg')).raw().toBuffer(), 'truncated JPEG fails to decode');
  await t.rejects(sharp(path.join(broken, 'notes.webp')).metadata(), 'text file is not an image');

  const config = JSON.parse(await readFile(first.layout.configPath, 'utf8')) as { id: string; probability?: number }[];
  t.same(
    config.map((c) => c.id),
    ['demo-photos', 'demo-art', 'demo-text'],
  );
  t.not(config[0].probability, config[1].probability, 'datasets weighted differently');

  const again = await generateDemo({ dir, sizes, seed: 99 });
  t.equal(again.created, false, 'second run reuses the folder');
  const other = await generateDemo({ dir, sizes: { photos: 3, art: 2 }, seed: 99 });
  t.equal(other.created, true, 'different sizes regenerate');
  const photos = await readdir(path.join(other.layout.datasetDir('photos')), { recursive: true });
  t.equal(photos.filter((n) => /photos-\d+\.\w+$/.test(n) && !n.endsWith('.txt')).length, 3, 'stale files removed');
});

t.test('BMP writer produces a valid bottom-up 24-bit file', async (t) => {
  const raw = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255]); // 3x1: red, green, blue
  const bmp = encodeBmp(raw, 3, 1);
  t.equal(bmp.toString('ascii', 0, 2), 'BM');
  t.equal(bmp.readUInt32LE(2), bmp.length);
  t.equal(bmp.length, 54 + 12, 'row padded to 4 bytes');
  t.same([...bmp.subarray(54, 63)], [0, 0, 255, 0, 255, 0, 255, 0, 0], 'stored as BGR');
});
