// createCaptionResolver over real storage: every strategy, prepend/only/shuffle, seeded picks, coded failures.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ImageDatasetConfig } from '../../lib/config/types.js';
import { CaptionNotFoundError, ConfigValidationError, RegistryLookupError } from '../../lib/errors.js';
import { createCaptionResolver, createCaptionSource } from '../../lib/captions/resolve-caption.js';
import type { DatasetIndex } from '../../lib/metadata/types.js';
import { LocalStorage } from '../../lib/storage/local.js';
import { S3Storage } from '../../lib/storage/s3.js';
import { imageConfig } from '../helpers/runtime-dataset.js';
import { awsDescription, startS3Server } from '../helpers/s3-server.js';

/** Only the caption fields matter to the resolver; the rest are the shared fixture's. */
function dataset(over: Partial<ImageDatasetConfig> = {}): ImageDatasetConfig {
  return imageConfig('ds', '/data/ds', over);
}

const index = (captions?: DatasetIndex['captions']): DatasetIndex => ({
  id: 'ds',
  buckets: {},
  metadata: {},
  captions,
  stats: { total_processed: 0, skipped: {} },
});

function local(tt: Pick<typeof t, 'testdir'>, files: Parameters<typeof t.testdir>[0]): LocalStorage {
  return new LocalStorage({ id: 'ds', root: tt.testdir(files) });
}

t.test('filename: stem with underscores as spaces, prepend', async (t) => {
  const s = local(t, {});
  t.equal(await createCaptionResolver(dataset(), s, index(), 1)('sub/a_red_cat.v2.png', 0), 'a red cat.v2');
  const pre = createCaptionResolver(dataset({ prepend_instance_prompt: true, instance_prompt: 'sks' }), s, index(), 1);
  t.equal(await pre('x/dog_park.jpg', 0), 'sks dog park');
});

t.test('textfile: single, multi-line, CRLF kept, missing and blank files', async (t) => {
  const s = local(t, {
    'a.txt': 'one caption',
    sub: { 'b.txt': 'first\n\nsecond\nthird\n', 'c.txt': 'x\r\ny' },
    'blank.txt': '\n\n',
  });
  const src = createCaptionSource(dataset({ caption_strategy: 'textfile' }), s, index(), 7);
  t.same(await src.candidates('a.png'), ['one caption']);
  t.same(await src.candidates('sub/b.jpeg'), ['first', 'second', 'third'], 'empty lines dropped');
  t.same(await src.candidates('sub/c.png'), ['x\r', 'y'], 'no strip, as SimpleTuner (cache-name parity)');
  const whole = createCaptionSource(
    dataset({ caption_strategy: 'textfile', disable_multiline_split: true }),
    s,
    index(),
    7,
  );
  t.same(await whole.candidates('sub/b.png'), ['first\n\nsecond\nthird\n']);
  const missing = await src.resolve('nope.png', 0).catch((e: unknown) => e);
  t.ok(missing instanceof CaptionNotFoundError);
  t.match(
    (missing as CaptionNotFoundError).message,
    /Caption file nope\.txt not found\. \(dataset=ds, file=nope\.txt\)/,
  );
  await t.rejects(src.resolve('blank.png', 0), CaptionNotFoundError);
});

t.test('multi-caption picks are seeded, stable and cover every line', async (t) => {
  const s = local(t, { 'm.txt': 'a\nb\nc\nd' });
  const r1 = createCaptionResolver(dataset({ caption_strategy: 'textfile' }), s, index(), 42);
  const r2 = createCaptionResolver(dataset({ caption_strategy: 'textfile' }), s, index(), 42);
  const seen = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    const a = await r1('m.png', i);
    t.equal(a, await r2('m.png', i));
    seen.set(a ?? 'null', (seen.get(a ?? 'null') ?? 0) + 1);
  }
  t.same([...seen.keys()].sort(), ['a', 'b', 'c', 'd']);
  for (const n of seen.values()) t.ok(n > 25, `roughly uniform (${n}/200)`);
  const other = createCaptionResolver(dataset({ caption_strategy: 'textfile' }), s, index(), 43);
  const differs = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => (await other('m.png', i)) !== (await r1('m.png', i))),
  );
  t.ok(differs.some(Boolean), 'another global seed gives another sequence');
});

