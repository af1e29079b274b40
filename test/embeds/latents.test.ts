// readLatents and isVaeCacheComplete over a real VAE-cache directory laid out with SimpleTuner's names.
import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbedFormatError, NotFoundError } from '../../lib/errors.js';
import { vaeCacheKey } from '../../lib/embeds/cache-keys.js';
import { isVaeCacheComplete, readEmbedFile, readLatents } from '../../lib/embeds/latents.js';
import { asFloat32, type Tensor } from '../../lib/embeds/tensor.js';
import { readTorchFile } from '../../lib/embeds/torch-file.js';
import { LocalStorage } from '../../lib/storage/local.js';
import type { StorageBackend } from '../../lib/storage/types.js';

const fixtures = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));
const samples = ['a.png', 'sub/b.jpg', 'sub/deeper/c.webp', 'd.png'];
const sources = ['latent-f32.pt', 'latent-bf16.pt', 'latent-compressed.pt', 'latent-dict.pt'];

function layCache(root: string, keys: string[]): void {
  keys.forEach((k, i) => {
    const file = path.join(root, vaeCacheKey('', k));
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(fixtures + sources[i % sources.length], file);
  });
}

t.test('latents come back in key order, dict caches unwrapped', async (t) => {
  const root = t.testdir({});
  layCache(root, samples);
  const storage = new LocalStorage({ id: 'vae-ds', root });
  const got = await readLatents(
    storage,
    samples.map((s) => vaeCacheKey('', s)),
    { concurrency: 2 },
  );
  const direct = readTorchFile(readFileSync(`${fixtures}latent-f32.pt`)) as Tensor;
  t.same([...asFloat32(got[0])], [...asFloat32(direct)], 'first file is the f32 latent');
  t.equal(got[1].dtype, 'bfloat16');
  t.same([...asFloat32(got[2])], [...asFloat32(got[1])], 'gzip-compressed cache equals the plain one');
  t.same(got[3].shape, [2, 6, 5], 'dict cache yields its latents entry');
});

t.test('concurrency is bounded', async (t) => {
  const root = t.testdir({});
  const many = Array.from({ length: 24 }, (_, i) => `s/${i}.png`);
  layCache(root, many);
  const local = new LocalStorage({ id: 'vae-ds', root });
  let inFlight = 0;
  let peak = 0;
  const counting: StorageBackend = Object.assign(Object.create(local) as StorageBackend, {
    read: async (key: string) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await local.read(key);
      } finally {
        inFlight--;
      }
    },
  });
  const got = await readLatents(
    counting,
    many.map((s) => vaeCacheKey('', s)),
    { concurrency: 3 },
  );
  t.equal(got.length, 24);
  t.equal(peak, 3, 'never more than 3 reads in flight');
});

t.test('bad and missing files are coded errors naming the dataset and file', async (t) => {
  const root = t.testdir({});
  layCache(root, ['ok.png']);
  const bad = vaeCacheKey('', 'bad.png');
  writeFileSync(path.join(root, bad), Buffer.from('PK\x03\x04not really a zip'));
  const storage = new LocalStorage({ id: 'vae-ds', root });
  const err = await readLatents(storage, [vaeCacheKey('', 'ok.png'), bad]).catch((e: unknown) => e);
  t.ok(err instanceof EmbedFormatError);
  t.match((err as EmbedFormatError).message, `file=${bad}`);
  t.equal((err as EmbedFormatError).dataset, 'vae-ds');
  const missing = await readLatents(storage, [vaeCacheKey('', 'nope.png')]).catch((e: unknown) => e);
  t.ok(missing instanceof NotFoundError, 'storage errors keep their own class');
  const evil = vaeCacheKey('', 'evil.png');
  copyFileSync(`${fixtures}malicious-system.pt`, path.join(root, evil));
  await t.rejects(readLatents(storage, [evil]), EmbedFormatError);
  await t.rejects(readLatents(storage, [vaeCacheKey('', 'ok.png')], { signal: AbortSignal.abort() }), {
    name: 'AbortError',
  });
});

t.test('isVaeCacheComplete lists once and reports what is missing', async (t) => {
  const root = t.testdir({});
  layCache(root, samples.slice(0, 3));
  const storage = new LocalStorage({ id: 'vae-ds', root });
  const partial = await isVaeCacheComplete(storage, '', samples);
  t.equal(partial.complete, false);
  t.same(partial.missing, ['d.png']);
  t.equal(partial.present, 3);
  t.equal(partial.cacheKeys.get('sub/b.jpg'), vaeCacheKey('', 'sub/b.jpg'));
  layCache(root, samples);
  const full = await isVaeCacheComplete(
    storage,
    '/data/ds',
    samples.map((s) => `/data/ds/${s}`),
  );
  t.equal(full.complete, true, 'absolute paths with instance_data_dir find the same files');
  t.equal(full.expected, 4);
});

t.test('a cache under a prefix (shared S3 bucket layout)', async (t) => {
  const root = t.testdir({});
  layCache(path.join(root, 'cache/vae'), samples);
  const storage = new LocalStorage({ id: 'bucket', root });
  const status = await isVaeCacheComplete(storage, '', samples, { prefix: 'cache/vae/' });
  t.equal(status.complete, true);
  const got = await readLatents(storage, [...status.cacheKeys.values()]);
  t.equal(got.length, 4);
});

/** A one-tensor safetensors file whose JSON header is padded with spaces to exactly `headerLen` bytes. */
function safetensorsWithHeader(headerLen: number, values: number[]): Buffer {
  const data = Buffer.from(new Float32Array(values).buffer);
  const spec = { latents: { dtype: 'F32', shape: [values.length], data_offsets: [0, data.length] } };
  const json = JSON.stringify(spec);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerLen));
  return Buffer.concat([len, Buffer.from(json.padEnd(headerLen, ' ')), data]);
}

t.test('safetensors whose header length starts like a torch magic byte are read as safetensors', async (t) => {
  // 128 = 0x80 (pickle PROTO), 0x4b50 = "PK" (zip), 0x8b1f = gzip's magic: a one-byte magic test misroutes all three.
  for (const headerLen of [128, 0x4b50, 0x8b1f]) {
    const buf = safetensorsWithHeader(headerLen, [1.5, -2, 3.25]);
    const value = readEmbedFile(buf) as Record<string, Tensor>;
    t.same([...asFloat32(value.latents)], [1.5, -2, 3.25], `header of ${headerLen} bytes: the latents tensor`);
  }
  const root = t.testdir({});
  writeFileSync(path.join(root, 'x.safetensors'), safetensorsWithHeader(128, [4, 5]));
  const [latent] = await readLatents(new LocalStorage({ id: 'vae-ds', root }), ['x.safetensors']);
  t.same([...asFloat32(latent)], [4, 5], 'readLatents takes the same route');
});
