// Header probes on real encoded files of every format, via LocalStorage ranged reads (tiny first reads force follow-
// ups).
import t from 'tap';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { LocalStorage } from '../../lib/storage/local.js';
import { probeFile } from '../../lib/metadata/probe-file.js';
import { probeImage } from '../../lib/formats/probe.js';
import {
  corruptFile,
  makeImage,
  makeJpegWithBigApp,
  makePngBomb,
  truncateFile,
  type MakeFormat,
} from '../helpers/make-images.js';

const dir = t.testdir({});
const storage = new LocalStorage({ id: 'probe', root: dir });

async function probe(name: string, headBytes = 65536, extra = {}) {
  const size = (await readFile(join(dir, name))).length;
  return probeFile(storage, name, size, { headBytes, ...extra });
}

t.test('every format, two sizes, small and default first reads', async (t) => {
  const formats: MakeFormat[] = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'bmp'];
  for (const format of formats) {
    for (const [w, h] of [
      [37, 23],
      [200, 310],
    ] as [number, number][]) {
      const name = `f/${format}-${w}x${h}.${format}`;
      await makeImage(join(dir, name), { w, h, format });
      for (const head of [24, 65536]) {
        const r = await probe(name, head);
        t.same(r.ok && [r.format, r.width, r.height], [format, w, h], `${name} head=${head}`);
      }
    }
  }
});

t.test('webp lossless (VP8L), alpha (VP8X), animated', async (t) => {
  await makeImage(join(dir, 'w/alpha.webp'), { w: 50, h: 40, format: 'webp', pixels: 'alpha' });
  const a = await probe('w/alpha.webp');
  t.same(a.ok && [a.width, a.height], [50, 40]);
  await makeImage(join(dir, 'w/anim.webp'), { w: 30, h: 20, format: 'webp', frames: 3 });
  const an = await probe('w/anim.webp');
  t.same(an.ok && [an.width, an.height], [30, 20], 'animated webp: one frame size');
  await makeImage(join(dir, 'w/anim.gif'), { w: 30, h: 20, format: 'gif', frames: 3 });
  const g = await probe('w/anim.gif');
  t.same(g.ok && [g.width, g.height], [30, 20], 'animated gif: one frame size');
  const lossless = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'); // 1x1 VP8L
  const r = probeImage(lossless, true);
  t.same(r.kind === 'ok' && [r.width, r.height], [1, 1], 'VP8L');
});

t.test('EXIF orientations 1–8 swap width/height for 5–8', async (t) => {
  for (const format of ['jpeg', 'webp', 'tiff', 'png', 'avif'] as MakeFormat[]) {
    for (let o = 1; o <= 8; o++) {
      const name = `o/${format}-${o}.${format}`;
      await makeImage(join(dir, name), { w: 60, h: 40, format, orientation: o });
      const r = await probe(name, 20);
      const want = o < 5 ? [60, 40] : [40, 60];
      t.same(r.ok && [r.width, r.height], want, `${name}`);
      if (format !== 'avif') t.equal(r.ok && r.orientation, o, `${name} orientation`);
    }
  }
});

t.test('pixel layouts: CMYK, 16-bit, grey, alpha, progressive', async (t) => {
  const cases: [string, Parameters<typeof makeImage>[1]][] = [
    ['p/cmyk.jpg', { w: 64, h: 48, format: 'jpeg', pixels: 'cmyk' }],
    ['p/16.png', { w: 64, h: 48, format: 'png', pixels: 'rgb16' }],
    ['p/grey.png', { w: 64, h: 48, format: 'png', pixels: 'grey' }],
    ['p/grey.jpg', { w: 64, h: 48, format: 'jpeg', pixels: 'grey' }],
    ['p/alpha.png', { w: 64, h: 48, format: 'png', pixels: 'alpha' }],
    ['p/prog.jpg', { w: 64, h: 48, format: 'jpeg', progressive: true }],
    ['p/16.tiff', { w: 64, h: 48, format: 'tiff', pixels: 'rgb16' }],
  ];
  for (const [name, o] of cases) {
    await makeImage(join(dir, name), o);
    const r = await probe(name, 32, { scanForErrors: true });
    t.same(r.ok && [r.width, r.height], [64, 48], name);
  }
});

t.test('SOF far beyond the first read (C2PA-like 900 KB APP11)', async (t) => {
  await makeJpegWithBigApp(join(dir, 'c2pa.jpg'), 120, 80, 900_000);
  const r = await probe('c2pa.jpg');
  t.same(r.ok && [r.width, r.height], [120, 80]);
  t.ok(r.bytesRead < 200_000, `read only ${r.bytesRead} bytes of ~900 KB`);
});

t.test('bad input is classified, never thrown', async (t) => {
  await writeFile(join(dir, 'bad/zero.jpg'), '').catch(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'bad'), { recursive: true });
    await writeFile(join(dir, 'bad/zero.jpg'), '');
  });
  await writeFile(join(dir, 'bad/text.png'), 'this is not an image at all, just text\n'.repeat(10));
  for (const f of ['jpeg', 'png', 'webp', 'gif'] as MakeFormat[]) {
    await makeImage(join(dir, `bad/trunc.${f}`), { w: 300, h: 200, format: f, quality: 95 });
    await truncateFile(join(dir, `bad/trunc.${f}`), 0.6);
    await makeImage(join(dir, `bad/head.${f}`), { w: 300, h: 200, format: f });
  }
  await corruptFile(join(dir, 'bad/head.jpeg'), 2, 40);
  await corruptFile(join(dir, 'bad/head.png'), 12, 8);
  await corruptFile(join(dir, 'bad/head.webp'), 12, 8);
  await makePngBomb(join(dir, 'bad/bomb.png'));
  await makeImage(join(dir, 'bad/misnamed.jpg'), { w: 30, h: 30, format: 'png' });
  const expect: Record<string, string> = {
    'bad/zero.jpg': 'corrupt',
    'bad/text.png': 'unsupported',
    'bad/bomb.png': 'pixel_limit',
    'bad/trunc.jpeg': 'truncated',
    'bad/trunc.png': 'truncated',
    'bad/trunc.webp': 'truncated',
    'bad/trunc.gif': 'truncated',
    'bad/head.jpeg': 'corrupt',
    'bad/head.png': 'corrupt',
    'bad/head.webp': 'corrupt',
  };
  for (const [name, reason] of Object.entries(expect)) {
    const r = await probe(name);
    t.equal(r.ok ? 'ok' : r.reason, reason, `${name}: ${r.ok ? '' : r.message}`);
  }
  const m = await probe('bad/misnamed.jpg');
  t.same(m.ok && m.format, 'png', 'wrong extension: sniffed by content');
});