t.test('textfile through S3 (same storage backend as the images)', async (t) => {
  const srv = await startS3Server(t, { bucket: 'caps' });
  await srv.put('data/sub/img.txt', 'an s3 caption');
  const s3 = new S3Storage(awsDescription(srv, { prefix: 'data/' }));
  t.teardown(() => s3.close());
  const r = createCaptionResolver(dataset({ caption_strategy: 'textfile', type: 'aws' }), s3, index(), 1);
  t.equal(await r('sub/img.png', 0), 'an s3 caption');
  await t.rejects(r('sub/none.png', 0), CaptionNotFoundError);
});

t.test('instanceprompt and only_instance_prompt read nothing', async (t) => {
  const s = local(t, {});
  t.equal(
    await createCaptionResolver(
      dataset({ caption_strategy: 'instanceprompt', instance_prompt: '  sks dog ' }),
      s,
      index(),
      1,
    )('x.png', 0),
    'sks dog',
  );
  const list = createCaptionSource(
    dataset({ caption_strategy: 'instanceprompt', instance_prompt: 'a', instance_prompts: ['a', ' ', 'b '] }),
    s,
    index(),
    1,
  );
  t.same(await list.candidates('x.png'), ['a', 'b']);
  const only = createCaptionResolver(
    dataset({
      caption_strategy: 'textfile',
      only_instance_prompt: true,
      instance_prompt: 'sks',
      prepend_instance_prompt: true,
    }),
    s,
    index(),
    1,
  );
  t.equal(await only('missing-caption.png', 0), 'sks', 'no caption file needed, no self-prepend');
  t.throws(
    () => createCaptionResolver(dataset({ caption_strategy: 'instanceprompt' }), s, index(), 1),
    ConfigValidationError,
  );
  t.throws(
    () => createCaptionResolver(dataset({ caption_strategy: 'instanceprompt', instance_prompt: '  ' }), s, index(), 1),
    /non-empty prompt/,
  );
  t.throws(
    () => createCaptionResolver(dataset({ only_instance_prompt: true }), s, index(), 1),
    /Instance prompt is required/,
  );
  t.throws(
    () => createCaptionResolver(dataset({ prepend_instance_prompt: true }), s, index(), 1),
    /Backend ds has prepend_instance_prompt=True/,
  );
  t.throws(
    () => createCaptionResolver(dataset({ caption_strategy: 'webshart' as never }), s, index(), 1),
    RegistryLookupError,
  );
});

t.test('parquet: keyed without extension unless identifier_includes_extension', async (t) => {
  const s = local(t, {});
  const parquet = {
    path: 'meta.parquet',
    filename_column: 'id',
    caption_column: 'caption',
    fallback_caption_column: null,
    width_column: null,
    height_column: null,
    aspect_ratio_column: null,
    num_frames_column: null,
    fps_column: null,
    identifier_includes_extension: false,
  };
  const idx = index({ 'img/001': '  a cat  ', 'img/002': ['x', ' ', 'y'], 'img/003.jpg': 'with ext' });
  const src = createCaptionSource(
    dataset({ caption_strategy: 'parquet', metadata_backend: 'parquet', parquet }),
    s,
    idx,
    1,
  );
  t.same(await src.candidates('img/001.png'), ['a cat'], 'stripped');
  t.same(await src.candidates('img/002.png'), ['x', 'y'], 'list → multi-caption, empties dropped');
  const err = await src.resolve('img/404.png', 0).catch((e: unknown) => e);
  t.ok(err instanceof CaptionNotFoundError);
  t.match(
    (err as Error).message,
    new RegExp(
      /Could not locate caption for image img\/404\.png in sampler_backend ds with filename column id, /.source +
        /caption column "caption", and a parquet database with 3 entries/.source,
    ),
  );
  const ext = createCaptionSource(
    dataset({ caption_strategy: 'parquet', parquet: { ...parquet, identifier_includes_extension: true } }),
    s,
    idx,
    1,
  );
  t.same(await ext.candidates('img/003.jpg'), ['with ext']);
  const pre = createCaptionSource(
    dataset({ caption_strategy: 'parquet', parquet, prepend_instance_prompt: true, instance_prompt: 'sks' }),
    s,
    idx,
    1,
  );
  t.same(await pre.candidates('img/002.png'), ['sks x', 'sks y']);
});

