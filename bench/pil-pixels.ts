// bench/pil's pixel check: tunefeed's decoded samples vs PIL's pipeline on the same files (max and mean abs diff),
// with JPEG shrink-on-load on (the default) and off, and the decode rate of each setting on this thread.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeToTarget } from '../lib/image/decode.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** One image's work order (the same as bench/pil.ts's). */
export interface PixelJob {
  path: string;
  intermediary: [number, number];
  crop: [number, number];
  target: [number, number];
}

/** Differences from PIL, in levels of 0–255 per channel value, and the decode rate, per shrink-on-load setting. */
export interface PixelFigures {
  pixel_max_diff: number;
  pixel_mean_diff: number;
  pixel_worst_image_mean_diff: number;
  pixel_max_diff_no_shrink: number;
  pixel_mean_diff_no_shrink: number;
  decode_img_s_shrink: number;
  decode_img_s_no_shrink: number;
}

/** Decode every job in order with decodeToTarget; returns the concatenated pixels and images per second. */
async function decodeAll(jobs: PixelJob[], shrinkOnLoad: boolean): Promise<{ pixels: Buffer; imgS: number }> {
  const parts: Buffer[] = [];
  let ms = 0;
  for (const j of jobs) {
    const bytes = await readFile(j.path);
    const g = { intermediary_size: j.intermediary, target_size: j.target, crop_coordinates: j.crop };
    const t0 = performance.now();
    parts.push((await decodeToTarget(bytes, g, { shrinkOnLoad }, j.path)).data);
    ms += performance.now() - t0;
  }
  return { pixels: Buffer.concat(parts), imgS: (jobs.length * 1000) / ms };
}

interface Diff {
  max: number;
  mean: number;
  worst_image_mean: number;
}

/** Compare both settings with PIL (bench/pil-pixels.py); `python` must have PIL and numpy. */
export async function comparePixels(jobs: PixelJob[], python: string): Promise<PixelFigures> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-pil-px-'));
  try {
    const shrink = await decodeAll(jobs, true);
    const full = await decodeAll(jobs, false);
    const files = [path.join(dir, 'jobs.json'), path.join(dir, 'shrink.raw'), path.join(dir, 'full.raw')];
    await writeFile(files[0], JSON.stringify(jobs));
    await writeFile(files[1], shrink.pixels);
    await writeFile(files[2], full.pixels);
    const out = execFileSync(python, [path.join(here, 'pil-pixels.py'), ...files], { encoding: 'utf8' });
    const r = JSON.parse(out) as Record<string, Diff>;
    const [a, b] = [r[files[1]], r[files[2]]];
    return {
      pixel_max_diff: a.max,
      pixel_mean_diff: a.mean,
      pixel_worst_image_mean_diff: a.worst_image_mean,
      pixel_max_diff_no_shrink: b.max,
      pixel_mean_diff_no_shrink: b.mean,
      decode_img_s_shrink: shrink.imgS,
      decode_img_s_no_shrink: full.imgS,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
