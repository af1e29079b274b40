// The trainer's path from S3: one steady-state epoch of the real `tunefeed stream --format binary` process on a fully
// cached dataset (every sample a latent + text embeds) vs a raw loop GETting the same files with the SDK, bytes only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { textEmbedCacheKey, vaeCacheKey } from '../lib/embeds/cache-keys.js';
import { benchScale } from './corpus.js';
import type { BenchLine } from './results.js';
import { startMemS3Server, type MemS3Server } from '../test/helpers/mem-s3-server.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const COUNT = { tiny: 32, small: 256, full: 1024 } as const;
const ROUNDS = 3;
const EPOCHS = 3;
const BATCH = 8;
const RAW_IN_FLIGHT = 16;
const LATENCY_MS = 20;
/** SDXL at 1024 px: a bf16 [4, 128, 128] latent (128 KiB) and fp16 prompt embeds [1, 77, 2048] + pooled [1, 1280]. */
const WRITER = `
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, sys.argv[1])
import numpy as np
from pt_format import Tensor, save
rng = np.random.default_rng(5)
bits = lambda a: (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
open(sys.argv[2], "wb").write(save(Tensor("bfloat16", bits(rng.standard_normal((4, 128, 128))))))
open(sys.argv[3], "wb").write(save({"prompt_embeds": Tensor("float16", rng.standard_normal((1, 77, 2048))),
                                    "pooled_prompt_embeds": Tensor("float16", rng.standard_normal((1, 1280)))}))
`;

interface Files {
  latent: string;
  text: string;
  image: string;
}

async function writeFiles(tmp: string): Promise<Files> {
  const f = { latent: path.join(tmp, 'latent.pt'), text: path.join(tmp, 'text.pt'), image: path.join(tmp, 'a.jpg') };
  const r = spawnSync('/usr/bin/python3', ['-c', WRITER, path.join(ROOT, 'test/helpers'), f.latent, f.text]);
  if (r.status !== 0) throw new Error(`bench/trainer-s3: cache writer failed: ${r.stderr.toString().slice(-300)}`);
  const img = sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 90, g: 40, b: 20 } } });
  await writeFile(f.image, await img.jpeg().toBuffer());
  return f;
}

/** Images under photos/, their captions by filename, a latent and a text-embed file for each: [key, file] pairs. */
function layout(n: number, f: Files): { entries: [string, string][]; cacheKeys: string[] } {
  const entries: [string, string][] = [];
  const cacheKeys: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `photo_${String(i).padStart(6, '0')}.jpg`;
    const latent = `cache/vae/sdxl/photos/${vaeCacheKey('photos/', `photos/${name}`)}`; // SimpleTuner's S3 naming
    const text = `cache/text/sdxl/${textEmbedCacheKey(`photo ${String(i).padStart(6, '0')}`, 'sdxl')}`;
    entries.push([`photos/${name}`, f.image], [latent, f.latent], [text, f.text]);
    cacheKeys.push(latent, text);
  }
  return { entries, cacheKeys };
}

function config(srv: MemS3Server, endpoint: string): unknown[] {
  const aws = {
    type: 'aws',
    aws_bucket_name: srv.bucket,
    aws_endpoint_url: endpoint,
    aws_access_key_id: srv.accessKeyId,
    aws_secret_access_key: srv.secretAccessKey,
  };
  return [
    {
      ...aws,
      id: 'photos',
      aws_data_prefix: 'photos/',
      caption_strategy: 'filename',
      cache_dir_vae: 'cache/vae/{model_family}/{id}',
      resolution: 64,
      resolution_type: 'pixel',
      train_batch_size: BATCH,
    },
    { ...aws, id: 'text', dataset_type: 'text_embeds', default: true, aws_data_prefix: 'cache/text/{model_family}' },
  ];
}

/** Counts frames, latents and text-embed tensors in a binary stream without holding its payloads. */
class FrameCounter {
  frames = 0;
  latents = 0;
  pixels = 0;
  embeds = 0;
  arrayBytes = 0;
  /** performance.now() when each epoch's first frame header arrived. */
  readonly epochFirst = new Map<number, number>();
  #head = Buffer.alloc(0);
  #skip = 0;

