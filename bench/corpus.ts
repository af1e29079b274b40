// Shared benchmark corpus: generated photo-like images plus real photographs from Debian's lomiri-wallpapers-16.04, cached.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage, synthRaw, type DemoFormat } from '../lib/demo/synth.js';

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
    return names.filter((n) => exts.test(n)).map((n) => path.join(dir, n)).sort();
  } catch {
    return [];
  }
}

/** Generated images, written once per spec (the folder name encodes the spec) and reused after. */
export async function generatedImages(spec: GeneratedSpec): Promise<string[]> {
  const edge = spec.edge ?? [768, 1600];
  const formats = spec.formats ?? ['jpeg', 'jpeg-progressive', 'webp', 'png'];
  const seed = spec.seed ?? 42;
  const id = createHash('sha1').update(JSON.stringify([spec.count, edge, formats, seed])).digest('hex').slice(0, 10);
  const dir = path.join(CORPUS_DIR, `generated-${spec.count}-${id}`);
  const done = path.join(dir, '.complete');
  if (await stat(done).then(() => true, () => false)) return listFiles(dir, /\.(jpg|png|webp|gif|tif)$/);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < spec.count; i++) {
    // Deterministic sizes and aspects from the index, so every run of a spec sees the same bytes.
    const long = edge[0] + ((i * 7919 + seed) % (edge[1] - edge[0] + 1));
    const aspect = [1, 4 / 3, 3 / 2, 16 / 9, 3 / 4, 2 / 3][i % 6]!;
    const w = aspect >= 1 ? long : Math.round(long * aspect);
    const h = aspect >= 1 ? Math.round(long / aspect) : long;
    const format = formats[i % formats.length]!;
    const bytes = await encodeImage(await synthRaw(seed + i, w, h), w, h, format);
    const ext = format.startsWith('jpeg') ? 'jpg' : format.startsWith('png') ? 'png' : format === 'tiff' ? 'tif' : format;
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
      execFileSync('apt-get', ['download', 'lomiri-wallpapers-16.04'], { cwd: debs, stdio: ['ignore', 'ignore', 'pipe'] });
      deb = (await readdir(debs)).find((n) => n.startsWith('lomiri-wallpapers-16.04') && n.endsWith('.deb'));
    }
    if (!deb) throw new Error('apt-get download produced no .deb');
    const tmp = `${dir}.${process.pid}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    execFileSync('dpkg-deb', ['-x', path.join(debs, deb), tmp]);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (err) {
    process.stderr.write(`bench/corpus: real photos unavailable (${(err as Error).message.split('\n')[0]}); continuing with generated images only\n`);
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

/** Benchmark scale from run-all (`TUNEFEED_BENCH_SCALE`): tiny for the smoke test, small by default, full on request. */
export function benchScale(): 'tiny' | 'small' | 'full' {
  const s = process.env.TUNEFEED_BENCH_SCALE;
  return s === 'tiny' || s === 'full' ? s : 'small';
}
