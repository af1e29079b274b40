// Every batch carries each sample's cached text embeds (all tensors of SimpleTuner's cache file, found by its md5
// name), from a local text cache and from s3rver, in-process and through the prefetch thread; a missing file is
// marked on the sample, and requireEmbeds turns it into TextEmbedMissingError naming the caption.
import t, { type Test } from 'tap';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { textEmbedCacheKey } from '../../lib/embeds/cache-keys.js';
import { asFloat32 } from '../../lib/embeds/tensor.js';
import { TextEmbedMissingError } from '../../lib/errors.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import type { Batch, LoaderDatasetInput } from '../../lib/pipeline/types.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { S3Storage } from '../../lib/storage/s3.js';
import type { StorageBackend } from '../../lib/storage/types.js';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/embeds/text-embeds.pt', import.meta.url));
const EXPECTED = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/embeds/expected.json', import.meta.url)), 'utf8'),
) as { files: Record<string, { dict: Record<string, { dtype: string; shape: number[]; values: number[] }> }> };
const WANT = EXPECTED.files['text-embeds.pt'].dict;
const MISSING = new Set(['1_0_0.jpg', '1_5_1.jpg']);
const captionOf = (key: string): string => `a photo, ${key}`;

/** 9 images (buckets 1.0 and 1.5) with captions `a photo, <key>`; embeds for all but MISSING under `family`. */
async function dataset(text: StorageBackend, family: string, lay: (key: string) => Promise<void>) {
  const ds = await makeDataset('te', [5, 4]);
  for (const key of Object.values(ds.index.buckets).flat())
    if (!MISSING.has(key)) await lay(textEmbedCacheKey(captionOf(key), family));
  const input: LoaderDatasetInput = {
    ...ds,
    captions: (key) => Promise.resolve(captionOf(key)),
    textEmbeds: { storage: text, modelFamily: family },
  };
  return input;
}

async function collect(input: LoaderDatasetInput, thread: boolean): Promise<Batch[]> {
  const loader = await createLoader('unused', { datasets: [input], epochs: 1, seed: 5, thread });
  const out: Batch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

function checkBatches(t: Test, batches: Batch[], family: string): void {
  const samples = batches.flatMap((b) => b.samples);
  t.equal(samples.length, 10, 'one epoch: 9 samples, one short batch filled from its bucket');
  for (const s of samples) {
    const file = textEmbedCacheKey(s.caption, family);
    if (MISSING.has(s.key)) {
      t.equal(s.textEmbedMissing, file, `${s.key}: missing file named (${file})`);
      t.equal(s.textEmbeds, undefined, `${s.key}: no embeds`);
      continue;
    }
    t.same(Object.keys(s.textEmbeds ?? {}).sort(), ['attention_masks', 'pooled_prompt_embeds', 'prompt_embeds']);
    for (const [name, want] of Object.entries(WANT)) {
      const got = s.textEmbeds![name];
      t.same([got.dtype, got.shape], [want.dtype, want.shape], `${s.key} ${name}: dtype and shape`);
      const values = [...asFloat32(got)];
      t.same(
        values,
        want.values.map((v) => Math.fround(v)),
        `${s.key} ${name}: values as torch saved them`,
      );
    }
  }
}

for (const thread of [false, true])
  t.test(`local text cache: every sample carries its caption's embeds (thread: ${thread})`, async (t) => {
    const root = t.testdir({ text: {} });
    const text = new LocalStorage({ id: 'text', root: path.join(root, 'text') });
    const input = await dataset(text, 'flux', (file) => {
      copyFileSync(FIXTURE, path.join(root, 'text', file));
      return Promise.resolve();
    });
    checkBatches(t, await collect(input, thread), 'flux');
  });

t.test('S3 text cache on s3rver (under a prefix), through the prefetch thread', async (t) => {
  const srv = await startS3Server(t, { bucket: 'cache' });
  const text = new S3Storage(awsDescription(srv, { id: 'text', prefix: 'text/sdxl/' }));
  t.teardown(() => text.close());
  const bytes = readFileSync(FIXTURE);
  const input = await dataset(text, 'sdxl', (file) => srv.put(`text/sdxl/${file}`, bytes));
  checkBatches(t, await collect(input, true), 'sdxl');
});

for (const thread of [false, true])
  t.test(
    `requireEmbeds: a missing embed fails with TextEmbedMissingError naming the caption (thread: ${thread})`,
    async (t) => {
      const root = t.testdir({ text: {} });
      mkdirSync(path.join(root, 'text'), { recursive: true });
      const text = new LocalStorage({ id: 'text', root: path.join(root, 'text') });
      const input = await dataset(text, 'flux', (file) => {
        copyFileSync(FIXTURE, path.join(root, 'text', file));
        return Promise.resolve();
      });
      const loader = await createLoader('unused', {
        datasets: [input],
        epochs: 1,
        seed: 5,
        thread,
        requireEmbeds: true,
      });
      let delivered = 0;
      const err = await (async () => {
        for await (const b of loader) delivered += b.samples.length;
      })().catch((e: unknown) => e);
      t.ok(err instanceof TextEmbedMissingError, `TextEmbedMissingError (got ${String(err)})`);
      const e = err as TextEmbedMissingError;
      t.equal(e.code, 'TF_TEXT_EMBED_MISSING');
      t.equal(e.dataset, 'te');
      t.match(e.message, /No cached text embed for caption "a photo, 1_(0_0|5_1)\.jpg"/, 'the caption is named');
      t.match(e.file, /[0-9a-f]{32}-flux\.pt$/, 'the file is named');
      t.ok(delivered < 10, `the stream stopped before the end (${delivered} samples delivered)`);
      await loader.close();
    },
  );
