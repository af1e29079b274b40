// Where a cached latent's time goes: CPU µs per file of each stage of tunefeed's reader, on in-memory files.
// Each stage runs alone on the main thread over every file for 100 ms; the median of 3 runs of its CPU time
// (process.cpuUsage) is reported, so the split profiles the code apart from I/O and from other load on the machine.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readSafetensors } from '../lib/embeds/safetensors.js';
import { asFloat32 } from '../lib/embeds/tensor.js';
import { readTorchFile } from '../lib/embeds/torch-file.js';
import { openZip } from '../lib/embeds/zip-reader.js';
import { inflateGzip } from '../lib/embeds/gzip-inflate.js';
import { latentFrom } from '../lib/embeds/latents.js';
import type { LatentFormat } from './latents-files.js';
import { median } from './stats.js';

/** CPU µs per file of each stage; null where the format has no such stage. */
export interface StageProfile {
  /** zlib inflate of the gzip wrapper (gzip .pt only), as the reader does it (one exactly sized output buffer). */
  inflate: number | null;
  /** The zip central directory (.pt). */
  unzip: number | null;
  /** Entry lookups, the pickle VM and the tensor rebuild (.pt): readTorchFile on the archive minus `unzip`. */
  unpickle: number | null;
  /** Safetensors JSON header and views (.safetensors). */
  header: number | null;
  /** bf16 → float32 conversion of the latent. */
  toF32: number;
  /** One memcpy of the whole file, for scale: what a copy of the payload would add. */
  copy: number;
}

/** CPU µs per call (process.cpuUsage, so other load on the machine does not inflate it), median of 3 runs. */
function usPerFile(files: readonly Uint8Array[], fn: (b: Uint8Array) => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    do {
      for (const b of files) fn(b);
      n += files.length;
    } while (performance.now() - t0 < 100);
    const c = process.cpuUsage(c0);
    runs.push((c.user + c.system) / n);
  }
  return median(runs);
}

const gunzip = (b: Uint8Array): Uint8Array => inflateGzip(b, 2 ** 30);

/** Profile the stages over (up to) the first 64 files of `dir`. */
export async function profileStages(dir: string, keys: readonly string[], format: LatentFormat): Promise<StageProfile> {
  const files = await Promise.all(keys.slice(0, 64).map((k) => readFile(path.join(dir, k))));
  const gz = format === 'pt-gzip';
  const st = format === 'safetensors';
  const archives = gz ? files.map(gunzip) : files;
  const unzip = st ? null : usPerFile(archives, (b) => openZip(b));
  const parse = st ? null : usPerFile(archives, (b) => readTorchFile(b));
  const latents = files.map((b) => latentFrom(st ? readSafetensors(b) : readTorchFile(b)));
  let i = 0;
  return {
    inflate: gz ? usPerFile(files, gunzip) : null,
    unzip,
    unpickle: parse === null || unzip === null ? null : Math.max(0, parse - unzip),
    header: st ? usPerFile(files, (b) => readSafetensors(b)) : null,
    toF32: usPerFile(files, () => asFloat32(latents[i++ % latents.length])),
    copy: usPerFile(files, (b) => new Uint8Array(b)),
  };
}

/** The profile as a sentence for RESULTS.md's bottleneck notes: CPU per file in pipeline order, then the largest. */
export function describeProfile(p: StageProfile, readCpuUs: number): string {
  const stages: [string, number | null][] = [
    ['raw read loop (all threads)', readCpuUs],
    ['inflate', p.inflate],
    ['zip directory', p.unzip],
    ['unpickle + rebuild', p.unpickle],
    ['safetensors header', p.header],
  ];
  const shown = stages.filter((s): s is [string, number] => s[1] !== null);
  const top = shown.reduce((a, b) => (b[1] > a[1] ? b : a));
  const fmt = (us: number): string => (us >= 100 ? us.toFixed(0) : us.toPrecision(2));
  return (
    `CPU µs per file: ${shown.map(([n, us]) => `${n} ${fmt(us)}`).join(', ')}; ` +
    `largest: ${top[0]}. Not in the reader: bf16→f32 ${fmt(p.toF32)}, one copy of the file ${fmt(p.copy)}.`
  );
}
