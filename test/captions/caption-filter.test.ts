// caption_filter_list as SimpleTuner applies it: substitutions, plain removals (string then regex), .txt/.json
// lists on the text-embed backend, and the batch carrying the filtered caption.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { compileCaptionFilter } from '../../lib/captions/caption-filter.js';
import { loadConfig, validateConfig } from '../../lib/config/load-config.js';
import { isImageDataset } from '../../lib/config/types.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';

t.test('each kind of filter line, applied in order', async (t) => {
  const rows: [string[], string, string][] = [
    [['s/cat/dog/'], 'a cat and a cat', 'a dog and a dog'],
    [['s/cat/dog'], 'a cat', 'a dog'],
    [['s/(\\w+) photo/\\1 picture/'], 'a nice photo', 'a nice picture'],
    [['a photo of '], 'a photo of a cat', 'a cat'],
    [['\\s+$'], 'trailing   ', 'trailing'],
    [['^an? '], 'a house', 'house'],
    [['(unclosed'], 'keeps (unclosed text', 'keeps  text'],
    [['watermark', 's/  +/ /'], 'a watermark cat', 'a cat'],
  ];
  for (const [items, input, want] of rows) t.equal(compileCaptionFilter(items)(input), want, JSON.stringify(items));
});

t.test('a .txt or .json list on the text-embed backend reaches its linked datasets', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-capfilter-'));
  await writeFile(join(dir, 'filter.txt'), 's/cat/dog/\nblurry\n');
  await writeFile(join(dir, 'filter.json'), JSON.stringify(['ugly']));
  for (const [file, want] of [
    ['filter.txt', ['s/cat/dog/', 'blurry', '']],
    ['filter.json', ['ugly']],
  ] as const) {
    const loaded = await loadConfig(
      [
        { id: 'text', type: 'local', dataset_type: 'text_embeds', caption_filter_list: join(dir, file) },
        { id: 'photos', type: 'local', instance_data_dir: dir },
      ],
      { checkPaths: false, env: {} },
    );
    t.same(loaded.datasets.filter(isImageDataset)[0]?.caption_filter, want, file);
  }
  const missing = await validateConfig(
    [
      { id: 'text', type: 'local', dataset_type: 'text_embeds', caption_filter_list: join(dir, 'nope.txt') },
      { id: 'photos', type: 'local', instance_data_dir: dir },
    ],
    { checkPaths: false, env: {} },
  );
  t.match(missing.errors, [{ id: 'text', field: 'caption_filter_list', message: /could not be loaded/ }]);
});

t.test('the batch carries the filtered caption (in-process and in the prefetch thread)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-capfilter-'));
  const data = join(dir, 'photos');
  await mkdir(data);
  await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 9, g: 9, b: 9 } } })
    .png()
    .toFile(join(data, 'a blurry photo of a cat.png'));
  const loaded = await loadConfig(
    [
      { id: 'text', type: 'local', dataset_type: 'text_embeds', caption_filter_list: ['blurry ', 's/cat/dog/'] },
      { id: 'photos', type: 'local', instance_data_dir: data, caption_strategy: 'filename', crop: false },
    ],
    {
      set: [`output_dir=${join(dir, 'out')}`, 'resolution=256', 'resolution_type=pixel', 'train_batch_size=1'],
      env: {},
    },
  );
  for (const thread of [false, true]) {
    const loader = await createLoader(loaded, { decode: false, batches: 1, thread });
    const captions: (string | null)[] = [];
    for await (const b of loader) for (const s of b.samples) captions.push(s.caption);
    await loader.close();
    t.same(captions, ['a photo of a dog'], `thread: ${thread}`);
  }
});
