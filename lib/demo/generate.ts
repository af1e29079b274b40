// Writes the demo dataset (images, captions, planted broken files, config) once; later runs find the marker and skip.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../errors.js';
import { demoConfig, demoLayout, type DemoLayout } from './demo-config.js';
import {
  DEFAULT_SIZES,
  planDemo,
  type DemoPlan,
  type DemoSizes,
  type PlannedBroken,
  type PlannedImage,
} from './plan.js';
import { encodeImage, synthRaw } from './synth.js';

/** Options for generateDemo. */
export interface GenerateOptions {
  /** Folder to write into. @default './tunefeed-demo' */
  dir?: string;
  /** Seed of every random choice. @default 1234 */
  seed?: number;
  /** Images per dataset. @default { photos: 200, art: 100 } */
  sizes?: DemoSizes;
  /** Regenerate even when the marker says the folder is current. @default false */
  force?: boolean;
  /** Images encoded at once (sharp runs them on the libuv pool). @default 4 */
  concurrency?: number;
  /** Called after each file written. */
  onFile?: (done: number, total: number) => void;
}

/** What generateDemo did. */
export interface GenerateResult {
  layout: DemoLayout;
  plan: DemoPlan;
  /** False when an existing folder was reused. */
  created: boolean;
  /** Total bytes of media written (0 when reused). */
  bytes: number;
  ms: number;
}

const MARKER_VERSION = 1;

interface Marker {
  version: number;
  seed: number;
  sizes: DemoSizes;
  images: number;
  broken: number;
}

async function readMarker(file: string): Promise<Marker | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Marker;
  } catch {
    return null;
  }
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

async function writeImage(layout: DemoLayout, img: PlannedImage): Promise<number> {
  const raw = await synthRaw(img.seed, img.width, img.height);
  const bytes = await encodeImage(raw, img.width, img.height, img.format);
  const file = path.join(layout.datasetDir(img.dataset), img.key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  await writeFile(file.replace(/\.[^.]+$/, '.txt'), img.caption);
  return bytes.length;
}

async function brokenBytes(b: PlannedBroken, seed: number): Promise<Buffer> {
  switch (b.kind) {
    case 'zero-byte':
      return Buffer.alloc(0);
    case 'not-an-image':
      return Buffer.from('These are meeting notes, saved with the wrong extension.\n'.repeat(20));
    case 'too-small':
      return encodeImage(await synthRaw(seed, 96, 72), 96, 72, 'jpeg');
    case 'bmp':
      return encodeImage(await synthRaw(seed, 320, 240), 320, 240, 'bmp');
    default: {
      // Keep the header (so a header scan may accept it) and cut the pixel data: the decode must catch it.
      const fmt = b.kind === 'truncated-png' ? 'png' : 'jpeg';
      const whole = await encodeImage(await synthRaw(seed, 400, 300), 400, 300, fmt);
      return whole.subarray(0, Math.floor(whole.length * 0.45));
    }
  }
}

async function writeBroken(layout: DemoLayout, b: PlannedBroken, seed: number): Promise<number> {
  const bytes = await brokenBytes(b, seed);
  const file = path.join(layout.datasetDir(b.dataset), b.key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  await writeFile(file.replace(/\.[^.]+$/, '.txt'), b.caption);
  return bytes.length;
}

/** Run `tasks` with at most `limit` in flight. */
async function runLimited(tasks: (() => Promise<number>)[], limit: number, onDone: () => void): Promise<number> {
  let next = 0;
  let total = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      total += await task();
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
  return total;
}

/** Create (or reuse) the demo folder and return its layout and plan. */
export async function generateDemo(options: GenerateOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const layout = demoLayout(options.dir ?? './tunefeed-demo');
  const seed = options.seed ?? 1234;
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const plan = planDemo(seed, sizes);
  // The config holds absolute paths, so it is rewritten every run (cheap) in case the folder moved.
  const writeConfig = (): Promise<void> =>
    writeAtomic(layout.configPath, `${JSON.stringify(demoConfig(layout), null, 2)}\n`);
  const marker = await readMarker(layout.markerPath);
  const current =
    marker?.version === MARKER_VERSION &&
    marker.seed === seed &&
    marker.sizes.photos === sizes.photos &&
    marker.sizes.art === sizes.art;
  try {
    if (current && !options.force) {
      await writeConfig();
      return { layout, plan, created: false, bytes: 0, ms: performance.now() - started };
    }
    if (marker) await rm(path.join(layout.root, 'datasets'), { recursive: true, force: true });
    const tasks = [
      ...plan.images.map((img) => () => writeImage(layout, img)),
      ...plan.broken.map((b, i) => () => writeBroken(layout, b, seed + i)),
    ];
    let done = 0;
    const bytes = await runLimited(tasks, options.concurrency ?? 4, () => options.onFile?.(++done, tasks.length));
    await writeConfig();
    const m: Marker = { version: MARKER_VERSION, seed, sizes, images: plan.images.length, broken: plan.broken.length };
    await writeAtomic(layout.markerPath, `${JSON.stringify(m, null, 2)}\n`);
    return { layout, plan, created: true, bytes, ms: performance.now() - started };
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError(`Could not write the demo dataset in ${layout.root}: ${(err as Error).message}`, {
      file: layout.root,
      cause: err,
    });
  }
}
