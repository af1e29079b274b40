// Shared benchmark corpus: generated photo-like images plus real photographs from Debian's lomiri-wallpapers-16.04,
// cached.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../lib/config/load-config.js';
import type { ImageDatasetConfig, LoadedConfig } from '../lib/config/types.js';
import { encodeImage, synthRaw, type DemoFormat } from '../lib/demo/synth.js';
import { vaeCacheKey } from '../lib/embeds/cache-keys.js';
import type { DatasetIndex, SampleMetadata } from '../lib/metadata/types.js';
import { LocalStorage } from '../lib/storage/local.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Cache root (gitignored). */
export const CORPUS_DIR = process.env.TUNEFEED_CORPUS_DIR ?? path.join(here, '.corpus');

/** Options for the generated part of the corpus. */
export interface GeneratedSpec {
  count: number;
  /** Long edge range in px. @default [768, 1600] */
  edge?: [number, number];
  /** Formats cycled through. @default ['jpeg', 'jpeg-progressive', 'webp', 'png'] */
  formats?: DemoFormat[];
  /** @default 42 */
  seed?: number;
}

async function listFiles(dir: string, exts: RegExp): Promise<string[]> {
  try {
    const names = await readdir(dir, { recursive: true });
    return names
      .filter((n) => exts.test(n))
      .map((n) => path.join(dir, n))
      .sort();
  } catch {
    return [];
  }
}

/** Generated images, written once per spec (the folder name encodes the spec) and reused after. */
export async function generatedImages(spec: GeneratedSpec): Promise<string[]> {
  const edge = spec.edge ?? [768, 1600];
  const formats = spec.formats ?? ['jpeg', 'jpeg-progressive', 'webp', 'png'];
  const seed = spec.seed ?? 42;
  const id = createHash('sha1')
    .update(JSON.stringify([spec.count, edge, formats, seed]))
    .digest('hex')
    .slice(0, 10);
  const dir = path.join(CORPUS_DIR, `generated-${spec.count}-${id}`);
  const done = path.join(dir, '.complete');
  if (
    await stat(done).then(
      () => true,
      () => false,
    )
  )
    return listFiles(dir, /\.(jpg|png|webp|gif|tif)$/);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < spec.count; i++) {
    // Deterministic sizes and aspects from the index, so every run of a spec sees the same bytes.
    const long = edge[0] + ((i * 7919 + seed) % (edge[1] - edge[0] + 1));
    const aspect = [1, 4 / 3, 3 / 2, 16 / 9, 3 / 4, 2 / 3][i % 6];
    const w = aspect >= 1 ? long : Math.round(long * aspect);
    const h = aspect >= 1 ? Math.round(long / aspect) : long;
    const format = formats[i % formats.length];
    const bytes = await encodeImage(await synthRaw(seed + i, w, h), w, h, format);
    const ext = format.startsWith('jpeg')
      ? 'jpg'
      : format.startsWith('png')
        ? 'png'
        : format === 'tiff'
          ? 'tif'
          : format;
    const file = path.join(dir, `gen-${String(i).padStart(5, '0')}.${ext}`);
    await writeFile(file, bytes);
    files.push(file);
  }
  await writeFile(done, new Date().toISOString());
  return files;
}

/**
 * The 15 real photographs of lomiri-wallpapers-16.04 (mostly progressive JPEGs, 1.4–16 MP, CC licences), fetched with
 * `apt-get download` and unpacked with `dpkg-deb -x`. Returns [] (with a note on stderr) when apt cannot fetch it.
 */