t.test('csv and huggingface captions', async (t) => {
  const s = local(t, {});
  const url = 'https://example.invalid/a.jpg';
  const csv = createCaptionResolver(
    dataset({ caption_strategy: 'csv', type: 'csv', prepend_instance_prompt: true, instance_prompt: 'p' }),
    s,
    index({ [url]: 'csv caption ' }),
    1,
  );
  t.equal(await csv(url, 0), 'csv caption ', 'raw cell, no prepend (SimpleTuner returns it as-is)');
  const captioned = Object.assign(Object.create(s) as LocalStorage, {
    captionFor: async (k: string) => (k === url ? 'from storage' : null),
  });
  t.equal(
    await createCaptionResolver(dataset({ caption_strategy: 'csv' }), captioned, index(), 1)(url, 0),
    'from storage',
  );
  await t.rejects(
    createCaptionResolver(dataset({ caption_strategy: 'csv' }), captioned, index(), 1)('https://x.invalid/b.png', 0),
    CaptionNotFoundError,
  );
  const hf = createCaptionSource(
    dataset({ caption_strategy: 'huggingface', type: 'huggingface' }),
    s,
    index({ '0.jpg': ' hf one ', '1.jpg': ['a', 'b'] }),
    1,
  );
  t.same(await hf.candidates('0.jpg'), ['hf one']);
  t.same(await hf.candidates('1.jpg'), ['a', 'b']);
  await t.rejects(hf.candidates('2.jpg'), /Could not find caption for 2\.jpg in HuggingFace dataset/);
});

t.test('caption_shuffle: CPython variants, then prepend; seed falls back to the global seed', async (t) => {
  const vectors = JSON.parse(
    readFileSync(fileURLToPath(new URL('../fixtures/embeds/expected.json', import.meta.url)), 'utf8'),
  ) as { shuffles: { caption: string; variants: string[] }[] };
  const first = vectors.shuffles[0]; // seed 42, count 3, comma, position_start 0, include_original
  const s = local(t, { 'tags.txt': first.caption });
  const shuffle = { enabled: true, count: 3, position_start: 0, include_original: true, split_on: 'comma' as const };
  const src = createCaptionSource(dataset({ caption_strategy: 'textfile', caption_shuffle: shuffle }), s, index(), 42);
  t.same(await src.candidates('tags.png'), first.variants, 'global seed 42 used when caption_shuffle.seed is unset');
  const pre = createCaptionSource(
    dataset({
      caption_strategy: 'textfile',
      caption_shuffle: { ...shuffle, seed: 42 },
      prepend_instance_prompt: true,
      instance_prompt: 'sks',
    }),
    s,
    index(),
    0,
  );
  t.same(
    await pre.candidates('tags.png'),
    first.variants.map((v) => `sks ${v}`),
  );
  const r = createCaptionResolver(dataset({ caption_strategy: 'textfile', caption_shuffle: shuffle }), s, index(), 42);
  const picked = new Set<string>();
  for (let i = 0; i < 60; i++) picked.add(String(await r('tags.png', i)));
  t.equal(picked.size, first.variants.length, 'every variant is served over time');
  const empty = local(t, { 'e.txt': '' });
  const shuffledEmpty = createCaptionSource(
    dataset({ caption_strategy: 'textfile', caption_shuffle: shuffle }),
    empty,
    index(),
    1,
  );
  t.same(
    await shuffledEmpty.candidates('e.png'),
    [''],
    'an empty caption stays an (empty) caption with shuffle on, as without',
  );
});
