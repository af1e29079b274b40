// BMP reader: every supported layout pixel-exact against its source pixels; RLE and cut files refused alike by probe
// and decoder.
import t from 'tap';
import sharp from 'sharp';
import { decodeBmp } from '../../lib/formats/bmp-decode.js';
import { decodeToTarget } from '../../lib/image/decode.js';
import { probeImage } from '../../lib/formats/probe.js';
import { decodeCheck } from '../../lib/formats/decode-check.js';
import { bgrRows, indexRows, rle8, seededBytes, wordRows, writeBmp } from '../helpers/bmp-encoder.js';

const W = 7; // odd: every row needs padding at 24 bits, and packed rows at 1 and 4 bits end mid-byte
const H = 5;
const rgb = seededBytes(W * H * 3, 1);

function palette(n: number, seed: number): [number, number, number][] {
  const b = seededBytes(n * 3, seed);
  return Array.from({ length: n }, (_, i) => [b[i * 3], b[i * 3 + 1], b[i * 3 + 2]]);
}

function lookup(indices: Uint8Array, pal: [number, number, number][]): Buffer {
  return Buffer.from([...indices].flatMap((i) => pal[i]));
}

t.test('24-bit BI_RGB, bottom-up and top-down', async (t) => {
  for (const topDown of [false, true]) {
    const out = decodeBmp(writeBmp({ width: W, height: H, bpp: 24, rows: bgrRows(rgb, W, H), topDown }));
    t.same([out.width, out.height, out.channels], [W, H, 3]);
    t.ok(out.data.equals(rgb), `pixels identical (topDown ${topDown})`);
  }
});

t.test('32-bit BI_RGB is BGRX: the fourth byte is not alpha', async (t) => {
  const out = decodeBmp(writeBmp({ width: W, height: H, bpp: 32, rows: bgrRows(rgb, W, H, 4, 0x55) }));
  t.equal(out.channels, 3);
  t.ok(out.data.equals(rgb), 'pixels identical');
});

t.test('32-bit BI_BITFIELDS with an alpha mask (V4 header) gives RGBA', async (t) => {
  const alpha = seededBytes(W * H, 2);
  const words = Array.from(
    { length: W * H },
    (_, i) => ((alpha[i] << 24) | (rgb[i * 3] << 16) | (rgb[i * 3 + 1] << 8) | rgb[i * 3 + 2]) >>> 0,
  );
  const out = decodeBmp(
    writeBmp({
      width: W,
      height: H,
      bpp: 32,
      rows: wordRows(words, W, H, 32),
      masks: [0xff0000, 0xff00, 0xff, 0xff000000],
    }),
  );
  t.equal(out.channels, 4);
  const rgba = Buffer.from(
    Array.from({ length: W * H }, (_, i) => [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], alpha[i]]).flat(),
  );
  t.ok(out.data.equals(rgba), 'pixels and alpha identical');
});

t.test('16-bit BI_BITFIELDS 5-6-5 and BI_RGB 5-5-5 expand each channel to 0–255', async (t) => {
  const words = [...seededBytes(W * H * 2, 3)].reduce<number[]>(
    (a, b, i) => (i % 2 ? ((a[a.length - 1] |= b << 8), a) : [...a, b]),
    [],
  );
  const scale = (v: number, bits: number) => Math.floor((v * 255) / ((1 << bits) - 1));
  const out565 = decodeBmp(
    writeBmp({ width: W, height: H, bpp: 16, rows: wordRows(words, W, H, 16), masks: [0xf800, 0x7e0, 0x1f, 0] }),
  );
  t.ok(
    out565.data.equals(
      Buffer.from(words.flatMap((w) => [scale(w >> 11, 5), scale((w >> 5) & 63, 6), scale(w & 31, 5)])),
    ),
    '5-6-5 pixels',
  );
  const out555 = decodeBmp(writeBmp({ width: W, height: H, bpp: 16, rows: wordRows(words, W, H, 16) }));
  t.ok(
    out555.data.equals(
      Buffer.from(words.flatMap((w) => [scale((w >> 10) & 31, 5), scale((w >> 5) & 31, 5), scale(w & 31, 5)])),
    ),
    '5-5-5 pixels',
  );
});