export async function lomiriPhotos(): Promise<string[]> {
  const dir = path.join(CORPUS_DIR, 'lomiri');
  const cached = await listFiles(dir, /\.jpe?g$/i);
  if (cached.length > 0) return cached;
  const debs = path.join(CORPUS_DIR, 'debs');
  await mkdir(debs, { recursive: true });
  try {
    let deb = (await readdir(debs)).find((n) => n.startsWith('lomiri-wallpapers-16.04') && n.endsWith('.deb'));
    if (!deb) {
      execFileSync('apt-get', ['download', 'lomiri-wallpapers-16.04'], {
        cwd: debs,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      deb = (await readdir(debs)).find((n) => n.startsWith('lomiri-wallpapers-16.04') && n.endsWith('.deb'));
    }
    if (!deb) throw new Error('apt-get download produced no .deb');
    const tmp = `${dir}.${process.pid}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    execFileSync('dpkg-deb', ['-x', path.join(debs, deb), tmp]);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (err) {
    process.stderr.write(
      `bench/corpus: real photos unavailable (${(err as Error).message.split('\n')[0]}); ` +
        'continuing with generated images only\n',
    );
    return [];
  }
  return listFiles(dir, /\.jpe?g$/i);
}

/** A checksum of a set of numbers (sizes, byte counts) so two pipelines can prove they produced the same outputs. */
export function checksumOf(values: Iterable<number | string>): string {
  const h = createHash('sha1');
  for (const v of values) h.update(`${v};`);
  return h.digest('hex').slice(0, 12);
}

/**
 * Benchmark scale from run-all (`TUNEFEED_BENCH_SCALE`): tiny for the smoke test, small by default, full on request.
 */
export function benchScale(): 'tiny' | 'small' | 'full' {
  const s = process.env.TUNEFEED_BENCH_SCALE;
  return s === 'tiny' || s === 'full' ? s : 'small';
}

/** A dataset whose samples all have cached VAE latents, for streaming benchmarks that must not be bound by decode. */
export interface LatentDataset {
  id: string;
  /** instance_data_dir (holds no images: with a complete VAE cache the loader never opens them). */
  root: string;
  /** cache_dir_vae with one `.pt` per sample, named as SimpleTuner names them. */
  vaeDir: string;
  /** Sample keys, sorted: `img-0000000.png`... */
  keys: string[];
  /** Bytes of each latent file. */
  latentBytes: number;
}

const LATENT_TEMPLATE = path.join(here, '..', 'test', 'fixtures', 'embeds', 'latent-f16.pt');

/**
 * `count` samples sharing one small real torch latent (float16 [4, 6, 5], written by torch 1.13): every file is a
 * valid .pt, so the loader does the full read + unpickle work per sample; sizes are tiny on purpose (memory, not I/O).
 */
export async function latentDataset(id: string, count: number): Promise<LatentDataset> {
  const dir = path.join(CORPUS_DIR, `latents-${id}-${count}`);
  const root = path.join(dir, 'images');
  const vaeDir = path.join(dir, 'vae');
  const keys = Array.from({ length: count }, (_, i) => `img-${String(i).padStart(7, '0')}.png`);
  const template = await readFile(LATENT_TEMPLATE);
  const result = { id, root, vaeDir, keys, latentBytes: template.length };
  if (
    await stat(path.join(dir, '.complete')).then(
      () => true,
      () => false,
    )
  )
    return result;
  await rm(dir, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await mkdir(vaeDir, { recursive: true });
  for (let i = 0; i < keys.length; i += 256) {
    await Promise.all(keys.slice(i, i + 256).map((k) => writeFile(path.join(vaeDir, vaeCacheKey('', k)), template)));
  }
  await writeFile(path.join(dir, '.complete'), new Date().toISOString());
  return result;
}

/** One dataset of the fixture: its id, sample count, sampling weight and repeats. */
export interface FixtureSpec {
  id: string;
  count: number;
  probability: number;
  repeats: number;
}

/** What createLoader needs, plus the tables a checker needs to predict the order. */
export interface StreamFixture {
  loaded: LoadedConfig;
  inputs: { config: ImageDatasetConfig; storage: LocalStorage; index: DatasetIndex }[];
  latents: LatentDataset[];
}

const META: SampleMetadata = {
  original_size: [256, 256],
  crop_coordinates: [0, 0],
  target_size: [256, 256],
  intermediary_size: [256, 256],
  aspect_ratio: 1.0,
};

/** All samples in one square bucket, metadata shared: the index costs what its keys cost, as a real one would. */
function syntheticIndex(l: LatentDataset): DatasetIndex {
  const metadata: Record<string, SampleMetadata> = {};
  for (const k of l.keys) metadata[k] = { ...META };
  return {
    id: l.id,
    buckets: { '1.0': [...l.keys] },
    metadata,
    stats: { total_processed: l.keys.length, skipped: {} },
  };
}

/**
 * Build (or reuse) the latent datasets, write their multidatabackend.json and load it through the real config stage.
 */
export async function streamFixture(specs: FixtureSpec[], batchSize: number, seed: number): Promise<StreamFixture> {
  const latents = await Promise.all(specs.map((s) => latentDataset(s.id, s.count)));
  const config = [
    ...specs.map((s, i) => ({
      id: s.id,
      type: 'local',
      instance_data_dir: latents[i].root,
      cache_dir_vae: latents[i].vaeDir,
      caption_strategy: 'filename',
      resolution: 256,
      resolution_type: 'pixel',
      crop: false,
      probability: s.probability,
      repeats: s.repeats,
      train_batch_size: batchSize,
    })),
    {
      id: 'bench-text',
      type: 'local',
      dataset_type: 'text_embeds',
      default: true,
      cache_dir: path.join(CORPUS_DIR, 'text-cache'),
    },
  ];
  const file = path.join(CORPUS_DIR, `stream-${specs.map((s) => `${s.id}-${s.count}`).join('_')}.json`);
  await writeFile(file, JSON.stringify(config, null, 2));
  const loaded = await loadConfig(file, {
    args: { seed, train_batch_size: batchSize, output_dir: path.join(CORPUS_DIR, 'output'), model_family: 'sdxl' },
  });
  const inputs = specs.map((s, i) => ({
    config: loaded.datasets.find((d) => d.id === s.id) as ImageDatasetConfig,
    storage: new LocalStorage({ id: s.id, root: latents[i].root }),
    index: syntheticIndex(latents[i]),
  }));
  return { loaded, inputs, latents };
}
