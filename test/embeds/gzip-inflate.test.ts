// Gzip-wrapped caches inflate into one exactly sized buffer, sync or on the threadpool, whatever the trailer claims.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { EmbedFormatError } from '../../lib/errors.js';
import { inflateGzip, inflateGzipAsync, isGzip } from '../../lib/embeds/gzip-inflate.js';
import { readLatents } from '../../lib/embeds/latents.js';
import { asFloat32 } from '../../lib/embeds/tensor.js';
import { readTorchFile } from '../../lib/embeds/torch-file.js';
import type { Tensor } from '../../lib/embeds/tensor.js';
import { LocalStorage } from '../../lib/storage/local.js';

const fixtures = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));
const COMPRESSED = readFileSync(`${fixtures}latent-compressed.pt`); // written by torch.save + gzip, as SimpleTuner does

/** 200 KiB of varied bytes: bigger than zlib's 16 KiB default chunk, so a chunked inflate would need a concat. */
const PLAIN = Buffer.from(Array.from({ length: 200 * 1024 }, (_, i) => (i * 2654435761) >>> 24));
const GZ = gzipSync(PLAIN);

function withTrailerSize(gz: Buffer, isize: number): Buffer {
  const out = Buffer.from(gz);
  out.writeUInt32LE(isize >>> 0, out.length - 4);
  return out;
}

t.test('a gzip file inflates into one buffer of its trailer size, sync and async', async (t) => {
  t.ok(isGzip(GZ) && !isGzip(PLAIN), 'the magic test tells gzip from plain bytes');
  for (const [name, out] of [
    ['sync', inflateGzip(GZ, 2 ** 30)],
    ['async', await inflateGzipAsync(GZ, 2 ** 30)],
  ] as const) {
    t.ok(Buffer.from(out).equals(PLAIN), `${name}: the bytes are the original ones`);
    t.ok(out.buffer.byteLength <= PLAIN.length + 1, `${name}: backed by one output chunk, not a concat of chunks`);
  }
});

t.test('a trailer that lies about the size is refused by the length check, even when it claims 4 GiB', async (t) => {
  for (const isize of [0xffffffff, 50 * 2 ** 20, 10, 0]) {
    const err = await inflateGzipAsync(withTrailerSize(GZ, isize), 2 ** 30).catch((e: unknown) => e);
    t.ok(err instanceof EmbedFormatError, `ISIZE ${isize}: EmbedFormatError`);
    t.match((err as Error).cause, { code: 'Z_DATA_ERROR' }, `ISIZE ${isize}: zlib's own check, kept as the cause`);
  }
});

t.test('a multi-member gzip (trailer states only the last member) inflates whole', async (t) => {
  const two = Buffer.concat([gzipSync(PLAIN), gzipSync(PLAIN.subarray(0, 100))]);
  const expected = Buffer.concat([PLAIN, PLAIN.subarray(0, 100)]);
  t.ok(Buffer.from(inflateGzip(two, 2 ** 30)).equals(expected), 'sync: both members');
  t.ok(Buffer.from(await inflateGzipAsync(two, 2 ** 30)).equals(expected), 'async: both members');
});

t.test('over the size limit or truncated: EmbedFormatError, sync and async', async (t) => {
  t.throws(() => inflateGzip(GZ, 1000), EmbedFormatError, 'sync over the limit');
  await t.rejects(inflateGzipAsync(GZ, 1000), EmbedFormatError, 'async over the limit');
  const truncated = GZ.subarray(0, GZ.length >> 1);
  t.throws(() => inflateGzip(truncated, 2 ** 30), /does not decompress/, 'sync truncated');
  await t.rejects(inflateGzipAsync(truncated, 2 ** 30), /does not decompress/, 'async truncated');
  await t.rejects(inflateGzipAsync(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 2 ** 30), EmbedFormatError, 'garbage');
});

t.test('readLatents inflates compress_cache files to the same tensor readTorchFile gives', async (t) => {
  const root = t.testdir({});
  writeFileSync(path.join(root, 'a.pt'), COMPRESSED);
  const storage = new LocalStorage({ id: 'vae-gz', root });
  const [got] = await readLatents(storage, ['a.pt']);
  const direct = readTorchFile(COMPRESSED) as Tensor;
  t.same(got.shape, direct.shape, 'same shape');
  t.same([...asFloat32(got)], [...asFloat32(direct)], 'same values');
  const err = await readLatents(storage, ['a.pt'], { maxDecompressedBytes: 64 }).catch((e: unknown) => e);
  t.ok(err instanceof EmbedFormatError, 'over the limit: EmbedFormatError');
  t.match((err as EmbedFormatError).message, /file=a\.pt/, 'naming the file');
  t.equal((err as EmbedFormatError).dataset, 'vae-gz', 'and the dataset');
});