t.test('8-, 4- and 1-bit paletted (short palettes, packed rows)', async (t) => {
  for (const bpp of [8, 4, 1] as const) {
    const pal = palette(bpp === 8 ? 200 : bpp === 4 ? 12 : 2, 4 + bpp);
    const indices = Uint8Array.from(seededBytes(W * H, 10 + bpp), (b) => b % pal.length);
    for (const topDown of [false, true]) {
      const out = decodeBmp(
        writeBmp({ width: W, height: H, bpp, rows: indexRows(indices, W, H, bpp), palette: pal, topDown }),
      );
      t.ok(out.data.equals(lookup(indices, pal)), `${bpp}-bit pixels identical (topDown ${topDown})`);
    }
  }
});

t.test('RLE8 and a file cut short: the probe (scan) and the decoder (stream) give the same reason', async (t) => {
  const pal = palette(16, 20);
  const indices = Uint8Array.from(seededBytes(W * H, 21), (b) => b % 16);
  const rle = writeBmp({ width: W, height: H, bpp: 8, rows: [], palette: pal, rle: rle8(indices, W, H) });
  const full = writeBmp({ width: W, height: H, bpp: 24, rows: bgrRows(rgb, W, H) });
  const cut = full.subarray(0, full.length - 20);
  for (const [name, buf, reason] of [
    ['RLE8', rle, 'unsupported'],
    ['cut', cut, 'truncated'],
  ] as const) {
    t.match(probeImage(buf, true), { kind: 'fail', reason }, `${name}: probe says ${reason}`);
    t.throws(() => decodeBmp(buf), { name: 'BmpError', reason }, `${name}: decoder says ${reason}`);
    t.match(await decodeCheck(buf, 1e8), { reason }, `${name}: the scan's decode check says ${reason}`);
    const err = await decodeToTarget(buf, {
      intermediary_size: [W, H],
      target_size: [W, H],
      crop_coordinates: [0, 0],
    }).catch((e: unknown) => e);
    t.match(err, { code: 'TF_IMAGE_DECODE', reason }, `${name}: stream says ${reason}`);
  }
  t.match(
    probeImage(rle.subarray(0, 60), false),
    { kind: 'fail', reason: 'unsupported' },
    'RLE refused from the headers alone',
  );
  t.equal(await decodeCheck(full, 1e8), null, 'a good BMP passes the decode check');
});

t.test('pixel limit is checked before any pixel is read', async (t) => {
  const big = writeBmp({ width: 2000, height: 1000, bpp: 8, rows: [], palette: palette(2, 30) });
  t.throws(() => decodeBmp(big, 1e6), { name: 'BmpError', reason: 'pixel_limit' });
  const err = await decodeToTarget(
    big,
    { intermediary_size: [20, 10], target_size: [20, 10], crop_coordinates: [0, 0] },
    { limitInputPixels: 1e6 },
  ).catch((e: unknown) => e);
  t.match(err, { code: 'TF_IMAGE_DECODE', reason: 'pixel_limit' });
});

t.test('through the stream decode: same pixels as the PNG of the same source, unresized and resized', async (t) => {
  const bmp = writeBmp({ width: W, height: H, bpp: 24, rows: bgrRows(rgb, W, H) });
  const png = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
  const same = await decodeToTarget(bmp, { intermediary_size: [W, H], target_size: [W, H], crop_coordinates: [0, 0] });
  t.ok(same.data.equals(rgb), 'unresized: the source pixels');
  const g = {
    intermediary_size: [14, 10] as [number, number],
    target_size: [10, 8] as [number, number],
    crop_coordinates: [1, 2] as [number, number],
  };
  const [a, b] = await Promise.all([decodeToTarget(bmp, g), decodeToTarget(png, g)]);
  t.same([a.width, a.height], [10, 8]);
  t.ok(a.data.equals(b.data), 'resized and cropped: identical to the PNG path');
});
