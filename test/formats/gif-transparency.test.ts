// GIF transparency: the transparent index's palette colour is found in the global or the first frame's local table,
// and a decoded GIF (local table, frame smaller than the canvas) equals PIL's convert("RGB") pixel for pixel.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fillTransparent, gifTransparentColour } from '../../lib/formats/gif-transparency.js';
import { openRgb } from '../../lib/image/rgb-source.js';

type Rgb = [number, number, number];

interface GifSpec {
  canvas: [number, number];
  frame: { left: number; top: number; width: number; height: number };
  global?: Rgb[];
  local?: Rgb[];
  transparent?: number;
  /** Blocks placed before the graphic control extension (a comment, say). */
  before?: number[];
  indices: number[];
}

const table = (colours: Rgb[]): number[] => colours.flat();
const u16 = (n: number): number[] => [n & 0xff, n >> 8];

/** Uncompressed LZW at code size 3 (4-colour tables): a clear code every two literals keeps the width fixed. */
function lzw(indices: number[]): number[] {
  const codes: number[] = [];
  indices.forEach((ix, i) => {
    if (i % 2 === 0) codes.push(4);
    codes.push(ix);
  });
  codes.push(5);
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of codes) {
    acc |= c << bits;
    bits += 3;
    for (; bits >= 8; bits -= 8) {
      bytes.push(acc & 0xff);
      acc >>= 8;
    }
  }
  if (bits > 0) bytes.push(acc & 0xff);
  return [2, bytes.length, ...bytes, 0];
}

/** A one-frame GIF89a with 4-entry colour tables. */
function gif(s: GifSpec): Buffer {
  const head = [...Buffer.from('GIF89a'), ...u16(s.canvas[0]), ...u16(s.canvas[1]), s.global ? 0x81 : 0, 0, 0];
  const gce = s.transparent === undefined ? [] : [0x21, 0xf9, 4, 1, 0, 0, s.transparent, 0];
  const f = s.frame;
  const desc = [0x2c, ...u16(f.left), ...u16(f.top), ...u16(f.width), ...u16(f.height), s.local ? 0x81 : 0];
  const parts = [head, table(s.global ?? []), s.before ?? [], gce, desc, table(s.local ?? []), lzw(s.indices), [0x3b]];
  return Buffer.from(parts.flat());
}

const GLOBAL: Rgb[] = [
  [10, 20, 30],
  [200, 100, 50],
  [0, 255, 0],
  [90, 90, 250],
];
const LOCAL: Rgb[] = [
  [1, 2, 3],
  [250, 240, 230],
  [77, 88, 99],
  [123, 45, 67],
];
const whole = { left: 0, top: 0, width: 2, height: 2 };

t.test('the transparent colour comes from the global table, or from the local one when the frame has it', async (t) => {
  t.same(
    gifTransparentColour(gif({ canvas: [2, 2], frame: whole, global: GLOBAL, transparent: 1, indices: [0, 1, 2, 3] })),
    [200, 100, 50],
  );
  const local = gif({
    canvas: [2, 2],
    frame: whole,
    global: GLOBAL,
    local: LOCAL,
    transparent: 2,
    indices: [0, 1, 2, 3],
  });
  t.same(gifTransparentColour(local), [77, 88, 99]);
  const comment = [0x21, 0xfe, 3, 0x61, 0x62, 0x63, 0];
  const commented = gif({
    canvas: [2, 2],
    frame: whole,
    global: GLOBAL,
    transparent: 3,
    before: comment,
    indices: [0, 1, 2, 3],
  });
  t.same(gifTransparentColour(commented), [90, 90, 250], 'a comment extension before it is skipped');
});

t.test('no transparent colour: no flag, index past the table, cut file, not a GIF', async (t) => {
  t.equal(gifTransparentColour(gif({ canvas: [2, 2], frame: whole, global: GLOBAL, indices: [0, 1, 2, 3] })), null);
  t.equal(
    gifTransparentColour(gif({ canvas: [2, 2], frame: whole, global: GLOBAL, transparent: 9, indices: [0, 1, 2, 3] })),
    null,
  );
  const full = gif({ canvas: [2, 2], frame: whole, global: GLOBAL, transparent: 1, indices: [0, 1, 2, 3] });
  t.equal(gifTransparentColour(full.subarray(0, 20)), null, 'ends inside the global table');
  t.equal(gifTransparentColour(Buffer.from('\x89PNG\r\n\x1a\n0000000000')), null);
});

t.test('fillTransparent gives alpha-0 pixels the colour and keeps every other pixel', async (t) => {
  const rgba = Uint8Array.from([1, 2, 3, 255, 0, 0, 0, 0, 9, 8, 7, 1]);
  t.same([...fillTransparent(rgba, 3, [50, 60, 70])], [1, 2, 3, 50, 60, 70, 9, 8, 7]);
});

t.test('a GIF with a local table and a frame inside a larger canvas decodes as PIL converts it', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'local.gif');
  const frame = { left: 1, top: 1, width: 2, height: 2 };
  const bytes = gif({ canvas: [4, 3], frame, global: GLOBAL, local: LOCAL, transparent: 0, indices: [1, 0, 2, 3] });
  writeFileSync(file, bytes);
  const script =
    'import sys, json; from PIL import Image; im = Image.open(sys.argv[1]); ' +
    'print(json.dumps(list(im.convert("RGB").tobytes())))';
  const py = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
  t.equal(py.status, 0, py.stderr);
  const pil = JSON.parse(py.stdout) as number[];
  const { img, path: how } = await openRgb(bytes, 1e6);
  t.equal(how, 'gif-transparent');
  const ours = await img.raw().toBuffer();
  t.same([...ours], pil, `every pixel as PIL's: ${pil.join(',')}`);
  t.same([...ours.subarray(0, 3)], LOCAL[0], 'outside the frame: the transparent colour, as PIL fills it');
});