  push(chunk: Buffer): void {
    let c = chunk;
    while (c.length) {
      if (this.#skip) {
        const n = Math.min(this.#skip, c.length);
        this.#skip -= n;
        c = c.subarray(n);
        continue;
      }
      this.#head = Buffer.concat([this.#head, c]);
      if (this.#head.length < 16) return;
      const h = this.#head.readUInt32LE(4);
      if (this.#head.length < 16 + h) return;
      this.#count(JSON.parse(this.#head.subarray(16, 16 + h).toString()) as Header);
      this.#skip = Number(this.#head.readBigUInt64LE(8));
      c = this.#head.subarray(16 + h);
      this.#head = Buffer.alloc(0);
    }
  }

  #count(header: Header): void {
    this.frames++;
    if (!this.epochFirst.has(header.epoch)) this.epochFirst.set(header.epoch, performance.now());
    for (const a of header.arrays) {
      this.arrayBytes += a.nbytes;
      if (a.name === 'latents') this.latents++;
      else if (a.name === 'pixels') this.pixels++;
      else if (a.name === 'text_embeds') this.embeds++;
    }
  }
}

interface Header {
  epoch: number;
  arrays: { name: string; nbytes: number }[];
}

interface CliRun {
  startup: number;
  /** From epoch 2's first frame to epoch 3's: one epoch in steady state (prefetch full, startup behind it). */
  epoch: number;
  counted: FrameCounter;
}

/** One `tunefeed stream` child over 3 epochs: seconds to its first frame, the middle epoch, what it wrote. */
function cliRound(cfg: string): Promise<CliRun> {
  const args = ['stream', cfg, '--format', 'binary', '--epochs', String(EPOCHS), '--set', 'model_family=sdxl'];
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib/cli/main.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'error' },
  });
  const counted = new FrameCounter();
  let err = '';
  child.stdout.on('data', (d: Buffer) => counted.push(d));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`tunefeed stream exited ${code}: ${err}`));
      const at = (e: number): number => counted.epochFirst.get(e) ?? NaN;
      resolve({ startup: (at(1) - t0) / 1000, epoch: (at(3) - at(2)) / 1000, counted });
    });
  });
}

/** The baseline: GET every cache file once, RAW_IN_FLIGHT at a time, bytes only. */
async function rawRound(srv: MemS3Server, keys: string[]): Promise<{ seconds: number; bytes: number }> {
  const t0 = performance.now();
  let next = 0;
  let bytes = 0;
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      const r = await srv.client.send(new GetObjectCommand({ Bucket: srv.bucket, Key: keys[next++] }));
      bytes += (await r.Body!.transformToByteArray()).byteLength;
    }
  };
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, lane));
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r2 = (x: number): number => Math.round(x * 100) / 100;

function line(n: number, cli: CliRun[], raw: { seconds: number; bytes: number }[]): BenchLine {
  const epoch = median(cli.map((c) => c.epoch));
  const rawS = median(raw.map((r) => r.seconds));
  const c = cli[0].counted;
  const ratios = cli.map((x, i) => raw[i].seconds / x.epoch);
  return {
    bench: 'trainer-s3',
    case: `${n} cached samples (bf16 latent 128 KiB + fp16 text embeds 311 KiB), batch ${BATCH}, ${LATENCY_MS} ms/GET`,
    figures: {
      epoch_s: r2(epoch),
      raw_get_s: r2(rawS),
      startup_s: r2(median(cli.map((x) => x.startup))),
      tunefeed_samples_s: r2(n / epoch),
      raw_samples_s: r2(n / rawS),
    },
    ratios: { vs_raw_get: r2(median(ratios)) },
    spread: { vs_raw_get: [r2(Math.min(...ratios)), r2(Math.max(...ratios))] },
    checksum: { latents: c.latents, pixels: c.pixels, text_embed_tensors: c.embeds, frames: c.frames },
    params: { samples: n, epochs: EPOCHS, rounds: ROUNDS, raw_in_flight: RAW_IN_FLIGHT, latency_ms: LATENCY_MS },
    caveat:
      `${ROUNDS} alternating rounds, the ratio the median of the per-round ratios, figures medians; tunefeed = ` +
      `the real CLI child streaming ${EPOCHS} epochs, timed from epoch 2's first frame to epoch 3's (steady state; ` +
      'startup_s, which lists, scans image headers and the VAE cache, is apart), its stdout parsed by frame headers ' +
      'in this process; raw = the SDK GETting each latent and text-embed file once, ' +
      `${RAW_IN_FLIGHT} in flight, no parsing; the in-memory S3 server runs in its own process on the same cores`,
  };
}

async function main(): Promise<void> {
  const n = COUNT[benchScale()];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tf-bench-trainer-'));
  const srv = await startMemS3Server(null, { child: true, latencyMs: LATENCY_MS });
  try {
    const { entries, cacheKeys } = layout(n, await writeFiles(tmp));
    await srv.load(entries);
    const cfg = path.join(tmp, 'mdb.json');
    await writeFile(cfg, JSON.stringify(config(srv, srv.endpoint)));
    process.stderr.write(`bench/trainer-s3: ${n} samples, ${ROUNDS} rounds\n`);
    const cli: CliRun[] = [];
    const raw: { seconds: number; bytes: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      cli.push(await cliRound(cfg));
      const got = cli[r].counted;
      if (got.latents !== EPOCHS * n || got.embeds !== 2 * EPOCHS * n)
        throw new Error(`bench/trainer-s3: ${got.latents} latents, ${got.embeds} embed tensors for ${n} samples`);
      raw.push(await rawRound(srv, cacheKeys));
    }
    console.log(JSON.stringify(line(n, cli, raw)));
  } finally {
    await srv.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
