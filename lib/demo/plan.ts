// The demo dataset as a pure plan (files, sizes, formats, captions, planted faults), fully determined by the seed.
import { createRng, type DemoRng } from './rng.js';
import { extensionOf, type DemoFormat } from './synth.js';

/** The two image datasets of the demo config. */
export type DemoDatasetName = 'photos' | 'art';

/** One real image to encode. `key` is relative to the dataset folder. */
export interface PlannedImage {
  dataset: DemoDatasetName;
  key: string;
  /** Upright (displayed) size, after EXIF orientation. */
  width: number;
  height: number;
  format: DemoFormat;
  seed: number;
  /** Caption file text; a multi-line caption holds one caption per line. */
  caption: string;
}

/** A file planted to be skipped, with the reason a correct scan must give. */
export interface PlannedBroken {
  dataset: DemoDatasetName;
  key: string;
  kind: 'zero-byte' | 'truncated-jpeg' | 'truncated-png' | 'not-an-image' | 'too-small' | 'bmp';
  /** The SkipReason family we expect the scan to report (a scan may use a finer name). */
  expect: 'corrupt' | 'too_small' | 'unsupported';
  caption: string;
}

/** The whole demo dataset. */
export interface DemoPlan {
  seed: number;
  images: PlannedImage[];
  broken: PlannedBroken[];
}

/** How many images each dataset gets. */
export interface DemoSizes {
  /** @default 200 */
  photos: number;
  /** @default 100 */
  art: number;
}

export const DEFAULT_SIZES: DemoSizes = { photos: 200, art: 100 };

const ASPECTS = [1, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9, 9 / 16, 2, 1 / 2] as const;
const PHOTO_FORMATS: readonly [DemoFormat, number][] = [
  ['jpeg', 46],
  ['jpeg-progressive', 12],
  ['jpeg-exif6', 4],
  ['jpeg-exif8', 2],
  ['jpeg-exif3', 2],
  ['png', 10],
  ['webp', 15],
  ['gif', 4],
  ['tiff', 5],
];
const ART_FORMATS: readonly [DemoFormat, number][] = [
  ['png', 30],
  ['png-alpha', 10],
  ['webp', 30],
  ['jpeg', 30],
];
const SUBJECTS = [
  'lighthouse',
  'red fox',
  'mountain lake',
  'city street',
  'bowl of fruit',
  'old tram',
  'sunflower field',
  'harbour',
];
const STYLES = ['at dusk', 'in fog', 'under a clear sky', 'in winter', 'after rain', 'at golden hour'];
const ART_STYLES = ['watercolour', 'flat vector art', 'oil painting', 'ink sketch', 'pixel art'];

function weighted(rng: DemoRng, table: readonly [DemoFormat, number][]): DemoFormat {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [f, w] of table) {
    r -= w;
    if (r < 0) return f;
  }
  return table[table.length - 1][0];
}

function caption(rng: DemoRng, dataset: DemoDatasetName): string {
  const subject = rng.pick(SUBJECTS);
  const first =
    dataset === 'art' ? `${rng.pick(ART_STYLES)} of a ${subject}` : `a photo of a ${subject} ${rng.pick(STYLES)}`;
  // About one in five captions has alternatives on extra lines (SimpleTuner picks one line per sample).
  if (!rng.chance(0.2)) return first;
  return [first, `${subject}, ${rng.pick(STYLES)}`, `${subject}`].slice(0, rng.int(2, 3)).join('\n');
}

function planImage(rng: DemoRng, dataset: DemoDatasetName, index: number): PlannedImage {
  const aspect = rng.pick(ASPECTS);
  const short = dataset === 'photos' ? rng.int(160, 720) : rng.int(256, 640);
  const landscape = aspect >= 1;
  const width = landscape ? Math.round(short * aspect) : short;
  const height = landscape ? short : Math.round(short / aspect);
  const format = weighted(rng, dataset === 'photos' ? PHOTO_FORMATS : ART_FORMATS);
  const folder = dataset === 'photos' ? (landscape ? 'landscape' : 'portrait') : `set-${index % 3}`;
  const key = `${folder}/${dataset}-${String(index).padStart(4, '0')}.${extensionOf(format)}`;
  return { dataset, key, width, height, format, seed: rng.int(1, 2 ** 31 - 1), caption: caption(rng, dataset) };
}

function planBroken(rng: DemoRng): PlannedBroken[] {
  const b = (key: string, kind: PlannedBroken['kind'], expect: PlannedBroken['expect']): PlannedBroken => ({
    dataset: 'photos',
    key: `broken/${key}`,
    kind,
    expect,
    caption: caption(rng, 'photos'),
  });
  return [
    b('empty.jpg', 'zero-byte', 'corrupt'),
    b('cut-short.jpg', 'truncated-jpeg', 'corrupt'),
    b('cut-short.png', 'truncated-png', 'corrupt'),
    b('notes.webp', 'not-an-image', 'corrupt'),
    b('thumbnail.jpg', 'too-small', 'too_small'),
    // A valid BMP: libvips (and so sharp) has no BMP loader; tunefeed reads uncompressed BMP itself, so this one is
    // delivered. (`expect` is what an RLE-compressed BMP would get.)
    b('scanner-output.bmp', 'bmp', 'unsupported'),
  ];
}

/** Build the plan; the same seed and sizes always give the same plan. */
export function planDemo(seed: number, sizes: DemoSizes = DEFAULT_SIZES): DemoPlan {
  const rng = createRng(seed);
  const images: PlannedImage[] = [];
  for (let i = 0; i < sizes.photos; i++) images.push(planImage(rng, 'photos', i));
  for (let i = 0; i < sizes.art; i++) images.push(planImage(rng, 'art', i));
  return { seed, images, broken: planBroken(rng) };
}
