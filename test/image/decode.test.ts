// sharp decode to target geometry: EXIF rotation, RGB output, exact crops, pixel limit, corrupt input.
import t from 'tap';
import sharp from 'sharp';
import { ImageDecodeError } from '../../lib/errors.js';
import { decodeToTarget, type SampleGeometry } from '../../lib/image/decode.js';
import { probeFile } from '../../lib/metadata/probe-file.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A w×h RGB image whose pixel (x, y) is (x, y, 7): every crop is checkable. */
async function coordImage(w: number, h: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([x, y, 7], (y * w + x) * 3);
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

const geom = (iw: number, ih: number, tw: number, th: number, top: number, left: number): SampleGeometry => ({
  intermediary_size: [iw, ih],
  target_size: [tw, th],
  crop_coordinates: [top, left],
});

t.test('crop at (top, left) of an unresized image returns exactly that region', async (t) => {
  const png = await coordImage(64, 48);
  const out = await decodeToTarget(png, geom(64, 48, 32, 16, 10, 20));
  t.equal(out.width, 32);
  t.equal(out.height, 16);
  t.equal(out.data.length, 32 * 16 * 3);
  t.same([...out.data.subarray(0, 3)], [20, 10, 7], 'first pixel is (left, top)');
  const last = (15 * 32 + 31) * 3;
  t.same([...out.data.subarray(last, last + 3)], [51, 25, 7], 'last pixel is (left+31, top+15)');
});

t.test('resize to intermediary then crop', async (t) => {
  const png = await coordImage(200, 100);
  const out = await decodeToTarget(png, geom(100, 50, 50, 50, 0, 25));
  t.equal(out.width, 50);
  t.equal(out.height, 50);
  const px = out.data[0];
  t.ok(Math.abs(px - 50) <= 3, `x at crop left ≈ 2×25 (got ${px})`);
});

t.test('EXIF orientation 6 is applied before geometry', async (t) => {
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
  const jpg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const out = await decodeToTarget(jpg, geom(20, 40, 20, 40, 0, 0));
  t.equal(out.width, 20);
  t.equal(out.height, 40);
  const top = out.data.subarray(0, 3);
  const bottom = out.data.subarray(39 * 20 * 3, 39 * 20 * 3 + 3);
  t.ok(top[0] > 200 && top[2] < 60, 'rotated 90° clockwise: red on top');
  t.ok(bottom[2] > 200 && bottom[0] < 60, 'blue at the bottom');
});

t.test('RGBA and greyscale inputs come out as 3-channel RGB', async (t) => {
  const rgba = await sharp({
    create: { width: 8, height: 8, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
  const grey = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .greyscale()
    .png()
    .toBuffer();
  for (const [name, buf] of [
    ['rgba', rgba],
    ['grey', grey],
  ] as const) {
    const out = await decodeToTarget(buf, geom(8, 8, 8, 8, 0, 0));
    t.equal(out.data.length, 8 * 8 * 3, `${name}: H×W×3`);
  }
});

t.test('bad inputs reject with ImageDecodeError and a reason', async (t) => {
  const png = await coordImage(64, 64);
  const corrupt = (await coordImage(64, 64, 'jpeg')).subarray(0, 300);
  const settle = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e,
    );
  const cases: [string, Promise<unknown>, string][] = [
    ['pixel limit', settle(decodeToTarget(png, geom(64, 64, 64, 64, 0, 0), { limitInputPixels: 1000 })), 'pixel_limit'],
    ['truncated', settle(decodeToTarget(corrupt, geom(64, 64, 64, 64, 0, 0))), 'truncated'],
    ['not an image', settle(decodeToTarget(Buffer.from('hello world'), geom(8, 8, 8, 8, 0, 0))), 'unsupported'],
    ['crop outside', settle(decodeToTarget(png, geom(64, 64, 32, 32, 40, 0))), 'geometry'],
  ];
  for (const [name, p, reason] of cases) {
    const err = await p;
    t.ok(err instanceof ImageDecodeError, `${name}: ImageDecodeError`);
    t.equal((err as ImageDecodeError).reason, reason, `${name}: ${reason}`);
  }
});

t.test('a file cut short gets the same reason from the stream decode as from the scan', async (t) => {
  const dir = t.testdir({});
  const storage = new LocalStorage({ id: 'cut', root: dir });
  const raw = Buffer.alloc(120 * 80 * 3, 0).map((_, i) => (i * 31) & 255);
  for (const f of ['jpeg', 'png', 'webp'] as const) {
    const encoder = sharp(raw, { raw: { width: 120, height: 80, channels: 3 } });
    const full = await encoder[f]({ quality: 95 }).toBuffer();
    for (const share of [0.5, 0.9]) {
      const cut = full.subarray(0, Math.floor(full.length * share));
      const key = `cut-${share}.${f}`;
      await writeFile(join(dir, key), cut);
      const scan = await probeFile(storage, key, cut.length);
      const stream = await decodeToTarget(cut, geom(120, 80, 120, 80, 0, 0)).catch((e: unknown) => e);
      t.match(scan, { ok: false, reason: 'truncated' }, `${key}: scan says truncated`);
      t.match(stream, { code: 'TF_IMAGE_DECODE', reason: 'truncated' }, `${key}: stream says truncated`);
    }
  }
});
